// LibreLinkUp and Nightscout record mapping, without HTTP: the edge cases the simulators do not produce.
import t from 'tap'
import { lluTrend, mapGlucoseItem, parseLluTimestamp } from '../../src/providers/libre-link-up/map.js'
import { mapEntry, nightscoutTrend } from '../../src/providers/nightscout/map.js'

const NOW = Date.UTC(2025, 9, 20, 14, 0, 0)

t.test('LibreLinkUp timestamps are UTC, 12-hour, strict', async (t) => {
  t.equal(parseLluTimestamp('12/30/2022 4:47:40 PM')?.toISOString(), '2022-12-30T16:47:40.000Z')
  t.equal(parseLluTimestamp('1/5/2023 12:03:09 AM')?.toISOString(), '2023-01-05T00:03:09.000Z', '12 AM is midnight')
  t.equal(parseLluTimestamp('7/4/2023 12:00:00 PM')?.toISOString(), '2023-07-04T12:00:00.000Z', '12 PM is noon')
  for (const bad of ['2/30/2023 1:00:00 PM', '13/1/2023 1:00:00 PM', '1/1/2023 13:00:00 PM', '1/1/2023 0:00:00 AM', '2023-01-01T00:00:00Z', 20230101, undefined]) {
    t.equal(parseLluTimestamp(bad), undefined, `rejects ${String(bad)}`)
  }
})

t.test('LibreLinkUp arrows and items', async (t) => {
  t.same([1, 2, 3, 4, 5].map(lluTrend), ['singleDown', 'fortyFiveDown', 'flat', 'fortyFiveUp', 'singleUp'])
  t.same([0, 6, null, '3'].map(lluTrend), ['notComputable', 'notComputable', 'notComputable', 'notComputable'])
  t.equal(lluTrend(undefined), null, 'no arrow field: no trend claimed')
  const item = { FactoryTimestamp: '10/20/2025 1:55:00 PM', Timestamp: '10/20/2025 3:55:00 PM', ValueInMgPerDl: 123, Value: 6.8, GlucoseUnits: 0, TrendArrow: 4, isHigh: false, isLow: false }
  t.same(mapGlucoseItem(item, NOW), { ok: true, value: { time: new Date(Date.UTC(2025, 9, 20, 13, 55)), valueMgDl: 123, trend: 'fortyFiveUp', trendRate: null, recordId: null } })
  const { ValueInMgPerDl: _v, ...mmolOnly } = item
  t.match(mapGlucoseItem(mmolOnly, NOW), { ok: true, value: { valueMgDl: 123 } }, 'Value in mmol/L (GlucoseUnits 0) converted')
  t.same(mapGlucoseItem({ ...item, FactoryTimestamp: '10/20/2026 1:55:00 PM' }, NOW), { ok: false, reason: 'FactoryTimestamp out of range' })
  t.same(mapGlucoseItem({ ...item, ValueInMgPerDl: 900 }, NOW), { ok: false, reason: 'value outside 20–600 mg/dL' })
  t.same(mapGlucoseItem({ ...item, isLow: true }, NOW), { ok: false, reason: 'LO: below the sensor range' })
  t.same(mapGlucoseItem({ ...mmolOnly, GlucoseUnits: 7 }, NOW), { ok: false, reason: 'value not a number' }, 'unknown unit: no guess')
  t.same(mapGlucoseItem([item], NOW), { ok: false, reason: 'malformed entry' })
})

t.test('Nightscout entries', async (t) => {
  t.equal(nightscoutTrend('TripleUp'), 'doubleUp')
  t.equal(nightscoutTrend('TripleDown'), 'doubleDown')
  t.equal(nightscoutTrend('toString'), null, 'no prototype keys')
  const entry = { _id: 'abc', type: 'sgv', sgv: 140, date: NOW - 60_500, direction: 'Flat' }
  t.same(mapEntry(entry, NOW), { ok: true, value: { time: new Date(NOW - 61_000), valueMgDl: 140, trend: 'flat', trendRate: null, recordId: 'abc' } }, 'whole seconds')
  t.same(mapEntry({ ...entry, type: 'mbg' }, NOW), { ok: false, reason: 'not an sgv entry' })
  t.same(mapEntry({ ...entry, date: String(NOW) }, NOW), { ok: false, reason: 'missing or invalid date' })
  t.same(mapEntry({ ...entry, date: NOW / 1000 }, NOW), { ok: false, reason: 'date out of range' }, 'seconds instead of ms')
})
