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

export function validateReadings(items: readonly unknown[], unit: GlucoseUnit, now = new Date()) {
  const valid: ReadingRow[] = []
  const validIndexes: number[] = []
  const problems: ItemProblem[] = []
  const latest = now.getTime() + MAX_CLOCK_SKEW_MS
  const [low, high] = [fromMgDl(MIN_MG_DL, unit), fromMgDl(MAX_MG_DL, unit)]

  items.forEach((item, index) => {
    const before = problems.length
    const fail = (field: string, message: string) => problems.push({ index, field, message })
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      fail('', 'must be an object with time and value')
      return
    }
    const r = item as Record<string, unknown>
    for (const key of Object.keys(r)) if (!ALLOWED_FIELDS.has(key)) fail(key, `unknown field; allowed: ${[...ALLOWED_FIELDS].join(', ')}`)

    const time = parseTime(r.time)
    if (typeof time === 'string') fail('time', time)
    else if (time.getTime() > latest) fail('time', `is in the future (${time.toISOString()}); check the device clock and time zone`)
    else if (time < EARLIEST_READING) fail('time', `is before ${EARLIEST_READING.toISOString()}; epoch times are milliseconds`)

    const value = r.value
    if (typeof value !== 'number' || !Number.isFinite(value)) fail('value', `must be a number in ${unit}`)
    else if (value < low || value > high) {
      fail('value', `${value} ${unit} is outside the possible range ${low}–${high} ${unit}; is the unit right?`)
    }

    if (r.trend !== undefined && r.trend !== null && !(typeof r.trend === 'string' && TREND_SET.has(r.trend))) {
      fail('trend', `must be one of ${TRENDS.join(', ')}`)
    }
    const trendRate = r.trendRate
    if (trendRate !== undefined && trendRate !== null && (typeof trendRate !== 'number' || !Number.isFinite(trendRate) || Math.abs(trendRate) > 100)) {
      fail('trendRate', `must be a number of ${unit}/min between -100 and 100`)
    }
    const recordId = r.recordId
    if (recordId !== undefined && recordId !== null && (typeof recordId !== 'string' || recordId.length === 0 || recordId.length > 200)) {
      fail('recordId', 'must be a string of 1–200 characters')
    }
    if (problems.length > before) return

    valid.push({
      time: time as Date,
      valueMgDl: toStoredMgDl(value as number, unit),
      trend: (r.trend as Trend | undefined) ?? null,
      trendRate: typeof trendRate === 'number' ? rateInMgDl(trendRate, unit) : null,
      recordId: (recordId as string | undefined) ?? null,
    })
    validIndexes.push(index)
  })
  return { valid, validIndexes, problems }
}

function parseTime(raw: unknown): Date | string {
  let ms: number
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return 'must be an ISO 8601 date-time with offset, or integer epoch milliseconds'
    ms = raw
  } else if (typeof raw === 'string') {
    if (!ISO_WITH_ZONE.test(raw)) return `"${raw.slice(0, 40)}" is not an ISO 8601 date-time with an offset (e.g. 2025-02-06T09:12:35Z)`
    ms = Date.parse(raw)
  } else {
    return 'is required: an ISO 8601 date-time with offset, or integer epoch milliseconds'
  }
  if (!Number.isFinite(ms)) return 'is not a valid date'
  return new Date(Math.floor(ms / 1000) * 1000)
}

function rateInMgDl(rate: number, unit: GlucoseUnit): number {
  return unit === 'mmol/L' ? Math.round(rate * MG_DL_PER_MMOL_L * 100) / 100 : rate
}
