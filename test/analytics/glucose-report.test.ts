// The consensus CGM report on synthetic traces with hand-computed values (definitions: sql/glucose-report.sql).
// Numbers are compared at the API's resolution: 0.1 for glucose and percents, 0.01 for GMI, LBGI and HBGI.
import t, { type Test } from 'tap'
import { startApp } from '../helpers.js'

const PATH = '/api/v1/glucose/report'
const T0 = '2025-01-06T00:00:00.000Z'
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString()

// The real app, and a user who stores readings at minute offsets from T0 and asks for the report.
async function startReportApp(t: Test) {
  const app = await startApp(t)
  return {
    newUser() {
      const send = app.newUser().request
      return {
        send,
        /** Stores [minute from T0, mg/dL] readings for one source. */
        async readings(points: Array<[number, number]>, source = 'DEXCOM') {
          const res = await send('POST', '/api/v1/glucose/readings', { source, readings: points.map(([m, value]) => ({ time: at(m), value })) })
          if (res.status !== 200 || res.body.rejected.length) throw new Error(`ingest failed: ${JSON.stringify(res.body)}`)
        },
        /** The report for [T0 + fromMin, T0 + toMin), asserting 200. */
        async report(fromMin: number, toMin: number) {
          const res = await send('GET', `${PATH}?from=${at(fromMin)}&to=${at(toMin)}`)
          if (res.status !== 200) throw new Error(`GET report: ${res.status} ${JSON.stringify(res.body)}`)
          return res.body
        },
      }
    },
  }
}

const fiveMinutes = (count: number, value: (i: number) => number): Array<[number, number]> =>
  Array.from({ length: count }, (_, i) => [5 * i, value(i)])

t.test('ten readings: mean, SD, CV, GMI, bands at their boundaries, GRI capped, LBGI/HBGI', async (t) => {
  const user = (await startReportApp(t)).newUser()
  const values = [40, 54, 65, 70, 120, 150, 180, 200, 250, 300]
  await user.readings(fiveMinutes(10, (i) => values[i]!)) // minutes 0, 5, …, 45
  const r = await user.report(0, 60)
  t.match(r, { unit: 'mg/dL', source: 'DEXCOM', readings: 10 })
  // sum 1429 → mean 142.9; Σ(g − mean)² = 71236.9, / 9 = 7915.21, SD = 88.967; CV = 100·88.967/142.9 = 62.26
  t.match(r, { meanMgDl: 142.9, sdMgDl: 89, cvPct: 62.3 })
  // GMI = 3.31 + 0.02392·142.9 = 3.31 + 3.418168 = 6.728
  t.equal(r.gmiPct, 6.73)
  // < 54: {40}; 54 ≤ g < 70: {54, 65}; 70 ≤ g ≤ 180: {70, 120, 150, 180}; 180 < g ≤ 250: {200, 250}; > 250: {300}
  t.match(r, { percentVeryLow: 10, percentLow: 20, percentInRange: 40, percentHigh: 20, percentVeryHigh: 10 })
  // GRI = 3.0·10 + 2.4·20 + 1.6·10 + 0.8·20 = 30 + 48 + 16 + 16 = 110, capped at 100
  t.equal(r.gri, 100)
  // f(g) = 1.509·(ln(g)^1.084 − 5.381), r = 10·f². f(40) = 1.509·(3.688879^1.084 − 5.381) = 1.509·(4.116362 − 5.381)
  // = −1.908338 → r = 10·3.641754 = 36.4175; likewise r(54) = 18.4614, r(65) = 10.3514, r(70) = 7.7552 (all f < 0).
  // LBGI = (36.4175 + 18.4614 + 10.3514 + 7.7552) / 10 = 7.2986
  t.equal(r.lbgi, 7.3)
  // f > 0: r(120) = 0.1441, r(150) = 2.8857, r(180) = 7.7293, r(200) = 11.6047, r(250) = 22.4362, r(300) = 33.9520;
  // HBGI = 78.752 / 10 = 7.8752
  t.equal(r.hbgi, 7.88)
  // 10 of the 12 five-minute slots of the hour hold a reading: 83.3 %; an hour is not 14 days
  t.match(r, { coveragePct: 83.3, periodDays: 0.04, sufficient: false })
  t.match(r.insufficientReason, /period is 0\.0 days.*at least 14/)
})

