// glucose_hourly and glucose_daily (migrations/0018_glucose_rollups_summable.*.sql) against sums computed by hand on the
// trace of rollups-fixture.ts, and mean / SD / TIR derived from the summed columns against the raw readings.
import t from 'tap'
import { connect } from '../../src/db/connect.js'
import { testConfig } from '../helpers.js'
import { DAY1, DAY4, seedTrace } from './rollups-fixture.js'

const db = connect(testConfig().databaseUrl, { max: 2 })
t.teardown(() => db.close())

// The summable columns, as numbers (bigint comes back from postgres.js as text).
const columns = () => db.sql`readings::int, sum_mg_dl::int, sum_sq_mg_dl::int, readings_very_low::int AS vlow, readings_low::int AS low,
  readings_in_range::int AS tir, readings_high::int AS high, readings_very_high::int AS vhigh, slots_5min::int AS slots,
  min_mg_dl, max_mg_dl, round(mean_mg_dl::numeric, 6)::float8 AS mean,
  round(risk_low_sum::numeric, 4)::float8 AS risk_low, round(risk_high_sum::numeric, 4)::float8 AS risk_high`

t.test('hourly rows per source hold the hand-computed sums, band counts and slots', async (t) => {
  const user = await seedTrace(db.sql)
  const rows = await db.sql`SELECT source::text, bucket, ${columns()} FROM glucose_hourly WHERE user_id = ${user} ORDER BY source, bucket`
  const dexcom = rows.filter((r) => r.source === 'DEXCOM')
  t.equal(dexcom.length, 72, 'three days of hours')
  // Every hour: values 40 53 54 69 70 100 180 181 250 251 300 120.
  // Σg = 1668; Σg² = 1600 + 2809 + 2916 + 4761 + 4900 + 10000 + 32400 + 32761 + 62500 + 63001 + 90000 + 14400 = 322048
  // bands at the boundaries: < 54 {40, 53}; 54 ≤ g < 70 {54, 69}; 70 ≤ g ≤ 180 {70, 100, 180, 120};
  // 180 < g ≤ 250 {181, 250}; > 250 {251, 300}. Mean 1668 / 12 = 139.
  // Risk (f(g) = 1.509·(ln(g)^1.084 − 5.381), r = 10·f²): low r(40) 36.4175 + r(53) 19.4063 + r(54) 18.4614 + r(69) 8.2303
  // + r(70) 7.7552 + r(100) 0.4821 = 90.7527 (f < 0 up to about 112.5 mg/dL); high r(120) 0.1441 + r(180) 7.7293
  // + r(181) 7.9134 + r(250) 22.4362 + r(251) 22.6626 + r(300) 33.9520 = 94.8376.
  const hour = { readings: 12, sum_mg_dl: 1668, sum_sq_mg_dl: 322048, vlow: 2, low: 2, tir: 4, high: 2, vhigh: 2, slots: 12, min_mg_dl: 40, max_mg_dl: 300, mean: 139, risk_low: 90.7527, risk_high: 94.8376 }
  for (const { source: _source, bucket: _bucket, ...sums } of dexcom) t.same(sums, hour)
  t.equal(dexcom[0]!.bucket.toISOString(), '2025-02-03T00:00:00.000Z')

  const nightscout = rows.filter((r) => r.source === 'NIGHTSCOUT')
  t.equal(nightscout.length, 24, 'the middle day only, kept apart from DEXCOM')
  // 10:00–11:00 holds the extra 10:02 reading: 13 readings of 150 in the 12 five-minute slots
  const ten = nightscout.find((r) => r.bucket.toISOString() === '2025-02-04T10:00:00.000Z')
  t.match(ten, { readings: 13, sum_mg_dl: 1950, sum_sq_mg_dl: 292500, tir: 13, slots: 12, mean: 150, risk_low: 0 })
})

t.test('daily rows sum the hours; summed columns give the raw mean, SD and TIR', async (t) => {
  const user = await seedTrace(db.sql)
  const daily = await db.sql`SELECT source::text, bucket, ${columns()} FROM glucose_daily WHERE user_id = ${user} ORDER BY source, bucket`
  // DEXCOM, each UTC day: 24 hours × the hour above. Σg = 40032, Σg² = 7729152, bands 48/48/96/48/48, risk ×24.
  const day = { source: 'DEXCOM', readings: 288, sum_mg_dl: 40032, sum_sq_mg_dl: 7729152, vlow: 48, low: 48, tir: 96, high: 48, vhigh: 48, slots: 288, min_mg_dl: 40, max_mg_dl: 300, mean: 139 }
  t.same(daily.map((r) => r.bucket.toISOString()), ['2025-02-03T00:00:00.000Z', '2025-02-04T00:00:00.000Z', '2025-02-05T00:00:00.000Z', '2025-02-04T00:00:00.000Z'])
  for (const row of daily.slice(0, 3)) t.match(row, day)
  t.ok(Math.abs(daily[0]!.risk_low - 24 * 90.75272) < 1e-3 && Math.abs(daily[0]!.risk_high - 24 * 94.83761) < 1e-3, 'risk sums are 24 hours of risk')
  // NIGHTSCOUT, the middle day: 289 readings of 150 in 288 slots. Σg = 43350, Σg² = 289 · 22500 = 6502500
  t.match(daily[3], { source: 'NIGHTSCOUT', readings: 289, sum_mg_dl: 43350, sum_sq_mg_dl: 6502500, tir: 289, slots: 288, mean: 150 })

  // Derived by summing DEXCOM's three days: n = 864, Σg = 120096, Σg² = 23187456.
  // mean = 139; SD = √((n·Σg² − (Σg)²) / (n·(n − 1))) = √((20033961984 − 14423049216) / 745632) = √7525.04 = 86.747
  // TIR = 288 / 864 = 33.33 %. The same three numbers from the raw readings of that source:
  const [derived] = await db.sql`
    SELECT sum(sum_mg_dl)::float8 / sum(readings) AS mean,
           sqrt((sum(readings) * sum(sum_sq_mg_dl) - sum(sum_mg_dl) ^ 2) / (sum(readings) * (sum(readings) - 1)))::float8 AS sd,
           100 * sum(readings_in_range)::float8 / sum(readings) AS tir
    FROM glucose_daily WHERE user_id = ${user} AND source = 'DEXCOM'`
  const [raw] = await db.sql`
    SELECT avg(value)::float8 AS mean, stddev_samp(value)::float8 AS sd,
           100 * count(*) FILTER (WHERE value BETWEEN 70 AND 180)::float8 / count(*) AS tir
    FROM glucose_readings WHERE user_id = ${user} AND source = 'DEXCOM' AND time >= ${DAY1} AND time < ${DAY4}`
  t.equal(derived!.mean, 139)
  t.equal(Math.round(derived!.sd * 1000) / 1000, 86.747)
  t.equal(Math.round(derived!.tir * 100) / 100, 33.33)
  t.ok(Math.abs(derived!.sd - raw!.sd) < 1e-9 && derived!.mean === raw!.mean && Math.abs(derived!.tir - raw!.tir) < 1e-9, 'rollup sums = raw')
})
