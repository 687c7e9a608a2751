// The report from the hourly rollup equals the report from raw readings (sql/glucose-report.sql), on the trace of
// rollups-fixture.ts: two overlapping sources, values on the band boundaries, periods with partial edge hours.
// Hand-computed numbers at the API's resolution: 0.1 for glucose and percents, 0.01 for GMI, LBGI and HBGI.
import t from 'tap'
import { glucoseReport, rollupHours, type GlucoseReport } from '../../src/analytics/glucose-report.js'
import { signToken } from '../../src/auth/sign-token.js'
import { connect } from '../../src/db/connect.js'
import { request, startApp, testConfig } from '../helpers.js'
import { DAY1, DAY2, DAY4, seedTrace } from './rollups-fixture.js'

const db = connect(testConfig().databaseUrl, { max: 2 })
t.teardown(() => db.close())
const at = (iso: string, minutes = 0) => new Date(Date.parse(iso) + minutes * 60_000)

// Both ways on the same data; they must agree in every field but the one saying which way was taken.
async function bothWays(user: string, from: Date, to: Date) {
  const rollups = await glucoseReport(db.sql, user, from, to, 'rollups')
  const readings = await glucoseReport(db.sql, user, from, to, 'readings')
  return { rollups, readings, same: (r: GlucoseReport) => ({ ...r, fromRollups: undefined }) }
}

t.test('whole days: rollup and raw agree on the hand-computed report; DEXCOM wins 864 to 289', async (t) => {
  const user = await seedTrace(db.sql)
  const { rollups, readings, same } = await bothWays(user, at(DAY1), at(DAY4))
  t.equal(rollups.fromRollups, true)
  t.equal(readings.fromRollups, false)
  t.same(same(rollups), same(readings))
  // 72 hours × (40 53 54 69 70 100 180 181 250 251 300 120): n = 864, mean 1668 / 12 = 139,
  // SD = √((864·23187456 − 120096²) / (864·863)) = √7525.04 = 86.75, CV = 100·86.747/139 = 62.41,
  // GMI = 3.31 + 0.02392·139 = 6.635 → 6.63 (6.63488); bands 2/12 each but in range 4/12;
  // GRI = 3.0·16.67 + 2.4·16.67 + 1.6·16.67 + 0.8·16.67 = 130 → capped at 100;
  // LBGI = 90.7527 / 12 = 7.56, HBGI = 94.8376 / 12 = 7.90 (per-hour risk sums, see rollups-sums.test.ts)
  t.match(rollups, {
    source: 'DEXCOM', readings: 864, meanMgDl: 139, sdMgDl: 86.7, cvPct: 62.4, gmiPct: 6.63,
    percentVeryLow: 16.7, percentLow: 16.7, percentInRange: 33.3, percentHigh: 16.7, percentVeryHigh: 16.7,
    gri: 100, lbgi: 7.56, hbgi: 7.9, coveragePct: 100, periodDays: 3, sufficient: false,
  })
  t.same(rollups.agp, readings.agp, 'the AGP reads raw readings either way')
  t.equal(rollups.agp.length, 96)
})

t.test('partial edge hours come from readings: from 00:07, to 23:53', async (t) => {
  const user = await seedTrace(db.sql)
  const from = at(DAY1, 7)
  const to = at(DAY4, -7)
  t.same(rollupHours(from, to, 'rollups')?.map((d) => d.toISOString()), ['2025-02-03T01:00:00.000Z', '2025-02-05T23:00:00.000Z'])
  const { rollups, readings, same } = await bothWays(user, from, to)
  t.same(same(rollups), same(readings))
  // Without 00:00 (40) and 00:05 (53) at the start and 23:55 (120) at the end: n = 861, Σg = 120096 − 213 = 119883,
  // mean = 139.237; very low (144 − 2) / 861 = 16.49 %; in range 287 / 861 = 33.33 %; high 144 / 861 = 16.72 %.
  // Coverage: readings in 861 slots of the 862 clock slots from 00:05 to 23:50 = 99.88 %.
  t.match(rollups, {
    source: 'DEXCOM', readings: 861, meanMgDl: 139.2, sdMgDl: 86.8, cvPct: 62.3, gmiPct: 6.64,
    percentVeryLow: 16.5, percentLow: 16.7, percentInRange: 33.3, percentHigh: 16.7, percentVeryHigh: 16.7,
    lbgi: 7.52, hbgi: 7.93, coveragePct: 99.9,
  })
})

t.test('the one-series rule applies to the rollup rows: the middle day is NIGHTSCOUT\'s, 289 to 288', async (t) => {
  const user = await seedTrace(db.sql)
  const { rollups, readings, same } = await bothWays(user, at(DAY2), at(DAY2, 1440))
  t.same(same(rollups), same(readings))
  // 289 readings of 150 in 288 slots; a double count would mix in DEXCOM's 288 readings (mean 144.5)
  // HBGI = r(150) = 10·(1.509·(ln(150)^1.084 − 5.381))² = 2.8857
  t.match(rollups, { source: 'NIGHTSCOUT', readings: 289, meanMgDl: 150, sdMgDl: 0, percentInRange: 100, lbgi: 0, hbgi: 2.89, coveragePct: 100 })
  // within one hour there are no whole hours to read from the rollup; 10:00–10:40 holds NIGHTSCOUT's 10:02 too (9 to 8)
  const short = await glucoseReport(db.sql, user, at(DAY2, 600), at(DAY2, 640), 'rollups')
  t.match(short, { fromRollups: false, source: 'NIGHTSCOUT', readings: 9, meanMgDl: 150 })
})

t.test('the API reads the rollup for periods over 3 days, with the same numbers', async (t) => {
  const app = await startApp(t)
  const user = await seedTrace(db.sql)
  const token = signToken(app.config, user)
  const get = async (from: Date, to: Date) => {
    const res = await request(app.url, token, 'GET', `/api/v1/glucose/report?from=${from.toISOString()}&to=${to.toISOString()}`)
    t.equal(res.status, 200)
    return res.body
  }
  const threeDays = await get(at(DAY1), at(DAY4))
  t.match(threeDays, { fromRollups: false, readings: 864, meanMgDl: 139, sdMgDl: 86.7 })
  // one empty day more: 864 of 1152 slots = 75 %, 4 days
  const fourDays = await get(at(DAY1, -1440), at(DAY4))
  t.match(fourDays, { fromRollups: true, readings: 864, meanMgDl: 139, sdMgDl: 86.7, cvPct: 62.4, percentInRange: 33.3, lbgi: 7.56, coveragePct: 75, periodDays: 4 })
  t.same(fourDays.agp, threeDays.agp)
  // with no readings at all, both ways give nulls, not zeros
  const empty = await glucoseReport(db.sql, user, at(DAY1, -10 * 1440), at(DAY1, -5 * 1440))
  t.match(empty, { fromRollups: true, readings: 0, source: null, meanMgDl: null, sdMgDl: null, gri: null, coveragePct: 0, agp: [] })
})
