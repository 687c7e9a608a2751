// Nightscout `sgv` entries to our rows (fields: shared/reference/PROVIDERS.md, Nightscout section).
import type { Trend } from '../../glucose/trends.js'
import type { ReadingRow } from '../../glucose/validate-readings.js'
import { timeProblem, valueProblem } from '../map-records.js'
import type { Mapped } from '../provider.js'

// Our canonical trends are Dexcom's; Nightscout's Triple arrows (some uploaders) have no counterpart and are the
// nearest, double. Unknown names get no trend rather than a guess.
const DIRECTIONS: Record<string, Trend> = {
  TripleUp: 'doubleUp', DoubleUp: 'doubleUp', SingleUp: 'singleUp', FortyFiveUp: 'fortyFiveUp', Flat: 'flat',
  FortyFiveDown: 'fortyFiveDown', SingleDown: 'singleDown', DoubleDown: 'doubleDown', TripleDown: 'doubleDown',
  NONE: 'none', 'NOT COMPUTABLE': 'notComputable', 'RATE OUT OF RANGE': 'rateOutOfRange',
}

export function nightscoutTrend(direction: unknown): Trend | null {
  return typeof direction === 'string' && Object.hasOwn(DIRECTIONS, direction) ? DIRECTIONS[direction]! : null
}

export function mapEntry(entry: unknown, now = Date.now()): Mapped<ReadingRow> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return { ok: false, reason: 'malformed entry' }
  const e = entry as Record<string, unknown>
  if (e.type !== 'sgv') return { ok: false, reason: 'not an sgv entry' }
  // `date` (ms since the epoch) is what Nightscout sorts and filters on; dateString is for display.
  if (typeof e.date !== 'number' || !Number.isInteger(e.date)) return { ok: false, reason: 'missing or invalid date' }
  const time = new Date(Math.floor(e.date / 1000) * 1000)
  const late = timeProblem(time, now, 'date')
  if (late) return { ok: false, reason: late }
  if (typeof e.sgv !== 'number' || !Number.isFinite(e.sgv)) return { ok: false, reason: 'sgv not a number' }
  // Values below 20 are Dexcom error codes that uploaders pass through (sgv 1–12), not glucose: refused here.
  const bad = valueProblem(Math.round(e.sgv))
  if (bad) return { ok: false, reason: bad }
  const recordId = typeof e._id === 'string' && e._id.length > 0 && e._id.length <= 200 ? e._id : null
  return { ok: true, value: { time, valueMgDl: Math.round(e.sgv), trend: nightscoutTrend(e.direction), trendRate: null, recordId } }
}
