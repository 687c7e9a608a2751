// LibreLinkUp glucose items to our rows (fields: shared/reference/PROVIDERS.md, Abbott section).
import type { Trend } from '../../glucose/trends.js'
import { toStoredMgDl } from '../../glucose/units.js'
import type { ReadingRow } from '../../glucose/validate-readings.js'
import { timeProblem, valueProblem } from '../map-records.js'
import type { Mapped } from '../provider.js'

// TrendArrow 1 SingleDown … 5 SingleUp (PROVIDERS.md); Libre has no double arrows.
const ARROWS: Record<number, Trend> = { 1: 'singleDown', 2: 'fortyFiveDown', 3: 'flat', 4: 'fortyFiveUp', 5: 'singleUp' }
const TIMESTAMP = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) (AM|PM)$/

/**
 * `12/30/2022 4:47:40 PM` read as UTC: FactoryTimestamp is UTC, Timestamp the phone's local time (PROVIDERS.md),
 * so only FactoryTimestamp gives the instant. Impossible dates (2/30, 13 o'clock) are rejected, not rolled over.
 */
export function parseLluTimestamp(value: unknown): Date | undefined {
  const m = typeof value === 'string' ? TIMESTAMP.exec(value) : null
  if (!m) return undefined
  const [month, day, year, hour12, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  if (hour12 < 1 || hour12 > 12 || minute > 59 || second > 59) return undefined
  const hour = (hour12 % 12) + (m[7] === 'PM' ? 12 : 0)
  const time = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
  return time.getUTCMonth() === month - 1 && time.getUTCDate() === day ? time : undefined
}

/**
 * An arrow 1–5 maps to its trend and any other value to notComputable; an item without the field (graph history
 * points carry none) gets no trend at all, as nothing was claimed about its rate.
 */
export function lluTrend(arrow: unknown): Trend | null {
  if (arrow === undefined) return null
  return typeof arrow === 'number' && Object.hasOwn(ARROWS, arrow) ? ARROWS[arrow]! : 'notComputable'
}

export function mapGlucoseItem(item: unknown, now = Date.now()): Mapped<ReadingRow> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return { ok: false, reason: 'malformed entry' }
  const r = item as Record<string, unknown>
  const time = parseLluTimestamp(r.FactoryTimestamp)
  if (!time) return { ok: false, reason: 'missing or invalid FactoryTimestamp' }
  const late = timeProblem(time, now, 'FactoryTimestamp')
  if (late) return { ok: false, reason: late }
  // Beyond the sensor's range (LO/HI) the number is a placeholder, not a measurement: storing it biases statistics.
  if (r.isHigh === true) return { ok: false, reason: 'HI: above the sensor range' }
  if (r.isLow === true) return { ok: false, reason: 'LO: below the sensor range' }
  let value: number
  if (typeof r.ValueInMgPerDl === 'number' && Number.isFinite(r.ValueInMgPerDl)) value = Math.round(r.ValueInMgPerDl)
  else if (typeof r.Value === 'number' && Number.isFinite(r.Value) && (r.GlucoseUnits === 0 || r.GlucoseUnits === 1)) {
    value = toStoredMgDl(r.Value, r.GlucoseUnits === 0 ? 'mmol/L' : 'mg/dL') // GlucoseUnits: 0 mmol/L, 1 mg/dL
  } else return { ok: false, reason: 'value not a number' }
  const bad = valueProblem(value)
  if (bad) return { ok: false, reason: bad }
  // LibreLinkUp gives items no id; the (user, time, source) key makes re-sent items idempotent.
  return { ok: true, value: { time, valueMgDl: value, trend: lluTrend(r.TrendArrow), trendRate: null, recordId: null } }
}
