// A synthetic three-day trace with known values, shared by the rollup and report-from-rollups tests.
// DEXCOM: every 5 minutes from DAY1 for 3 days (864 readings); each hour holds the same 12 values, in this order,
// at minutes 0, 5, …, 55. They sit on and next to the band boundaries 54, 70, 180 and 250.
// NIGHTSCOUT: the same sensor uploaded again for the middle day only, 150 mg/dL at the same instants (288), plus
// one extra reading at 10:02 on that day (289 readings, still 288 five-minute slots): the two sources overlap.
import { randomUUID } from 'node:crypto'
import type { Sql } from '../../src/db/connect.js'

export const DAY1 = '2025-02-03T00:00:00Z'
export const DAY2 = '2025-02-04T00:00:00Z'
export const DAY4 = '2025-02-06T00:00:00Z' // end of the trace (exclusive)
export const HOUR_VALUES = [40, 53, 54, 69, 70, 100, 180, 181, 250, 251, 300, 120]

/** A new user holding the trace above; returns its id. */
export async function seedTrace(sql: Sql): Promise<string> {
  const userId = randomUUID()
  await sql`INSERT INTO users (id) VALUES (${userId})`
  await sql`
    INSERT INTO glucose_readings (time, user_id, source, value)
    SELECT t, ${userId}::uuid, 'DEXCOM', (${HOUR_VALUES}::int[])[extract(minute FROM t AT TIME ZONE 'UTC')::int / 5 + 1]
    FROM generate_series(${DAY1}::timestamptz, ${DAY4}::timestamptz - INTERVAL '5 minutes', INTERVAL '5 minutes') t`
  await sql`
    INSERT INTO glucose_readings (time, user_id, source, value)
    SELECT t, ${userId}::uuid, 'NIGHTSCOUT'::reading_source, 150
    FROM generate_series(${DAY2}::timestamptz, ${DAY2}::timestamptz + INTERVAL '1 day' - INTERVAL '5 minutes', INTERVAL '5 minutes') t
    UNION ALL SELECT ${DAY2}::timestamptz + INTERVAL '10 hours 2 minutes', ${userId}::uuid, 'NIGHTSCOUT'::reading_source, 150`
  return userId
}