t.test('two sources at the same instants are counted once: most readings, then DEXCOM before NIGHTSCOUT', async (t) => {
  const user = (await startReportApp(t)).newUser()
  // Dexcom: 8 × 100, one 60, one 200 → mean (800 + 60 + 200) / 10 = 106; low 10 %, high 10 %, in range 80 %
  const dexcom = (i: number) => (i === 3 ? 60 : i === 7 ? 200 : 100)
  await user.readings(fiveMinutes(10, dexcom), 'DEXCOM')
  // the same instants from Nightscout, all 300 (a double count would put 50 % above 250)
  await user.readings(fiveMinutes(10, () => 300), 'NIGHTSCOUT')
  const tie = await user.report(0, 60)
  t.match(tie, { source: 'DEXCOM', readings: 10, meanMgDl: 106, percentVeryHigh: 0, percentLow: 10, percentHigh: 10 })
  // GRI = 2.4·10 + 0.8·10 = 32 (uncapped)
  t.equal(tie.gri, 32)
  t.equal(tie.coveragePct, 83.3)
  // one more Nightscout reading: it now has the most readings in the period, and only it counts
  await user.readings([[50, 300]], 'NIGHTSCOUT')
  const more = await user.report(0, 60)
  t.match(more, { source: 'NIGHTSCOUT', readings: 11, meanMgDl: 300, percentVeryHigh: 100, gri: 100 })
  t.equal(more.coveragePct, 91.7) // 11 of 12 slots
})

t.test('sufficient only with ≥ 70 % of the 5-minute readings over 14 days', async (t) => {
  const app = await startReportApp(t)
  const days14 = 14 * 1440
  // 10 days of readings every 5 minutes: 2880 of the 4032 slots of 14 days = 71.4 %
  const enough = app.newUser()
  await enough.readings(fiveMinutes(2880, () => 120))
  t.match(await enough.report(0, days14), { readings: 2880, coveragePct: 71.4, periodDays: 14, sufficient: true, insufficientReason: null })
  // 9 days: 2592 / 4032 = 64.3 %
  const short = app.newUser()
  await short.readings(fiveMinutes(2592, () => 120))
  const r = await short.report(0, days14)
  t.match(r, { coveragePct: 64.3, sufficient: false })
  t.match(r.insufficientReason, /64\.3 % of the expected 5-minute readings.*at least 70 %/)
  // 1-minute readings fill each slot once: 100 % over a day, not 500 %
  const fast = app.newUser()
  await fast.readings(Array.from({ length: 1440 }, (_, m): [number, number] => [m, 120]))
  t.match(await fast.report(0, 1440), { readings: 1440, coveragePct: 100, sufficient: false })
})

t.test('AGP percentiles by local time of day, in 15-minute bins, in the user time zone', async (t) => {
  const user = (await startReportApp(t)).newUser()
  t.equal((await user.send('PATCH', '/api/v1/me', { timezone: 'Asia/Kolkata' })).status, 200)
  // 12:05 UTC = 17:35 in Kolkata (UTC+5:30) on five days: 100, 110, 120, 130, 140; and 12:20 UTC = 17:50 once
  const days = [100, 110, 120, 130, 140].map((v, d): [number, number] => [d * 1440 + 12 * 60 + 5, v])
  await user.readings([...days, [12 * 60 + 20, 90]])
  const r = await user.report(0, 7 * 1440)
  // bins start at 17:30 (1050 min) and 17:45 (1065); none at 12:00 UTC
  t.same(r.agp.map((b: { time: string }) => b.time), ['17:30', '17:45'])
  // percentile_cont over 5 sorted values, position q·4: p5 = 100 + 0.2·10 = 102, p25 = 110, p50 = 120, p75 = 130,
  // p95 = 130 + 0.8·10 = 138
  t.same(r.agp[0], { minuteOfDay: 1050, time: '17:30', n: 5, p5: 102, p25: 110, p50: 120, p75: 130, p95: 138 })
  t.same(r.agp[1], { minuteOfDay: 1065, time: '17:45', n: 1, p5: 90, p25: 90, p50: 90, p75: 90, p95: 90 })
})

t.test('a report sees only the caller\'s readings; with none, metrics are null', async (t) => {
  const app = await startReportApp(t)
  const owner = app.newUser()
  await owner.readings(fiveMinutes(10, () => 250))
  const other = app.newUser()
  const r = await other.report(0, 60)
  t.match(r, { readings: 0, source: null, meanMgDl: null, sdMgDl: null, gri: null, lbgi: null, coveragePct: 0, sufficient: false, agp: [] })
  t.match(await owner.report(0, 60), { readings: 10, meanMgDl: 250 })
})

t.test('query validation names the field; the default period is the last 14 days', async (t) => {
  const user = (await startReportApp(t)).newUser()
  const reversed = await user.send('GET', `${PATH}?from=${at(60)}&to=${at(0)}`)
  t.match(reversed, { status: 400, body: { details: [{ field: 'querystring.from' }] } })
  const long = await user.send('GET', `${PATH}?from=${at(0)}&to=${at(91 * 1440)}`)
  t.match(long, { status: 400, body: { message: /over 90 days/, details: [{ field: 'querystring.to' }] } })
  const malformed = await user.send('GET', `${PATH}?from=yesterday`)
  t.match(malformed, { status: 400, body: { details: [{ field: /from/ }] } })
  const unknown = await user.send('GET', `${PATH}?unit=mmol`)
  t.equal(unknown.status, 400)
  const byDefault = await user.send('GET', PATH)
  t.equal(byDefault.status, 200)
  t.equal(Date.parse(byDefault.body.to) - Date.parse(byDefault.body.from), 14 * 24 * 60 * 60 * 1000)
  t.equal(byDefault.body.periodDays, 14)
})
