// Checks each submitted reading and turns it into the stored form, reporting every problem with its index and
// field so a client can fix exactly what was wrong. Hand-written rather than schema-generated: the messages say
// what to do, and a bad item must not hide the other items' verdicts (partial acceptance needs all of them).
import { EARLIEST_READING, MAX_CLOCK_SKEW_MS, MAX_MG_DL, MIN_MG_DL } from './limits.js'
import { TRENDS, type Trend } from './trends.js'
import { fromMgDl, MG_DL_PER_MMOL_L, toStoredMgDl, type GlucoseUnit } from './units.js'

export interface ReadingRow {
  time: Date // whole seconds: the same reading re-sent with millisecond jitter is still the same reading
  valueMgDl: number
  trend: Trend | null
  trendRate: number | null // mg/dL/min
  recordId: string | null
}

export interface ItemProblem {
  index: number
  field: string
  message: string
}

const ALLOWED_FIELDS = new Set(['time', 'value', 'trend', 'trendRate', 'recordId'])
const TREND_SET: ReadonlySet<string> = new Set(TRENDS)
// An ISO 8601 date-time that names its offset: without one the instant is ambiguous.
export const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i

// A request carries up to 10,000 items, so this loop is on the ingest's hot path: no closure or array is made per
// item (under tsx every closure also pays a name helper), and the bounds are read once per batch.
export function validateReadings(items: readonly unknown[], unit: GlucoseUnit, now = new Date()) {
  const valid: ReadingRow[] = []
  const validIndexes: number[] = []
  const problems: ItemProblem[] = []
  const bounds: Bounds = {
    unit,
    latest: now.getTime() + MAX_CLOCK_SKEW_MS,
    earliest: EARLIEST_READING.getTime(),
    low: fromMgDl(MIN_MG_DL, unit),
    high: fromMgDl(MAX_MG_DL, unit),
  }
  for (let index = 0; index < items.length; index++) {
    if (!(index in items)) continue // a hole of a sparse array: forEach skipped these too
    const row = checkItem(items[index], index, bounds, problems)
    if (row) {
      valid.push(row)
      validIndexes.push(index)
    }
  }
  return { valid, validIndexes, problems }
}

interface Bounds {
  unit: GlucoseUnit
  latest: number // epoch ms: now plus the tolerated clock skew
  earliest: number // epoch ms
  low: number // in the batch unit
  high: number
}

/** The stored form of one item, or null after pushing its problems (every field is checked, in a fixed order). */
function checkItem(item: unknown, index: number, b: Bounds, problems: ItemProblem[]): ReadingRow | null {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    problems.push({ index, field: '', message: 'must be an object with time and value' })
    return null
  }
  const before = problems.length
  const r = item as Record<string, unknown>
  for (const key of Object.keys(r)) {
    if (!ALLOWED_FIELDS.has(key)) problems.push({ index, field: key, message: `unknown field; allowed: ${[...ALLOWED_FIELDS].join(', ')}` })
  }

  const time = parseTime(r.time)
  if (typeof time === 'string') problems.push({ index, field: 'time', message: time })
  else if (time.getTime() > b.latest) {
    problems.push({ index, field: 'time', message: `is in the future (${time.toISOString()}); check the device clock and time zone` })
  } else if (time.getTime() < b.earliest) {
    problems.push({ index, field: 'time', message: `is before ${EARLIEST_READING.toISOString()}; epoch times are milliseconds` })
  }

  const value = r.value
  if (typeof value !== 'number' || !Number.isFinite(value)) problems.push({ index, field: 'value', message: `must be a number in ${b.unit}` })
  else if (value < b.low || value > b.high) {
    problems.push({ index, field: 'value', message: `${value} ${b.unit} is outside the possible range ${b.low}–${b.high} ${b.unit}; is the unit right?` })
  }

  const trend = r.trend
  if (trend !== undefined && trend !== null && !(typeof trend === 'string' && TREND_SET.has(trend))) {
    problems.push({ index, field: 'trend', message: `must be one of ${TRENDS.join(', ')}` })
  }
  const trendRate = r.trendRate
  if (trendRate !== undefined && trendRate !== null && (typeof trendRate !== 'number' || !Number.isFinite(trendRate) || Math.abs(trendRate) > 100)) {
    problems.push({ index, field: 'trendRate', message: `must be a number of ${b.unit}/min between -100 and 100` })
  }
  const recordId = r.recordId
  if (recordId !== undefined && recordId !== null && (typeof recordId !== 'string' || recordId.length === 0 || recordId.length > 200)) {
    problems.push({ index, field: 'recordId', message: 'must be a string of 1–200 characters' })
  }
  if (problems.length > before) return null

  return {
    time: time as Date,
    valueMgDl: toStoredMgDl(value as number, b.unit),
    trend: (trend as Trend | undefined) ?? null,
    trendRate: typeof trendRate === 'number' ? rateInMgDl(trendRate, b.unit) : null,
    recordId: (recordId as string | undefined) ?? null,
  }
}

function parseTime(raw: unknown): Date | string {
  let ms: number
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return 'must be an ISO 8601 date-time with offset, or integer epoch milliseconds'
    ms = raw
  } else if (typeof raw === 'string') {
    const fast = utcSecondsMs(raw)
    if (fast !== undefined) return new Date(fast)
    if (!ISO_WITH_ZONE.test(raw)) return `"${raw.slice(0, 40)}" is not an ISO 8601 date-time with an offset (e.g. 2025-02-06T09:12:35Z)`
    ms = Date.parse(raw)
  } else {
    return 'is required: an ISO 8601 date-time with offset, or integer epoch milliseconds'
  }
  if (!Number.isFinite(ms)) return 'is not a valid date'
  return new Date(Math.floor(ms / 1000) * 1000)
}

/**
 * "YYYY-MM-DDTHH:MM:SSZ", optionally with 1–9 fraction digits before the Z: the form clients and this service
 * write, read by hand at about a third of the cost of the regex plus Date.parse. Whole seconds, floored (the
 * fraction is dropped, as Math.floor does for any year from 1000 on). Only fields no calendar rule can refuse are
 * taken (day ≤ 28, hour ≤ 23, minute and second ≤ 59); anything else is undefined and goes the general way.
 */
export function utcSecondsMs(s: string): number | undefined {
  const n = s.length
  if (n !== 20 && (n < 22 || n > 30)) return undefined
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58 || s.charCodeAt(n - 1) !== 90) return undefined // '-', '-', 'T', ':', ':', 'Z'
  if (n > 20) {
    if (s.charCodeAt(19) !== 46) return undefined // '.'
    for (let i = 20; i < n - 1; i++) if (digit(s, i) < 0) return undefined
  }
  const year = digits(s, 0, 4)
  const month = digits(s, 5, 2)
  const day = digits(s, 8, 2)
  const hour = digits(s, 11, 2)
  const minute = digits(s, 14, 2)
  const second = digits(s, 17, 2)
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 28 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
    second < 0 || second > 59) return undefined
  return Date.UTC(year, month - 1, day, hour, minute, second)
}

// The number in s[at, at + count) when all are ASCII digits, else -1 (refused by the range checks above).
function digits(s: string, at: number, count: number): number {
  let value = 0
  for (let i = at; i < at + count; i++) {
    const d = digit(s, i)
    if (d < 0) return -1
    value = value * 10 + d
  }
  return value
}

function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48
  return d >= 0 && d <= 9 ? d : -1
}

function rateInMgDl(rate: number, unit: GlucoseUnit): number {
  return unit === 'mmol/L' ? Math.round(rate * MG_DL_PER_MMOL_L * 100) / 100 : rate
}
