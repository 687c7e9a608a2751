// Meal responses on hand-computed curves (definitions: sql/meal-response.sql). Minutes are relative to t0; "d" is
// glucose − baseline. Expected numbers are worked out in the comments and compared at the API's 0.1 resolution.
import t from 'tap'
import { every, startResponseApp } from '../meal-response-app.js'

const T0 = '2025-03-01T12:00:00.000Z'

t.test('single peak, 15-minute readings, baseline crossings on the way down and back up', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  // baseline: mean(98, 100, 102) over [-30, 0] = 100
  const values = [98, 100, 102, 130, 160, 170, 170, 140, 110, 94, 80, 90, 106, 100, 96, 100]
  await user.readings(T0, values.map((v, i) => [-30 + 15 * i, v])) // minutes -30, -15, 0, 15, …, 195
  const r = await user.response(await user.meal(T0))
  t.match(r, { noResponseReason: null, source: 'DEXCOM', baselineMgDl: 100 })
  // 170 at 45 and again at 60: the first one counts
  t.match(r, { peakMgDl: 170, peakRiseMgDl: 70, timeToPeakMin: 45 })
  // after the peak, the first reading ≤ 100 is 94 at 105, after 110 at 90: 90 + 15·(110−100)/(110−94) = 99.375
  t.equal(r.returnToBaselineMin, 99.4)
  // d at 0,15,…,120: 2,30,60,70,70,40,10,−6,−20. Trapezoids ×15: 240 + 675 + 975 + 1050 + 825 + 375 = 4140;
  // 90→105 crosses: triangle 10²/(10+6)·15/2 = 46.875; 105→120 is below. iAUC 2 h = 4186.875
  t.equal(r.iauc2hMgDlMin, 4186.9)
  // then d −20,−10,6,0,−4 at 120…180: 120→135 none; 135→150 triangle 6²/16·15/2 = 16.875; 150→165 (6+0)/2·15 = 45;
  // 165→180 none. iAUC 3 h = 4186.875 + 61.875 = 4248.75
  t.equal(r.iauc3hMgDlMin, 4248.8)
  // 14 readings in [-30, 180) of 42 expected 5-minute ones = 33.3 %; 15-minute gaps are not flagged
  t.match(r, { coveragePct: 33.3, largestGapMin: 15, flags: [] })
  // 100 − 40·70/100 − 40·4186.875/6000 − 20·99.375/180 = 100 − 28 − 27.9125 − 11.04 = 33.05
  t.equal(r.score, 33)
})

t.test('the curve starts at the value interpolated at t0 and ends at the value interpolated at the window end', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  // readings at -25, -5, then every 20 minutes from 5 to 185: no reading at t0, 2 h or 3 h
  const after = [140, 140, 140, 140, 140, 130, 110, 100, 100, 100]
  await user.readings(T0, [[-25, 100], [-5, 100], ...after.map((v, i): [number, number] => [5 + 20 * i, v])])
  const r = await user.response(await user.meal(T0))
  t.match(r, { baselineMgDl: 100, peakMgDl: 140, timeToPeakMin: 5, peakRiseMgDl: 40 })
  // at t0: between (−5, 100) and (5, 140) → 120, d = 20. 0→5: (20+40)/2·5 = 150; 5→85: 40·80 = 3200;
  // 85→105: (40+30)/2·20 = 700; at 120: between (105, 130) and (125, 110) → 115, d = 15; 105→120: (30+15)/2·15 = 337.5
  // iAUC 2 h = 4387.5 (starting at the first reading after t0 instead would give 4237.5)
  t.equal(r.iauc2hMgDlMin, 4387.5)
  // 120→125: (15+10)/2·5 = 62.5; 125→145: (10+0)/2·20 = 100; then flat at baseline: iAUC 3 h = 4550
  t.equal(r.iauc3hMgDlMin, 4550)
  // first reading ≤ 100 after the peak: 100 at 145 (from 110 at 125): 125 + 20·10/10 = 145
  t.equal(r.returnToBaselineMin, 145)
  // 11 readings in [-30, 180) → 26.2 %; largest gap 20 (not over 20: no flag)
  t.match(r, { coveragePct: 26.2, largestGapMin: 20, flags: [] })
  // 100 − 40·0.4 − 40·4387.5/6000 − 20·145/180 = 100 − 16 − 29.25 − 16.11 = 38.64
  t.equal(r.score, 39)
})

