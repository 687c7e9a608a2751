// Our readings in Nightscout's `sgv` entry shape, and Nightscout's numeric trend codes. Direction names map onto our
// trends through the pull client's table (src/providers/nightscout/map.ts), so both directions use one mapping.
import type { Trend } from '../glucose/trends.js'
import { nightscoutTrend } from '../providers/nightscout/map.js'

/**
 * Numeric `trend` codes, indexed by code: Dexcom Share's trend numbers, which share2nightscout-bridge and Dexcom
 * uploaders store beside `direction` (0 NONE … 9 RATE OUT OF RANGE; TripleUp/TripleDown have no code of their own).
 */
export const TREND_CODE_DIRECTIONS = [
  'NONE', 'DoubleUp', 'SingleUp', 'FortyFiveUp', 'Flat', 'FortyFiveDown', 'SingleDown', 'DoubleDown',
  'NOT COMPUTABLE', 'RATE OUT OF RANGE',
] as const
type Direction = (typeof TREND_CODE_DIRECTIONS)[number]

// Our trend back to a direction name: the inverse of the pull client's table over the coded names (no Triple*).
const DIRECTION_OF = new Map<Trend, Direction>()
for (const direction of TREND_CODE_DIRECTIONS) DIRECTION_OF.set(nightscoutTrend(direction)!, direction)

/** The trend of an uploaded entry: `direction` when it names one, else the numeric `trend` some uploaders add. */
export function entryTrend(direction: unknown, trendCode: unknown): Trend | null {
  const named = nightscoutTrend(direction)
  if (named !== null) return named
  const code = typeof trendCode === 'string' && /^\d$/.test(trendCode) ? Number(trendCode) : trendCode
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code < TREND_CODE_DIRECTIONS.length
    ? nightscoutTrend(TREND_CODE_DIRECTIONS[code])
    : null
}

export interface NightscoutEntry {
  _id: string
  type: 'sgv'
  sgv: number
  date: number
  dateString: string
  sysTime: string
  direction: Direction
  trend: number
  device: string
  utcOffset: 0
}

/** Shown when an upload named no device (the readings themselves do not keep one). */
export const DEFAULT_DEVICE = 'nightscout-upload'

/**
 * One reading as Nightscout serves an `sgv` entry. `_id` is 24 hex digits like a MongoDB ObjectId (some clients
 * check the form): the epoch seconds, as an ObjectId starts, then zeros. A site shows one source, which has one
 * reading per second, so the id is unique within the site and stable across reads.
 */
export function toNightscoutEntry(time: Date, sgv: number, trend: Trend | null, device: string): NightscoutEntry {
  const ms = time.getTime()
  const iso = time.toISOString()
  const direction = (trend && DIRECTION_OF.get(trend)) ?? 'NONE'
  return {
    _id: Math.floor(ms / 1000).toString(16).padStart(8, '0') + '0'.repeat(16),
    type: 'sgv',
    sgv,
    date: ms,
    dateString: iso,
    sysTime: iso,
    direction,
    trend: TREND_CODE_DIRECTIONS.indexOf(direction),
    device,
    utcOffset: 0,
  }
}
