// GET /api/v1/glucose/agp.svg: drawn from the numbers of GET /api/v1/glucose/report, checked vertex by vertex.
import t from 'tap'
import { agpLayout, agpYMax, binCenter } from '../../src/charts/agp.js'
import { fromMgDl } from '../../src/glucose/units.js'
import { attr, byClass, idPrefix, point, startChartsApp, textOf, vertices } from './support.js'

// Three local days in Europe/Berlin (UTC+1 in January): local midnight of 6 Jan is 23:00 UTC on 5 Jan.
const FROM = '2025-01-05T23:00:00.000Z'
const TO = '2025-01-08T23:00:00.000Z'
const RANGE = `from=${FROM}&to=${TO}`

/** Every 5 minutes over the three days: 150 in the 08:00 bin every day, a spread of values elsewhere. */
function profile(): Array<[string, number]> {
  const out: Array<[string, number]> = []
  for (let day = 0; day < 3; day++) {
    for (let m = 0; m < 1440; m += 5) {
      const time = new Date(Date.parse(FROM) + (day * 1440 + m) * 60_000).toISOString()
      const value = m >= 480 && m < 495 ? 150 : (m / 5) % 37 === 0 ? 50 : (m / 5) % 41 === 0 ? 60 : 80 + ((day * 7 + m / 5) % 20) * 12
      out.push([time, value])
    }
  }
  return out
}

t.test('the profile, bands, time in ranges and metrics are the report numbers', async (t) => {
  const app = await startChartsApp(t)
  const user = app.newUser()
  await user.settings({ timezone: 'Europe/Berlin' })
  await user.readings(profile())
  const report = (await user.request('GET', `/api/v1/glucose/report?${RANGE}`)).body
  const res = await user.get(`/api/v1/glucose/agp.svg?${RANGE}&width=1000&height=600`)
  t.equal(res.status, 200)
  t.equal(res.type, 'image/svg+xml; charset=utf-8')
  t.equal(res.headers.get('cache-control'), 'private, no-store')
  const svg = res.text
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="1000" height="600" viewBox="0 0 1000 600" role="img" aria-labelledby="(agp-[0-9a-f]{8})-title \1-desc"/)
  t.notMatch(svg, /<script|NaN|undefined/)

  const { x, y } = agpLayout({ width: 1000, height: 600 }, agpYMax(report.agp))
  t.equal(report.agp.length, 96, 'every 15-minute bin of the day has readings')
  const median = byClass(svg, 'agp-median').flatMap((tag) => vertices(attr(tag, 'd')))
  t.equal(median.length, 96)
  // The 08:00 bin: every reading is 150, so every percentile is 150, at the bin's middle (08:07:30 local).
  const eight = report.agp.find((b: { time: string }) => b.time === '08:00')
  t.match(eight, { n: 9, p5: 150, p25: 150, p50: 150, p75: 150, p95: 150 })
  t.ok(median.includes(point(x(binCenter(480)), y(150))), 'median at 08:00 is drawn at 150 mg/dL')
  const outer = vertices(attr(byClass(svg, 'agp-p5-p95')[0]!, 'd'))
  const inner = vertices(attr(byClass(svg, 'agp-p25-p75')[0]!, 'd'))
  t.equal(outer.filter((v) => v === point(x(binCenter(480)), y(150))).length, 2, '5th and 95th percentiles both at 150 at 08:00')
  t.equal(inner.filter((v) => v === point(x(binCenter(480)), y(150))).length, 2)
  // Every bin of the report, in order, is a vertex of the median; every p95 and p5 a vertex of the outer band.
  t.same(median, report.agp.map((b: { minuteOfDay: number; p50: number }) => point(x(binCenter(b.minuteOfDay)), y(b.p50))))
  for (const b of report.agp as Array<{ minuteOfDay: number; p5: number; p95: number; p25: number; p75: number }>) {
    const cx = x(binCenter(b.minuteOfDay))
    if (![point(cx, y(b.p95)), point(cx, y(b.p5))].every((v) => outer.includes(v))) t.fail(`outer band misses bin ${b.minuteOfDay}`)
    if (![point(cx, y(b.p75)), point(cx, y(b.p25))].every((v) => inner.includes(v))) t.fail(`inner band misses bin ${b.minuteOfDay}`)
  }
  // The target range 70–180 is shaded between its scale positions.
  const target = byClass(svg, 'target-range')[0]!
  t.equal(attr(target, 'y'), point(0, y(180)).split(',')[1])

  // Time in ranges: the report's percentages, as printed; the bar's segments are proportional to them.
  t.ok(report.percentLow > 0 && report.percentVeryHigh > 0, 'the profile has lows and very highs')
  const keys = { 'very-high': 'percentVeryHigh', high: 'percentHigh', 'in-range': 'percentInRange', low: 'percentLow', 'very-low': 'percentVeryLow' }
  for (const [key, field] of Object.entries(keys)) t.equal(textOf(svg, `tir-value-${key}`), `${report[field].toFixed(1)} %`, key)
  const heights = Object.keys(keys).map((key) => Number(attr(byClass(svg, `tir-${key}`)[0]!, 'height')))
  const total = heights.reduce((a, b) => a + b, 0)
  t.ok(Math.abs((100 * heights[2]!) / total - report.percentInRange) < 0.2, 'in-range segment height is its share')

  const metrics = byClass(svg, 'metric').length
  t.equal(metrics, 5)
  t.match(svg, `>${Math.round(report.meanMgDl)} mg/dL<`)
  t.match(svg, `>${report.gmiPct.toFixed(2)} %<`)
  t.match(svg, `>${report.cvPct.toFixed(1)} %<`)
  t.match(svg, `>${report.coveragePct.toFixed(1)} %<`)
  // Three days are not the consensus 14: said on the chart and in the description.
  t.equal(report.sufficient, false)
  t.equal(textOf(svg, 'insufficient'), 'Too little data: only 3.0 days')
  t.match(svg, 'AGP needs ≥ 70 % active over 14 days')

  // The accessible name and description carry the key numbers.
  t.match(svg, '<title id="' + idPrefix(svg, 'agp') + '-title">Ambulatory glucose profile, 6 Jan 2025 – 8 Jan 2025</title>')
  const desc = /<desc id="agp-[0-9a-f]{8}-desc">([^<]*)<\/desc>/.exec(svg)![1]!
  t.match(desc, `in range 70–180 ${report.percentInRange.toFixed(1)} %`)
  t.match(desc, `GMI ${report.gmiPct.toFixed(2)} %`)
  t.match(desc, `${report.readings} readings from DEXCOM`)
  t.match(desc, 'Not enough data for a consensus AGP: the period is 3.0 days')
  t.same([...svg.matchAll(/class="x-label"[^>]*>([^<]*)</g)].map((m) => m[1]), ['00:00', '03:00', '06:00', '09:00', '12:00', '15:00', '18:00', '21:00', '24:00'])
})

