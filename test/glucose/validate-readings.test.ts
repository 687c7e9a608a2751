import t from 'tap'
import { validateReadings } from '../../src/glucose/validate-readings.js'

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
