// Every text of every chart inside the picture and clear of the others, at the smallest sizes the routes allow (the
// web view's phone column asks for ~330 px), around the compact-layout switch and at the defaults. Widths are the
// estimates src/charts/svg.ts exports (checked against headless Chromium's DejaVu Sans: they run 0–20 % wide).
import t from 'tap'
import { NARROW_WIDTH } from '../../src/charts/svg.js'
import { layoutProblems, startChartsApp, textBoxes } from './support.js'

const DAY = '2025-01-06'
const FROM = `${DAY}T00:00:00.000Z`
const TO = '2025-01-07T00:00:00.000Z'
const at = (hhmm: string) => `${DAY}T${hhmm}:00.000Z`
// Meals whose peaks land early (label near the meal label), mid-window and late (label near the right edge).
const MEALS: Array<[hhmm: string, name: string, peakMin: number, rise: number]> = [
  ['08:00', 'Chicken curry with rice and naan bread', 45, 80],
  ['12:30', 'Apple', 12, 140],
  ['17:00', 'Pasta & pesto', 170, 120],
]
function glucose(ms: number): number {
  let g = 100
  for (const [hhmm, , peakMin, rise] of MEALS) {
    const m = (ms - Date.parse(at(hhmm))) / 60_000
    if (m > 0 && m <= peakMin) g += (rise * m) / peakMin
    else if (m > peakMin && m < peakMin + 75) g += rise * (1 - (m - peakMin) / 75)
  }
  return Math.round(g)
}
const readings = (start: string, end: string, offset = 0): Array<[string, number]> => {
  const out: Array<[string, number]> = []
  for (let ms = Date.parse(start); ms < Date.parse(end); ms += 300_000) out.push([new Date(ms).toISOString(), glucose(ms) + offset])
  return out
}

const TREND_SIZES = [[320, 200], [332, 200], [NARROW_WIDTH - 1, 200], [NARROW_WIDTH, 200], [640, 240], [900, 360]]
const MEAL_SIZES = [[320, 240], [332, 240], [NARROW_WIDTH - 1, 240], [NARROW_WIDTH, 240], [640, 400], [900, 400]]
const AGP_SIZES = [[560, 360], [640, 400], [900, 560]]

for (const [unit, timezone] of [['mg/dL', 'UTC'], ['mmol/L', 'America/Argentina/Buenos_Aires']] as const) {
  t.test(`no text outside the picture or over another, ${unit}, ${timezone}`, async (t) => {
    const app = await startChartsApp(t)
    const user = app.newUser()
    await user.settings({ preferredUnit: unit, timezone })
    await user.readings(readings(FROM, TO))
    await user.readings(readings(at('06:00'), at('09:00'), 7), 'NIGHTSCOUT') // two sources: the trend's legend
    const mealIds = []
    for (const [hhmm, name] of MEALS) mealIds.push(await user.meal(at(hhmm), name))

    const check = async (path: string, [width, height]: number[], boxClass?: string) => {
      const res = await user.get(`${path}${path.includes('?') ? '&' : '?'}width=${width}&height=${height}`)
      t.equal(res.status, 200, path)
      t.same(layoutProblems(res.text, boxClass), [], `${path} at ${width}×${height}`)
      return res.text
    }
    for (const size of TREND_SIZES) {
      const svg = await check(`/api/v1/glucose/trend.svg?from=${FROM}&to=${TO}`, size)
      // Shortened, not dropped: the counts are still there on a phone.
      const subtitle = textBoxes(svg).filter((b) => b.cls === 'subtitle').map((b) => b.content).join(' · ')
      t.match(subtitle, `${timezone.split('/').at(-1)} · ${readings(FROM, TO).length + 36} readings · 3 meals`)
      t.notMatch(subtitle, '…')
    }
    for (const mealId of mealIds) {
      for (const size of MEAL_SIZES) {
        const svg = await check(`/api/v1/glucose/meal-response/${mealId}.svg`, size, 'score-box')
        t.equal(textBoxes(svg).filter((b) => b.cls === 'peak-label').length, 1, 'the peak is labelled')
        t.notMatch(textBoxes(svg).filter((b) => b.cls === 'subtitle').map((b) => b.content).join(' · '), '…', 'the subtitle is whole')
      }
    }
    for (const size of AGP_SIZES) await check(`/api/v1/glucose/agp.svg?from=${FROM}&to=${TO}`, size)
  })
}
