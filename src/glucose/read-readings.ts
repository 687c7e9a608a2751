// Reads of a user's readings. PostgreSQL renders the JSON array itself (json_agg) and the route sends that text
// as is: the 24 h read is the hottest path, and this skips building, then re-serializing, 288+ JS objects.
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
  unit: GlucoseUnit
}

// Values leave SQL in the shown unit as round(mg/dL × scale / divisor) / scale, in double precision: numeric
// division and round() per row tripled the cost of a 24 h read. mg/dL: whole numbers; mmol/L: one decimal, as
// meters display it; means carry one more decimal. PostgreSQL prints doubles shortest-exact (5.5, not 5.499…).
const divisor = (unit: GlucoseUnit) => (unit === 'mmol/L' ? MG_DL_PER_MMOL_L : 1)
const scale = (unit: GlucoseUnit) => (unit === 'mmol/L' ? 10 : 1)

/** Raw readings in [from, to), oldest first, as a JSON array text. */
export async function readingsJson(sql: Sql, r: Range): Promise<string> {
  // json_agg over a row (not json_build_object) renders compact JSON with the column aliases as keys.
  const [row] = await sql<{ json: string }[]>`
    SELECT coalesce(json_agg(r ORDER BY r.time), '[]')::text AS json
    FROM (
      SELECT time,
             round(value * ${scale(r.unit) / divisor(r.unit)}::float8) / ${scale(r.unit)}::float8 AS value,
             trend,
             round(trend_rate * ${100 / divisor(r.unit)}::float8) / 100 AS "trendRate",
             source
      FROM glucose_readings
      WHERE user_id = ${r.userId} AND time >= ${r.from} AND time < ${r.to}
    ) r`
  return row!.json
}

/** Readings averaged into buckets aligned to the user's local midnight (time_bucket with a time zone). */
export async function bucketedJson(sql: Sql, r: Range & { bucket: Bucket; timezone: string }): Promise<string> {
  const [k, meanK] = [scale(r.unit) / divisor(r.unit), (scale(r.unit) * 10) / divisor(r.unit)]
  const [row] = await sql<{ json: string }[]>`
    SELECT coalesce(json_agg(b ORDER BY b.time), '[]')::text AS json
    FROM (
      SELECT time_bucket(${BUCKETS[r.bucket]}::interval, time, ${r.timezone}) AS time,
             round(avg(value) * ${meanK}::float8) / ${scale(r.unit) * 10}::float8 AS mean,
             round(min(value) * ${k}::float8) / ${scale(r.unit)}::float8 AS min,
             round(max(value) * ${k}::float8) / ${scale(r.unit)}::float8 AS max,
             count(*)::int AS readings
      FROM glucose_readings
      WHERE user_id = ${r.userId} AND time >= ${r.from} AND time < ${r.to}
      GROUP BY 1
    ) b`
  return row!.json
}

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
