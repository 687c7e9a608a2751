// Writes validated readings for one user and source. Idempotent: the unique (user_id, time, source) index turns a
// re-sent reading into a no-op, and a revised one (same instant, new value: Dexcom revises EGVs) into an update.
import type { Sql } from '../db/connect.js'
import type { ReadingSource } from './trends.js'
import type { ReadingRow } from './validate-readings.js'

export interface StoreResult {
  inserted: number
  updated: number
  unchanged: number
}

/**
 * One statement per batch: the rows travel as five arrays and are unnested server-side, which measured close to
 * COPY speed (shared/reference/TIMESCALEDB.md) while still allowing ON CONFLICT, which COPY does not.
 */
export async function storeReadings(sql: Sql, userId: string, source: ReadingSource, rows: ReadingRow[]): Promise<StoreResult> {
  const unique = lastPerInstant(rows)
  if (unique.length === 0) return { inserted: 0, updated: 0, unchanged: rows.length }
  const times = unique.map((r) => r.time.toISOString())
  const values = unique.map((r) => r.valueMgDl)
  const trends = unique.map((r) => r.trend)
  const rates = unique.map((r) => r.trendRate)
  const recordIds = unique.map((r) => r.recordId)
  const [counts] = await sql<{ inserted: number; updated: number }[]>`
    WITH upserted AS (
      INSERT INTO glucose_readings AS g (time, user_id, source, value, trend, trend_rate, source_record_id)
      SELECT t.time, ${userId}::uuid, ${source}::reading_source, t.value, t.trend, t.trend_rate, t.record_id
      FROM unnest(${times}::timestamptz[], ${values}::smallint[], ${trends}::text[]::glucose_trend[], ${rates}::real[],
                  ${recordIds}::text[]) AS t(time, value, trend, trend_rate, record_id)
      ON CONFLICT (user_id, time, source) DO UPDATE
        SET value = EXCLUDED.value, trend = EXCLUDED.trend, trend_rate = EXCLUDED.trend_rate,
            source_record_id = EXCLUDED.source_record_id, ingested_at = now()
        -- an identical re-send changes nothing (no dead tuple, no write amplification)
        WHERE (g.value, g.trend, g.trend_rate, g.source_record_id)
              IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.trend, EXCLUDED.trend_rate, EXCLUDED.source_record_id)
      RETURNING (xmax = 0) AS inserted -- xmax is 0 only for a freshly inserted tuple
    )
    SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
    FROM upserted`
  const inserted = counts?.inserted ?? 0
  const updated = counts?.updated ?? 0
  return { inserted, updated, unchanged: rows.length - inserted - updated }
}

// Two items for the same second in one batch would make ON CONFLICT touch a row twice (an error): the later wins,
// as it would had they come in two requests.
function lastPerInstant(rows: ReadingRow[]): ReadingRow[] {
  const byTime = new Map<number, ReadingRow>()
  for (const row of rows) byTime.set(row.time.getTime(), row)
  return byTime.size === rows.length ? rows : [...byTime.values()]
}
