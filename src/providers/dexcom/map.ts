// Dexcom API v3 records to our rows (field names and enums: shared/reference/PROVIDERS.md, Dexcom section).
import type { Trend } from '../../glucose/trends.js'
import { MG_DL_PER_MMOL_L, toStoredMgDl } from '../../glucose/units.js'
import type { ReadingRow } from '../../glucose/validate-readings.js'
import { timeProblem, valueProblem } from '../map-records.js'
import type { Mapped, ProviderMeal } from '../provider.js'

// Our canonical trends are Dexcom's names; only `unknown` (no information at all) has no counterpart.
const TRENDS: Record<string, Trend | null> = {
  doubleUp: 'doubleUp', singleUp: 'singleUp', fortyFiveUp: 'fortyFiveUp', flat: 'flat',
  fortyFiveDown: 'fortyFiveDown', singleDown: 'singleDown', doubleDown: 'doubleDown',
  none: 'none', notComputable: 'notComputable', rateOutOfRange: 'rateOutOfRange', unknown: null,
}
const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i

/**
 * systemTime is UTC; app records carry `+00:00`, receiver records no zone at all (v3 egvs page). displayTime is the
 * device's wall clock, which users set by hand, so it is never used for the instant.
 */
export function parseSystemTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !ISO.test(value)) return undefined
  const ms = Date.parse(ZONED.test(value) ? value : `${value}Z`)
  return Number.isNaN(ms) ? undefined : new Date(Math.floor(ms / 1000) * 1000)
}

/** `2025-02-06T09:12:35`: the zone-less form Dexcom wants in startDate/endDate/lastSyncTime. */
export function naiveIso(time: Date): string {
  return time.toISOString().slice(0, 19)
}

export function mapEgv(record: unknown, now = Date.now()): Mapped<ReadingRow> {
  if (typeof record !== 'object' || record === null) return { ok: false, reason: 'malformed record' }
  const r = record as Record<string, unknown>
  const time = parseSystemTime(r.systemTime)
  if (!time) return { ok: false, reason: 'missing or invalid systemTime' }
  const late = timeProblem(time, now, 'systemTime')
  if (late) return { ok: false, reason: late }
  // Below 40 / above 400 mg/dL Dexcom sends value null with status low/high (the receiver shows LOW/HIGH): not a
  // number we can store, and inventing 39/401 would bias every statistic.
  if (r.value === null || r.value === undefined) return { ok: false, reason: `value null (status ${typeof r.status === 'string' ? r.status : 'missing'})` }
  if (typeof r.value !== 'number' || !Number.isFinite(r.value)) return { ok: false, reason: 'value not a number' }
  const mmol = r.unit === 'mmol/L'
  const value = toStoredMgDl(r.value, mmol ? 'mmol/L' : 'mg/dL')
  const bad = valueProblem(value)
  if (bad) return { ok: false, reason: bad }
  const trend = typeof r.trend === 'string' && Object.hasOwn(TRENDS, r.trend) ? TRENDS[r.trend]! : null
  let trendRate: number | null = null
  if (typeof r.trendRate === 'number' && Number.isFinite(r.trendRate) && Math.abs(r.trendRate) <= 100) {
    trendRate = r.rateUnit === 'mmol/L/min' ? Math.round(r.trendRate * MG_DL_PER_MMOL_L * 100) / 100 : r.trendRate
  }
  const recordId = typeof r.recordId === 'string' && r.recordId.length > 0 && r.recordId.length <= 200 ? r.recordId : null
  return { ok: true, value: { time, valueMgDl: value, trend, trendRate, recordId } }
}

export type MappedEvent =
  | { kind: 'meal'; meal: ProviderMeal }
  | { kind: 'deleted'; recordId: string }
  | { kind: 'ignored' } // not a carbs event: insulin, exercise… are for later issues
  | { kind: 'skipped'; reason: string }

/** Carbs events become meals; a deleted event deletes its meal. `value` is a string in v3's schema, a number in
 * its sample: both are taken. */
export function mapEvent(record: unknown): MappedEvent {
  if (typeof record !== 'object' || record === null) return { kind: 'skipped', reason: 'malformed event' }
  const r = record as Record<string, unknown>
  if (r.eventType !== 'carbs') return { kind: 'ignored' }
  if (typeof r.recordId !== 'string' || r.recordId.length === 0 || r.recordId.length > 200) return { kind: 'skipped', reason: 'event without recordId' }
  if (r.eventStatus === 'deleted') return { kind: 'deleted', recordId: r.recordId }
  const eatenAt = parseSystemTime(r.systemTime)
  if (!eatenAt) return { kind: 'skipped', reason: 'event with invalid systemTime' }
  const grams = typeof r.value === 'number' ? r.value : typeof r.value === 'string' && r.value.trim() !== '' ? Number(r.value) : NaN
  if (!Number.isFinite(grams) || grams < 0 || grams > 10_000) return { kind: 'skipped', reason: 'carbs value not a number of grams' }
  if (r.unit !== undefined && r.unit !== null && r.unit !== 'grams') return { kind: 'skipped', reason: `carbs in unit ${String(r.unit).slice(0, 20)}` }
  return { kind: 'meal', meal: { recordId: r.recordId, eatenAt, name: `Carbs ${grams} g (Dexcom)`, carbsG: grams } }
}
