// Reads of a user's readings. PostgreSQL renders the JSON array itself (json_agg) and the route sends that text
// as is: the 24 h read is the hottest path, and this skips building, then re-serializing, 288+ JS objects. The
// user's preferred unit and time zone are read in the same statement: one round trip per request.
import type { Sql } from '../db/connect.js'
import { MG_DL_PER_MMOL_L, type GlucoseUnit } from './units.js'

// Buckets offered for downsampling: a fixed list, so the interval is never built from user text.
export const BUCKETS = { '5m': '5 minutes', '15m': '15 minutes', '30m': '30 minutes', '1h': '1 hour', '2h': '2 hours',
  '4h': '4 hours', '6h': '6 hours', '12h': '12 hours', '1d': '1 day' } as const
export type Bucket = keyof typeof BUCKETS
export const BUCKET_NAMES = Object.keys(BUCKETS) as [Bucket, ...Bucket[]]

export interface Range {
  userId: string
  from: Date
  to: Date // exclusive
  unit: GlucoseUnit | undefined // undefined: the user's preferred unit
}

export interface ReadResult {
  unit: GlucoseUnit
  json: string // a JSON array
}

// Values leave SQL in the shown unit as round(mg/dL × k) / scale in double precision (numeric division and round()
// per row tripled the cost of a 24 h read): mg/dL whole, mmol/L to one decimal as meters show it, means with one
// more decimal. PostgreSQL prints doubles shortest-exact (5.5, not 5.4999…). `shown` picks the unit and factors.
const shown = (sql: Sql, r: Range) => sql`
  shown AS (
    SELECT unit, timezone,
           CASE unit WHEN 'mmol/L' THEN 10 / ${MG_DL_PER_MMOL_L}::float8 ELSE 1 END AS k,
           CASE unit WHEN 'mmol/L' THEN 10 ELSE 1 END::float8 AS scale
    FROM (SELECT coalesce(${r.unit ?? null}::text, preferred_unit) AS unit, timezone FROM users WHERE id = ${r.userId}) u
  )`

/** Raw readings in [from, to), oldest first. */
export async function readReadings(sql: Sql, r: Range): Promise<ReadResult> {
  // json_agg over a row (not json_build_object) renders compact JSON with the column aliases as keys.
  const [row] = await sql<ReadResult[]>`
    WITH ${shown(sql, r)}
    SELECT shown.unit, (
      SELECT coalesce(json_agg(x ORDER BY x.time), '[]')::text
      FROM (
        SELECT time,
               round(value * shown.k) / shown.scale AS value,
               trend,
               round(trend_rate * shown.k * 10) / (shown.scale * 10) AS "trendRate",
               source
        FROM glucose_readings
        WHERE user_id = ${r.userId} AND time >= ${r.from} AND time < ${r.to}
      ) x
    ) AS json
    FROM shown`
  return row ?? noUser(r)
}

/** Readings averaged into buckets aligned to the user's local midnight (time_bucket with the user's time zone). */
export async function readBuckets(sql: Sql, r: Range & { bucket: Bucket }): Promise<ReadResult> {
  const [row] = await sql<ReadResult[]>`
    WITH ${shown(sql, r)}
    SELECT shown.unit, (
      SELECT coalesce(json_agg(b ORDER BY b.time), '[]')::text
      FROM (
        SELECT time_bucket(${BUCKETS[r.bucket]}::interval, time, shown.timezone) AS time,
               round(avg(value) * shown.k * 10) / (shown.scale * 10) AS mean,
               round(min(value) * shown.k) / shown.scale AS min,
               round(max(value) * shown.k) / shown.scale AS max,
               count(*)::int AS readings
        FROM glucose_readings
        WHERE user_id = ${r.userId} AND time >= ${r.from} AND time < ${r.to}
        GROUP BY 1
      ) b
    ) AS json
    FROM shown`
  return row ?? noUser(r)
}

// Only when the user row is gone (deleted between authentication and this read): nothing to show.
const noUser = (r: Range): ReadResult => ({ unit: r.unit ?? 'mg/dL', json: '[]' })

export interface LatestReading {
  time: Date
  value: number
  trend: string | null
  trend_rate: number | null
  source: string
}

/** The newest reading, not counting any ahead of the clock skew allowance. */
export async function latestReading(sql: Sql, userId: string): Promise<LatestReading | undefined> {
  const [row] = await sql<LatestReading[]>`
    SELECT time, value, trend, trend_rate, source
    FROM glucose_readings
    WHERE user_id = ${userId} AND time <= now() + interval '10 minutes'
    ORDER BY time DESC
    LIMIT 1`
  return row
}
