import fc from 'fast-check'
import t from 'tap'
import { ISO_WITH_ZONE, utcSecondsMs, validateReadings } from '../../src/glucose/validate-readings.js'
import { newestSeconds } from '../../src/live/readings-committed.js'

const now = new Date('2025-06-01T12:00:00Z')

t.test('valid readings are converted to the stored form', async (t) => {
  const { valid, problems, validIndexes } = validateReadings(
    [
      { time: '2025-06-01T11:55:00.750+02:00', value: 6.1, trend: 'flat', trendRate: 0.1, recordId: 'r1' },
      { time: Date.parse('2025-06-01T11:50:00Z'), value: 5 },
    ],
    'mmol/L',
    now,
  )
  t.same(problems, [])
  t.same(validIndexes, [0, 1])
  // +02:00 -> 09:55 UTC; milliseconds dropped so jittered re-sends are the same reading
  t.equal(valid[0]!.time.toISOString(), '2025-06-01T09:55:00.000Z')
  t.equal(valid[0]!.valueMgDl, 110) // 6.1 × 18.0182 = 109.91
  t.equal(valid[0]!.trendRate, 1.8) // 0.1 mmol/L/min = 1.80 mg/dL/min
  t.equal(valid[1]!.valueMgDl, 90) // 90.09
  t.equal(valid[1]!.trend, null)
})

t.test('every problem is reported with its index and field', async (t) => {
  const { valid, problems } = validateReadings(
    [
      { time: '2025-06-01T11:00:00Z', value: 100 },
      { time: '2025-06-01 11:00', value: 100 },
      { time: '2025-06-01T13:00:00Z', value: 100 },
      { time: '2025-06-01T11:00:00Z', value: 700 },
      { time: '2025-06-01T11:00:00Z', value: '100' },
      { time: '2025-06-01T11:00:00Z', value: 100, trend: 'up', extra: true },
      'not an object',
      { value: 100 },
      { time: 1_000, value: 100 },
    ],
    'mg/dL',
    now,
  )
  t.equal(valid.length, 1)
  const at = (index: number) => problems.filter((p) => p.index === index).map((p) => `${p.field}: ${p.message}`)
  t.match(at(1), [/^time: .*not an ISO 8601 date-time with an offset/])
  t.match(at(2), [/^time: is in the future/])
  t.match(at(3), [/^value: 700 mg\/dL is outside the possible range 20–600 mg\/dL/])
  t.match(at(4), [/^value: must be a number in mg\/dL/])
  t.match(at(5), [/^extra: unknown field/, /^trend: must be one of doubleUp/])
  t.match(at(6), [/must be an object/])
  t.match(at(7), [/^time: is required/])
  t.match(at(8), [/^time: is before 2000-01-01/])
})

t.test('the range is checked in the batch unit', async (t) => {
  const { problems } = validateReadings([{ time: '2025-06-01T11:00:00Z', value: 120 }], 'mmol/L', now)
  t.match(problems, [{ index: 0, field: 'value', message: /120 mmol\/L is outside the possible range 1\.1–33\.3 mmol\/L; is the unit right\?/ }])
})

t.test('ten minutes of clock skew are tolerated', async (t) => {
  const { problems } = validateReadings([{ time: '2025-06-01T12:09:00Z', value: 100 }, { time: '2025-06-01T12:11:00Z', value: 100 }], 'mg/dL', now)
  t.same(problems.map((p) => p.index), [1])
})

// The hand-written reader of "YYYY-MM-DDTHH:MM:SS(.f)Z" must agree with the general way (regex, Date.parse, floor to
// the second) wherever it answers, and step aside for everything it does not take.
t.test('the fast time reader agrees with Date.parse, or declines', async (t) => {
  const pad = (n: number, w: number) => String(n).padStart(w, '0')
  const general = (s: string) => (ISO_WITH_ZONE.test(s) ? Math.floor(Date.parse(s) / 1000) * 1000 : undefined)
  // Mostly well-formed, with every field now and then just outside its range, and other zones and separators.
  const field = (min: number, max: number, edgeMax: number) =>
    fc.oneof({ arbitrary: fc.integer({ min, max }), weight: 9 }, { arbitrary: fc.integer({ min: 0, max: edgeMax }), weight: 1 })
  const near = fc.record({
    year: field(1000, 2100, 9999), month: field(1, 12, 13), day: field(1, 31, 32),
    hour: field(0, 23, 25), minute: field(0, 59, 61), second: field(0, 59, 61),
    fraction: fc.oneof(fc.constant(''), fc.stringMatching(/^\.\d{1,10}$/), fc.constant('.')),
    zone: fc.oneof({ arbitrary: fc.constant('Z'), weight: 6 }, fc.constantFrom('z', '+00:00', '+02:00', '')),
    t: fc.oneof({ arbitrary: fc.constant('T'), weight: 6 }, fc.constantFrom('t', ' ')),
  }).map((f) => `${pad(f.year, 4)}-${pad(f.month, 2)}-${pad(f.day, 2)}${f.t}${pad(f.hour, 2)}:${pad(f.minute, 2)}:${pad(f.second, 2)}${f.fraction}${f.zone}`)
  let taken = 0
  fc.assert(fc.property(fc.oneof(near, fc.string({ maxLength: 32 })), (s) => {
    const fast = utcSecondsMs(s)
    if (fast === undefined) return true
    taken++
    return fast === general(s)
  }), { numRuns: 20_000 })
  t.ok(taken > 1000, `the fast reader answered ${taken} of the generated times`)
  t.equal(utcSecondsMs('2025-06-01T11:55:00.750Z'), Date.parse('2025-06-01T11:55:00Z'))
  t.equal(utcSecondsMs('2024-02-29T00:00:00Z'), undefined, 'a day past 28 goes the general way')
  t.equal(utcSecondsMs('2025-06-01T1a:00:00Z'), undefined)
})

t.test('newestSeconds: the n newest distinct whole seconds, newest first, whatever the order', async (t) => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 60 }), fc.integer({ min: 1, max: 15 }), (times, n) => {
    const readings = times.map((ms) => ({ time: new Date(ms) }))
    const expected = [...new Set(times.map((ms) => Math.floor(ms / 1000) * 1000))].sort((a, b) => b - a).slice(0, n)
    return JSON.stringify(newestSeconds(readings, n)) === JSON.stringify(expected)
  }), { numRuns: 2000 })
  t.same(newestSeconds([{ time: new Date(1500) }, { time: new Date(3000) }, { time: new Date(1000) }], 12), [3000, 1000])
})