t.test('double peak: the higher peak counts; the dip below baseline between them only loses its triangles', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  const after = [120, 140, 150, 130, 110, 95, 110, 140, 160, 170, 150, 130, 110, 100, 95, 100, 100, 100, 100]
  await user.readings(T0, [...every(10, -30, 0, () => 100), ...after.map((v, i): [number, number] => [10 + 10 * i, v])])
  const r = await user.response(await user.meal(T0))
  t.match(r, { baselineMgDl: 100, peakMgDl: 170, timeToPeakMin: 100, peakRiseMgDl: 70 })
  // back to 100 exactly at 140 (from 110 at 130)
  t.equal(r.returnToBaselineMin, 140)
  // d every 10 min from 0: 0,20,40,50,30,10,−5,10,40,60,70,50,30. Trapezoids ×10: 100+300+450+400+200 = 1450;
  // 50→60 and 60→70 cross: 2 × 10²/15·10/2 = 66.667; 250+500+650+600+400 = 2400. iAUC 2 h = 3916.667
  t.equal(r.iauc2hMgDlMin, 3916.7)
  // 120→130: (30+10)/2·10 = 200; 130→140: (10+0)/2·10 = 50 → 4166.667
  t.equal(r.iauc3hMgDlMin, 4166.7)
  // 21 readings in [-30, 180) → 50 %; 100 − 28 − 40·0.65278 − 20·140/180 = 30.33
  t.match(r, { coveragePct: 50, largestGapMin: 10, score: 30, flags: [] })
})

t.test('at t0 + 3 h: a later reading can place the return inside the window but is never the peak', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  const base = [...every(5, -30, 0, () => 100), ...every(5, 5, 170, () => 150)]
  // 110 at 175, 90 at 185 (none at 180), then 200 at 190, after the peak window
  await user.readings(T0, [...base, [175, 110], [185, 90], [190, 200]])
  const inside = await user.response(await user.meal(T0))
  t.match(inside, { peakMgDl: 150, timeToPeakMin: 5, flags: [] })
  // 175 + 10·(110 − 100)/(110 − 90) = 180: just inside
  t.equal(inside.returnToBaselineMin, 180)
  // 0→5: (0+50)/2·5 = 125; 5→170: 50·165 = 8250; 170→175: (50+10)/2·5 = 150; 175→180 (value 100 at 180): 25
  t.equal(inside.iauc3hMgDlMin, 8550)

  const day2 = '2025-03-02T12:00:00.000Z'
  await user.readings(day2, [...base, [175, 110], [195, 90]])
  // 175 + 20·10/20 = 185: after t0 + 3 h, so no return
  t.equal((await user.response(await user.meal(day2))).returnToBaselineMin, null)
})

t.test('data that stop before 2 h: integrated to the last reading and flagged truncated', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  await user.readings(T0, [...every(5, -30, 0, () => 100), ...every(5, 5, 90, () => 132)])
  const r = await user.response(await user.meal(T0))
  // 0→5: (0+32)/2·5 = 80; 5→90: 32·85 = 2720; nothing after 90: both areas 2800
  t.match(r, { baselineMgDl: 100, peakMgDl: 132, timeToPeakMin: 5, iauc2hMgDlMin: 2800, iauc3hMgDlMin: 2800 })
  t.equal(r.returnToBaselineMin, null, 'never back to baseline within the data')
  t.same(r.flags, ['truncated', 'truncated_2h'])
  // 25 readings (-30 … 90) of 42 → 59.5 %
  t.match(r, { coveragePct: 59.5, largestGapMin: 5 })
  // no return after a rise costs the full 20: 100 − 40·0.32 − 40·2800/6000 − 20 = 48.53
  t.equal(r.score, 49)
})

t.test('empty baseline window: the nearest reading within 60 minutes before t0, flagged; the gap is flagged too', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  await user.readings(T0, [[-50, 110], [-45, 120], ...every(5, 10, 200, () => 150)])
  const r = await user.response(await user.meal(T0))
  t.match(r, { baselineMgDl: 120, peakMgDl: 150, timeToPeakMin: 10, peakRiseMgDl: 30 })
  // at t0: between (−45, 120) and (10, 150) → 120 + 30·45/55 = 144.545, d = 24.545; 0→10: (24.545+30)/2·10 = 272.73;
  // 10→120: 30·110 = 3300 → 3572.73. 3 h: + 30·60 = 5372.73
  t.match(r, { iauc2hMgDlMin: 3572.7, iauc3hMgDlMin: 5372.7, returnToBaselineMin: null })
  // the −45 → 10 segment is used by the t0 interpolation: a 55-minute gap
  t.match(r, { largestGapMin: 55 })
  t.same(r.flags, ['baseline_fallback', 'large_gap'])
})

