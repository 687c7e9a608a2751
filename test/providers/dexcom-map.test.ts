// Dexcom v3 record mapping: times with and without zone, null values, trends, units, carbs events.
import t from 'tap'
import { mapEgv, mapEvent } from '../../src/providers/dexcom/map.js'

const egv = (over: Record<string, unknown> = {}) => ({
  recordId: 'r-1', systemTime: '2025-02-06T09:12:35+00:00', displayTime: '2025-02-06T01:12:35-08:00',
  value: 112, status: 'ok', trend: 'fortyFiveUp', trendRate: 1.5, unit: 'mg/dL', rateUnit: 'mg/dL/min', ...over,
})

t.test('EGVs', async (t) => {
  t.same(mapEgv(egv()), { ok: true, value: { time: new Date('2025-02-06T09:12:35Z'), valueMgDl: 112, trend: 'fortyFiveUp', trendRate: 1.5, recordId: 'r-1' } })
  const receiver = mapEgv(egv({ systemTime: '2025-02-06T09:12:35', displayTime: '2025-02-06T03:14:09' }))
  t.same(receiver.ok && receiver.value.time, new Date('2025-02-06T09:12:35Z'), 'zone-less systemTime is UTC; displayTime ignored')
  t.same(mapEgv(egv({ value: null, status: 'low' })), { ok: false, reason: 'value null (status low)' })
  t.same(mapEgv(egv({ value: null, status: 'high' })), { ok: false, reason: 'value null (status high)' })
  const unknownTrend = mapEgv(egv({ trend: 'unknown', trendRate: null }))
  t.same(unknownTrend.ok && [unknownTrend.value.trend, unknownTrend.value.trendRate], [null, null])
  const mmol = mapEgv(egv({ value: 6.2, unit: 'mmol/L', trendRate: 0.1, rateUnit: 'mmol/L/min' }))
  t.same(mmol.ok && [mmol.value.valueMgDl, mmol.value.trendRate], [112, 1.8])
  t.same(mapEgv(egv({ systemTime: 'yesterday' })), { ok: false, reason: 'missing or invalid systemTime' })
  t.same(mapEgv(egv({ value: '112' })), { ok: false, reason: 'value not a number' })
  t.same(mapEgv(egv({ systemTime: new Date(Date.now() + 86_400_000).toISOString() })), { ok: false, reason: 'systemTime out of range' })
  t.same(mapEgv(null), { ok: false, reason: 'malformed record' })
})

t.test('events', async (t) => {
  const carbs = (over: Record<string, unknown> = {}) => ({ recordId: 'e-1', systemTime: '2025-02-06T12:00:00+00:00', eventType: 'carbs', eventStatus: 'created', value: '45', unit: 'grams', ...over })
  t.same(mapEvent(carbs()), { kind: 'meal', meal: { recordId: 'e-1', eatenAt: new Date('2025-02-06T12:00:00Z'), name: 'Carbs 45 g (Dexcom)', carbsG: 45 } })
  t.match(mapEvent(carbs({ value: 30 })), { kind: 'meal', meal: { carbsG: 30 } }, 'number value too')
  t.same(mapEvent(carbs({ eventStatus: 'deleted' })), { kind: 'deleted', recordId: 'e-1' })
  t.same(mapEvent(carbs({ eventType: 'insulin', unit: 'units' })), { kind: 'ignored' })
  t.same(mapEvent(carbs({ value: 'lots' })), { kind: 'skipped', reason: 'carbs value not a number of grams' })
  t.same(mapEvent(carbs({ value: '' })), { kind: 'skipped', reason: 'carbs value not a number of grams' })
  t.same(mapEvent(carbs({ recordId: undefined })), { kind: 'skipped', reason: 'event without recordId' })
})
