// Synthetic CGM readings for the bench, and the three wire forms the ingest scenarios send: COPY text, the HTTP
// JSON body, and row objects for a multi-row INSERT. Every form is built before a timed section starts, so the
// clocks measure the path under test, not this generator.
import type { Trend } from '../../src/glucose/trends.js'

export const READING_INTERVAL_MS = 5 * 60 * 1000 // Dexcom G6/G7 and most CGMs: one reading every 5 minutes
export const SOURCE = 'IMPORT' // the HTTP endpoint's default source, so all three paths store the same rows

export interface SyntheticReading {
  time: Date
  value: number // mg/dL, whole
  trend: Trend
  trendRate: number // mg/dL per minute
}

/** Floors a time to the 5-minute grid, so series generated at different moments line up. */
export function onGrid(ms: number): number {
  return Math.floor(ms / READING_INTERVAL_MS) * READING_INTERVAL_MS
}

/**
 * `count` readings on the 5-minute grid, the newest at `end`, oldest first (the order clients upload).
 * A daily rhythm, three meal bumps and a seeded random walk: values move like a CGM trace, so the values, trend
 * names and rates have realistic spread (the storage figure does not benefit from a constant column).
 */
export function syntheticSeries(count: number, end: number, seed: number): SyntheticReading[] {
  const random = mulberry32(seed)
  const out: SyntheticReading[] = new Array(count)
  let walk = 0
  let previous = Number.NaN
  for (let i = 0; i < count; i++) {
    const ms = onGrid(end) - (count - 1 - i) * READING_INTERVAL_MS
    const hour = (ms / 3_600_000) % 24
    walk = walk * 0.98 + (random() - 0.5) * 6
    const meals = mealBump(hour, 7.5) + mealBump(hour, 12.5) + mealBump(hour, 19)
    const raw = 105 + 12 * Math.sin((2 * Math.PI * (hour - 5)) / 24) + meals + walk
    const value = Math.round(Math.min(400, Math.max(40, raw)))
    const rate = Number.isNaN(previous) ? 0 : Math.round(((value - previous) / 5) * 10) / 10
    previous = value
    out[i] = { time: new Date(ms), value, trend: trendFor(rate), trendRate: rate }
  }
  return out
}

// A post-meal excursion: up ~50 mg/dL within the hour, back to baseline in about three hours.
function mealBump(hour: number, at: number): number {
  const h = (hour - at + 24) % 24
  return h < 3 ? 55 * (h / 0.9) * Math.exp(1 - h / 0.9) * 0.9 : 0
}

// Dexcom arrow thresholds in mg/dL/min (1, 2, 3).
function trendFor(rate: number): Trend {
  if (rate >= 3) return 'doubleUp'
  if (rate >= 2) return 'singleUp'
  if (rate >= 1) return 'fortyFiveUp'
  if (rate > -1) return 'flat'
  if (rate > -2) return 'fortyFiveDown'
  if (rate > -3) return 'singleDown'
  return 'doubleDown'
}

// Small seeded PRNG: the same BENCH_ROWS gives the same data on every run, so runs are comparable.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** COPY text format, one line per reading: time, user_id, source, value, trend, trend_rate. */
export function copyText(readings: readonly SyntheticReading[], userId: string): string {
  let text = ''
  for (const r of readings) text += `${r.time.toISOString()}\t${userId}\t${SOURCE}\t${r.value}\t${r.trend}\t${r.trendRate}\n`
  return text
}

/** The POST /api/v1/glucose/readings body, as a client would send it (ISO 8601 times with Z). */
export function ingestBody(readings: readonly SyntheticReading[]): Buffer {
  const items = readings.map((r) => ({ time: r.time.toISOString(), value: r.value, trend: r.trend, trendRate: r.trendRate }))
  return Buffer.from(JSON.stringify({ unit: 'mg/dL', source: SOURCE, readings: items }))
}

export interface InsertRow {
  time: Date
  user_id: string
  source: string
  value: number
  trend: string
  trend_rate: number
}

/** Row objects as an ORM holds them before createMany. */
export function insertRows(readings: readonly SyntheticReading[], userId: string): InsertRow[] {
  return readings.map((r) => ({ time: r.time, user_id: userId, source: SOURCE, value: r.value, trend: r.trend, trend_rate: r.trendRate }))
}