t.test('no reading within 60 minutes before t0, or none after it: no response, with the reason', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  await user.readings(T0, [[-70, 100], ...every(5, 5, 180, () => 140)])
  const none = await user.response(await user.meal(T0))
  t.match(none, { noResponseReason: /no baseline: no glucose reading in the 60 minutes before the meal/ })
  t.match(none, { baselineMgDl: null, peakMgDl: null, iauc2hMgDlMin: null, returnToBaselineMin: null, score: null, source: null })

  const later = '2025-03-02T12:00:00.000Z'
  await user.readings(later, every(5, -30, 0, () => 100))
  const after = await user.response(await user.meal(later))
  t.match(after, { noResponseReason: 'no glucose reading in the 180 minutes after the meal', baselineMgDl: null, score: null })
})

t.test('a 30-minute hole: coverage counts the missing 5-minute readings, the gap is flagged', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  // 5-minute readings from -30 to 185 except 65…85 (5 missing of the 42 expected in [-30, 180))
  const points = every(5, -30, 185, (m) => (m <= 0 ? 100 : 120)).filter(([m]) => m < 65 || m > 85)
  await user.readings(T0, points)
  const r = await user.response(await user.meal(T0))
  // 37/42 = 88.1 %; 60 → 90 is 30 minutes
  t.match(r, { coveragePct: 88.1, largestGapMin: 30, flags: ['large_gap'] })
  // interpolation across the hole keeps the area: 0→5 (0+20)/2·5 = 50, then 20·115 = 2300 → 2350
  t.equal(r.iauc2hMgDlMin, 2350)
})

t.test('1-minute readings: coverage counts 5-minute slots, so it tops out at 100 %', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  await user.readings(T0, every(1, -30, 185, () => 100))
  const r = await user.response(await user.meal(T0))
  // flat: no rise, no area, nothing to return from: the best score
  t.match(r, { coveragePct: 100, largestGapMin: 1, baselineMgDl: 100, peakRiseMgDl: 0, iauc2hMgDlMin: 0 })
  t.match(r, { returnToBaselineMin: null, score: 100, flags: [] })
})

t.test('score: a larger rise, a larger iAUC or a slower return never raises it', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  // Triangles above a 100 baseline (readings are whole mg/dL, so slopes are chosen to land on integers): up to
  // 100 + h at minute 30, back down to 100 at minute `back`, flat after.
  const triangle = (h: number, back: number) => (m: number) =>
    m <= 0 ? 100 : m <= 30 ? 100 + (h * m) / 30 : m <= back ? 100 + (h * (back - m)) / (back - 30) : 100
  let day = 0
  const scoreOf = async (shape: (m: number) => number) => {
    const t0 = new Date(Date.parse(T0) + day++ * 86_400_000).toISOString()
    await user.readings(t0, every(5, -30, 185, shape))
    return (await user.response(await user.meal(t0))).score as number
  }
  // Taller rises (so larger areas), all back at 90: iAUC = 90·h/2.
  // h 24: 100 − 40·0.24 − 40·1080/6000 − 20·90/180 = 100 − 9.6 − 7.2 − 10 = 73.2
  // h 48: 100 − 19.2 − 14.4 − 10 = 56.4;  h 96: 100 − 38.4 − 28.8 − 10 = 22.8
  t.same([await scoreOf(triangle(24, 90)), await scoreOf(triangle(48, 90)), await scoreOf(triangle(96, 90))], [73, 56, 23])
  // Same 36 rise, slower returns. Back at 60: 100 − 14.4 − 40·1080/6000 − 20·60/180 = 71.9;
  // at 120: 100 − 14.4 − 40·2160/6000 − 20·120/180 = 57.9; at 210 (after 3 h, so no return: the full 20):
  // iAUC 2 h = 36·30/2 + (36 + 18)/2·90 = 2970 → 100 − 14.4 − 19.8 − 20 = 45.8
  t.same([await scoreOf(triangle(36, 60)), await scoreOf(triangle(36, 120)), await scoreOf(triangle(36, 210))], [72, 58, 46])
})