t.test('a mmol/L user gets mmol/L labels for the same numbers', async (t) => {
  const app = await startChartsApp(t)
  const user = app.newUser()
  await user.settings({ timezone: 'Europe/Berlin', preferredUnit: 'mmol/L' })
  await user.readings(profile())
  const report = (await user.request('GET', `/api/v1/glucose/report?${RANGE}`)).body
  const svg = (await user.get(`/api/v1/glucose/agp.svg?${RANGE}`)).text
  const yLabels = [...svg.matchAll(/class="y-label"[^>]*>([^<]*)</g)].map((m) => m[1])
  t.same(yLabels, ['3.0', '3.9', '10.0', '13.9', '19.4'])
  t.match(svg, `>${fromMgDl(report.meanMgDl, 'mmol/L').toFixed(1)} mmol/L<`)
  t.match(svg, '>In range 3.9–10.0<')
  t.match(svg, '>High 10.1–13.9<')
  t.match(svg, 'Target 3.9–10.0 mmol/L')
  t.notMatch(svg, 'mg/dL')
  // Positions do not depend on the unit: the median vertices are the mg/dL user's.
  const { x, y } = agpLayout({ width: 900, height: 560 }, agpYMax(report.agp))
  t.ok(vertices(attr(byClass(svg, 'agp-median')[0]!, 'd')).includes(point(x(binCenter(480)), y(150))))
})

t.test('no readings, and what the query must be', async (t) => {
  const app = await startChartsApp(t)
  const user = app.newUser()
  const empty = await user.get(`/api/v1/glucose/agp.svg?${RANGE}`)
  t.equal(empty.status, 200)
  t.match(empty.text, 'No readings in this period')
  t.equal(byClass(empty.text, 'agp-median').length, 0)

  const backwards = await user.get(`/api/v1/glucose/agp.svg?from=${TO}&to=${FROM}`)
  t.equal(backwards.status, 400)
  t.match(JSON.parse(backwards.text), { message: /to must be after from/, details: [{ field: 'querystring.to' }] })
  const tooLong = await user.get('/api/v1/glucose/agp.svg?from=2024-01-01T00:00:00Z&to=2024-06-01T00:00:00Z')
  t.equal(tooLong.status, 400)
  t.match(JSON.parse(tooLong.text).message, /at most 90 days/)
  const notADate = await user.get('/api/v1/glucose/agp.svg?from=yesterday')
  t.equal(notADate.status, 400)
  t.match(JSON.parse(notADate.text).message, /querystring\.from/)
  const tiny = await user.get(`/api/v1/glucose/agp.svg?${RANGE}&width=100`)
  t.equal(tiny.status, 400)
  t.match(JSON.parse(tiny.text).message, /width must be >= 560/)
  t.equal((await user.get(`/api/v1/glucose/agp.svg?${RANGE}`, null)).status, 401)
})
