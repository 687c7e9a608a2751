// GET /api/v1/glucose/meal-response/:mealId.svg: the JSON response's numbers drawn, the shaded area equal to the iAUC.
import t from 'tap'
import { iaucOutline, mealLayout, mealYDomain, outlineArea } from '../../src/charts/meal-response.js'
import { px } from '../../src/charts/svg.js'
import { attr, byClass, idPrefix, startChartsApp, textOf } from './support.js'

const T0 = '2025-01-06T12:00:00.000Z'
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString()
/** 100 before the meal, up to 180 at +45, back down to 100 at +120, then 90: a response with a return. */
const curve = (m: number) => (m <= 0 ? 100 : m <= 45 ? 100 + (80 * m) / 45 : m <= 120 ? 180 - (80 * (m - 45)) / 75 : 90)
function readings(): Array<[string, number]> {
  const out: Array<[string, number]> = []
  for (let m = -60; m <= 240; m += 5) out.push([at(m), Math.round(curve(m))])
  return out
}

/** Shoelace area of a closed path's vertices (px²). */
function pathArea(d: string): number {
  const pts = [...d.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const)
  let sum = 0
  for (let i = 0; i < pts.length; i++) {
    const [x0, y0] = pts[i]!
    const [x1, y1] = pts[(i + 1) % pts.length]!
    sum += x0 * y1 - x1 * y0
  }
  return Math.abs(sum) / 2
}

