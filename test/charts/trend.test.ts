// GET /api/v1/glucose/trend.svg: readings where the scale puts them, gaps as gaps, meals at their times.
import t from 'tap'
import { px } from '../../src/charts/svg.js'
import { trendLayout } from '../../src/charts/trend.js'
import { attr, byClass, idPrefix, point, startChartsApp, vertices } from './support.js'

const FROM = '2025-01-06T06:00:00.000Z'
const TO = '2025-01-06T18:00:00.000Z'
const RANGE = `from=${FROM}&to=${TO}`
const at = (hhmm: string) => `2025-01-06T${hhmm}:00.000Z`
const value = (iso: string) => 100 + ((Date.parse(iso) / 300_000) % 30) * 6 // 100…274 mg/dL

/** Every 5 minutes from `start` to `end` inclusive (HH:MM, UTC, 6 Jan). */
function every5(start: string, end: string): Array<[string, number]> {
  const out: Array<[string, number]> = []
  for (let ms = Date.parse(at(start)); ms <= Date.parse(at(end)); ms += 300_000) {
    const iso = new Date(ms).toISOString()
    out.push([iso, value(iso)])
  }
  return out
}

// 08:55 → 09:15 is 20 min (a gap); 11:55 → 12:10 is exactly 15 min (not a gap); 13:00 → 14:00 and 14:00 → 14:30
// leave 14:00 alone: four segments, the third a single reading.
const READINGS = [...every5('06:00', '08:55'), ...every5('09:15', '11:55'), ...every5('12:10', '13:00'), ...every5('14:00', '14:00'), ...every5('14:30', '17:55')]

t.test('segments break at gaps over 15 minutes, vertices and meals sit on the scale', async (t) => {
  const app = await startChartsApp(t)
  const user = app.newUser()
  await user.readings(READINGS)
  await user.meal(at('07:30'), 'Oats <with> "milk" & honey')
  await user.meal(at('12:45'), 'Lunch')
  await user.meal(at('05:00'), 'Too early') // outside the range
  const other = app.newUser()
  await other.meal(at('10:00'), 'Not mine')

  const res = await user.get(`/api/v1/glucose/trend.svg?${RANGE}&width=1200&height=400`)
  t.equal(res.status, 200)
  t.equal(res.type, 'image/svg+xml; charset=utf-8')
  const svg = res.text
  const { x, y } = trendLayout({ width: 1200, height: 400 }, new Date(FROM), new Date(TO), 300)

  const segments = byClass(svg, 'trend-segment').map((tag) => attr(tag, 'd'))
  t.equal(segments.length, 4, 'two real gaps and an isolated reading: four segments')
  const sizes = segments.map((d) => vertices(d).length)
  t.same(sizes, [36, 33 + 11, 1, 42])
  t.match(segments[2], /h0\.01$/, 'a lone reading is drawn as a dot')
  // Every reading is a vertex at its time and value, in order.
  t.same(segments.flatMap(vertices), READINGS.map(([iso, v]) => point(x(Date.parse(iso)), y(v))))

  const meals = byClass(svg, 'meal-marker')
  t.same(meals.map((tag) => attr(tag, 'data-time')), [at('12:45'), at('07:30')])
  for (const iso of [at('07:30'), at('12:45')]) t.match(svg, `<line x1="${px(x(Date.parse(iso)))}" x2="${px(x(Date.parse(iso)))}"`)
  t.notMatch(svg, /Not mine|Too early/)
  t.match(svg, 'Oats &lt;with&gt; &quot;milk&quot; &amp; honey · 07:30')
  t.notMatch(svg, '<with>')

  t.match(svg, '<title id="' + idPrefix(svg, 'trend') + '-title">Glucose readings, 6 Jan 2025 06:00 – 6 Jan 2025 18:00</title>')
  const desc = /<desc id="trend-[0-9a-f]{8}-desc">([^<]*)<\/desc>/.exec(svg)![1]!
  t.match(desc, `${READINGS.length} glucose readings`)
  t.match(desc, '3 gaps longer than 15 minutes; 2 meals marked')
  t.match(desc, `last ${value(at('17:55'))} at 17:55`)
  const target = byClass(svg, 'target-range')[0]!
  t.equal(Number(attr(target, 'height')), Number(px(y(70) - y(180))))
})

t.test('mmol/L labels, local time ticks, one line per source', async (t) => {
  const app = await startChartsApp(t)
  const user = app.newUser()
  await user.settings({ preferredUnit: 'mmol/L', timezone: 'America/New_York' })
  await user.readings(every5('06:00', '17:55'))
  await user.readings(every5('06:00', '07:00').map(([iso, v]) => [iso, v + 5]), 'NIGHTSCOUT')
  const svg = (await user.get(`/api/v1/glucose/trend.svg?${RANGE}`)).text
  t.same([...svg.matchAll(/class="y-label"[^>]*>([^<]*)</g)].map((m) => m[1]), ['3.0', '3.9', '10.0', '13.9', '16.6'])
  t.notMatch(svg, 'mg/dL')
  // 06:00 UTC is 01:00 in New York (UTC−5): ticks are local hours.
  const ticks = [...svg.matchAll(/class="x-label"[^>]*>([^<]*)</g)].map((m) => m[1])
  t.equal(ticks[0], '02:00')
  t.equal(ticks.at(-1), '12:00')
  const paths = byClass(svg, 'trend-segment')
  t.same(paths.map((p) => attr(p, 'data-source')), ['DEXCOM', 'NIGHTSCOUT'], 'sources are never joined into one line')
  t.match(svg, />NIGHTSCOUT</, 'legend names the sources')
})

t.test('empty range, bounds and authentication', async (t) => {
  const app = await startChartsApp(t)
  const user = app.newUser()
  const empty = await user.get(`/api/v1/glucose/trend.svg?${RANGE}`)
  t.equal(empty.status, 200)
  t.match(empty.text, 'No readings in this period')
  t.equal(byClass(empty.text, 'trend-segment').length, 0)
  const long = await user.get('/api/v1/glucose/trend.svg?from=2025-01-01T00:00:00Z&to=2025-03-01T00:00:00Z')
  t.equal(long.status, 400)
  t.match(JSON.parse(long.text).message, /at most 31 days/)
  const same = await user.get(`/api/v1/glucose/trend.svg?from=${FROM}&to=${FROM}`)
  t.equal(same.status, 400)
  const tall = await user.get(`/api/v1/glucose/trend.svg?${RANGE}&height=5000`)
  t.equal(tall.status, 400)
  t.match(JSON.parse(tall.text).message, /height must be <= 1600/)
  const unknown = await user.get(`/api/v1/glucose/trend.svg?${RANGE}&access_token=x`)
  t.equal(unknown.status, 400, 'no token in the query string: unknown parameters are refused')
  t.equal((await user.get(`/api/v1/glucose/trend.svg?${RANGE}`, null)).status, 401)
})