t.test('baseline, peak, score and the shaded iAUC are the JSON response', async (t) => {
  const app = await startChartsApp(t)
  const user = app.newUser()
  await user.readings(readings())
  const mealId = await user.meal(T0, 'Pasta & <pesto>')
  const json = await user.request('GET', `/api/v1/glucose/meal-response/${mealId}`)
  t.equal(json.status, 200, 'the JSON route still answers beside the .svg one')
  const r = json.body
  t.match(r, { baselineMgDl: 100, peakMgDl: 180, timeToPeakMin: 45, flags: [] })
  t.ok(r.iauc3hMgDlMin > 3000)

  const res = await user.get(`/api/v1/glucose/meal-response/${mealId}.svg?width=800&height=500`)
  t.equal(res.status, 200)
  t.equal(res.type, 'image/svg+xml; charset=utf-8')
  const svg = res.text
  const shown = readings().filter(([iso]) => Date.parse(iso) >= Date.parse(at(-30)) && Date.parse(iso) <= Date.parse(at(180))).map(([, v]) => v)
  const { x, y } = mealLayout({ width: 800, height: 500 }, mealYDomain([...shown, r.baselineMgDl, r.peakMgDl]))

  const peak = byClass(svg, 'peak')[0]!
  t.equal(attr(peak, 'cx'), px(x(r.timeToPeakMin)))
  t.equal(attr(peak, 'cy'), px(y(r.peakMgDl)))
  t.equal(textOf(svg, 'peak-label'), 'peak 180 mg/dL at +45 min')
  t.equal(attr(byClass(svg, 'baseline')[0]!, 'y1'), px(y(r.baselineMgDl)))
  t.equal(textOf(svg, 'score'), String(r.score))
  const ret = byClass(svg, 'return')[0]!
  t.match(attr(ret, 'd'), new RegExp(`^M${px(x(r.returnToBaselineMin))},`), 'return to baseline marked at its time')

  // The shading's area, measured on the drawing and converted back through the scales, is the 3 h iAUC.
  const iauc = byClass(svg, 'iauc')
  t.equal(iauc.length, 1)
  const perMinute = x(1) - x(0)
  const perMgDl = y(0) - y(1)
  const drawn = pathArea(attr(iauc[0]!, 'd')) / (perMinute * perMgDl)
  t.ok(Math.abs(drawn - r.iauc3hMgDlMin) / r.iauc3hMgDlMin < 0.005, `drawn area ${drawn} ≈ iAUC ${r.iauc3hMgDlMin}`)
  // …and the outline itself integrates to it exactly (up to the JSON's 0.1 rounding).
  const points = readings().map(([iso, g]) => ({ t: (Date.parse(iso) - Date.parse(T0)) / 60_000, g }))
  t.ok(Math.abs(outlineArea(iaucOutline(points, r.baselineMgDl), r.baselineMgDl) - r.iauc3hMgDlMin) < 0.1)

  t.equal(textOf(svg, 'summary'), `Rise +80 mg/dL · back to baseline at +${Math.round(r.returnToBaselineMin)} min`)
  t.equal(textOf(svg, 'summary-iauc'), `iAUC (shaded) 3 h ${Math.round(r.iauc3hMgDlMin)} mg/dL·min · 2 h ${Math.round(r.iauc2hMgDlMin)} mg/dL·min`)
  t.match(svg, '<title id="' + idPrefix(svg, 'meal') + '-title">Meal response: Pasta &amp; &lt;pesto&gt;, 6 Jan 2025 12:00</title>')
  const desc = /<desc id="meal-[0-9a-f]{8}-desc">([^<]*)<\/desc>/.exec(svg)![1]!
  t.match(desc, 'baseline 100 mg/dL, peak 180 mg/dL at +45 min (rise +80 mg/dL)')
  t.match(desc, `score ${r.score} of 100`)
  t.notMatch(svg, /<pesto>|NaN|undefined/)

  // Ids: the document's own prefix, so charts inlined side by side keep their own clip paths and labels.
  const prefix = idPrefix(svg, 'meal')
  t.ok(svg.includes(`<clipPath id="${prefix}-clip">`), 'the clip path carries the document prefix')
  t.same([...svg.matchAll(/url\(#([^)]+)\)/g)].map((m) => m[1]).filter((id) => id !== `${prefix}-clip`), [], 'every clip reference is to it')
  t.equal((await user.get(`/api/v1/glucose/meal-response/${mealId}.svg?width=800&height=500`)).text, svg, 'the same chart renders the same bytes')
  const smaller = (await user.get(`/api/v1/glucose/meal-response/${mealId}.svg?width=400&height=300`)).text
  t.not(idPrefix(smaller, 'meal'), prefix, 'another chart has other ids')
})

t.test('mmol/L labels; a meal without readings says why', async (t) => {
  const app = await startChartsApp(t)
  const user = app.newUser()
  await user.settings({ preferredUnit: 'mmol/L' })
  await user.readings(readings())
  const mealId = await user.meal(T0, 'Rice')
  const r = (await user.request('GET', `/api/v1/glucose/meal-response/${mealId}`)).body
  const svg = (await user.get(`/api/v1/glucose/meal-response/${mealId}.svg`)).text
  t.equal(textOf(svg, 'peak-label'), 'peak 10.0 mmol/L at +45 min')
  t.equal(textOf(svg, 'baseline-label'), 'baseline 5.5 mmol/L')
  t.match(textOf(svg, 'summary-iauc'), `3 h ${(r.iauc3hMgDlMin / 18.0182).toFixed(1)} mmol/L·min`)
  t.notMatch(svg, 'mg/dL')

  const lonely = await user.meal('2025-03-01T12:00:00.000Z', 'Midnight snack')
  const none = await user.get(`/api/v1/glucose/meal-response/${lonely}.svg`)
  t.equal(none.status, 200)
  t.match(textOf(none.text, 'summary'), /^No response: /)
  t.match(none.text, 'No readings around this meal')
  t.equal(byClass(none.text, 'iauc').length, 0)
})

t.test('another user\'s meal is 404, a bad id 400, no token 401', async (t) => {
  const app = await startChartsApp(t)
  const owner = app.newUser()
  const mealId = await owner.meal(T0, 'Mine')
  const stranger = app.newUser()
  const theirs = await stranger.get(`/api/v1/glucose/meal-response/${mealId}.svg`)
  t.equal(theirs.status, 404)
  t.same(JSON.parse(theirs.text), { statusCode: 404, error: 'Not Found', message: 'no such meal' })
  t.equal((await owner.get('/api/v1/glucose/meal-response/00000000-0000-4000-8000-000000000000.svg')).status, 404)
  const bad = await owner.get('/api/v1/glucose/meal-response/not-a-uuid.svg')
  t.equal(bad.status, 400)
  t.match(JSON.parse(bad.text).message, /params\.mealId/)
  t.equal((await owner.get(`/api/v1/glucose/meal-response/${mealId}.svg?width=100`)).status, 400)
  t.equal((await owner.get(`/api/v1/glucose/meal-response/${mealId}.svg`, null)).status, 401)
  t.equal((await owner.get(`/api/v1/glucose/meal-response/${mealId}.svg`)).status, 200)
})
