// Meal detection: a hand-computed rise, one series when two sources overlap, idempotent re-detection, rises that a
// logged meal explains, confirm/dismiss over HTTP, and precision/recall on simulated days with known meals.
import t from 'tap'
import { detectMeals, DETECTION } from '../../src/analytics/detect-meals.js'
import { every, startResponseApp } from '../meal-response-app.js'
import { score, simulateDays } from './detect-meals-trace.js'

const HOUR = 3_600_000
const at = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000)
// Flat 100 for 2.5 h, a ramp of 2 mg/dL/min for 20 min from t0, flat 140 after (whole mg/dL, as stored). Smoothed
// (centred mean of 5 readings): 100 up to −10, then 102, 106, 112, 120, 128, 134, 138, 140 at +30; rates 0.4, 0.8,
// 1.2, 1.6, 1.6, 1.2, 0.8, 0.4 mg/dL/min. Trigger at +10 (1.2 and 1.6 ≥ 1.0 among the last 3), trough at −10,
// onset = trough + 10 min (the centred mean's lead) = t0. Rise 40 within 60 min, peak 140 at +30, 40 above the
// 2 h mean before. Confidence 0.5 + 0.25·(40 − 30)/30 + 0.25·(1.6 − 1.0)/1.0 = 0.733, data complete.
const RAMP = every(5, -150, 180, (m) => (m <= 0 ? 100 : m <= 20 ? 100 + 2 * m : 140))
const shifted = (points: Array<[number, number]>, dm: number, dv: number) => points.map(([m, v]): [number, number] => [m + dm, v + dv])

t.test('a hand-computed rise: onset, peak, rise, rate and confidence; one series when two sources overlap', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  const t0 = '2025-06-01T12:00:00.000Z'
  await user.readings(t0, RAMP, 'DEXCOM')
  // The Nightscout copy of the same sensor, 30 s later and 4 higher: the same number of readings, so the priority
  // picks DEXCOM, and the rise is found once, not twice.
  await user.readings(t0, shifted(RAMP, 0.5, 4), 'NIGHTSCOUT')
  const counts = await detectMeals(app.sql, user.id, at(t0, -240), at(t0, 240))
  t.match(counts, { detected: 1, inserted: 1, updated: 0 })
  const list = await user.request('GET', `/api/v1/glucose/detected-meals?from=${at(t0, -240).toISOString()}&to=${at(t0, 240).toISOString()}`)
  t.equal(list.status, 200)
  t.same(list.body.detectedMeals.map(({ id, ...rest }: any) => rest), [{
    onsetAt: t0, onsetLocalTime: '12:00', peakAt: at(t0, 30).toISOString(), onsetMgDl: 100, peakMgDl: 140, riseMgDl: 40,
    maxRateMgDlMin: 1.6, confidence: 0.73, source: 'DEXCOM', status: 'pending', mealId: null,
  }])

  // Re-running changes nothing and keeps the id a client may be asking about.
  const again = await detectMeals(app.sql, user.id, at(t0, -240), at(t0, 240))
  t.match(again, { detected: 1, inserted: 0, updated: 1, removed: 0 })
  const [{ n, ids }] = await app.sql`SELECT count(*)::int AS n, array_agg(id::text) AS ids FROM detected_meals WHERE user_id = ${user.id}` as any
  t.equal(n, 1)
  t.same(ids, [list.body.detectedMeals[0].id])

  // Spans that split at the onset (the sync engine runs over whatever arrived): still the same single event.
  await detectMeals(app.sql, user.id, at(t0, -240), at(t0, 1))
  t.match(await detectMeals(app.sql, user.id, at(t0, 1), at(t0, 240)), { detected: 0, removed: 0 })
  t.match(await detectMeals(app.sql, user.id, at(t0, -240), at(t0, 240)), { detected: 1, inserted: 0, updated: 1 })

  // A flat day has nothing to ask about; a rise from a low (onset < 70 mg/dL) is not a meal either.
  const flat = app.newUser()
  await flat.readings(t0, every(5, -150, 180, (m) => 100 + (m % 10 === 0 ? 2 : -2)))
  await flat.readings('2025-06-02T12:00:00.000Z', shifted(RAMP, 0, -45)) // trough 55, climbs to 95
  t.match(await detectMeals(app.sql, flat.id, at(t0, -240), at(t0, 26 * 60)), { detected: 0, inserted: 0 })
})

t.test('re-detection: explained by a logged meal, removed when the rise goes away, never re-asked once answered', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  const other = app.newUser()
  const days = ['2025-06-10T12:00:00.000Z', '2025-06-11T12:00:00.000Z', '2025-06-12T12:00:00.000Z', '2025-06-13T12:00:00.000Z']
  for (const day of days) await user.readings(day, RAMP)
  const from = at(days[0]!, -240)
  const to = at(days[3]!, 240)
  t.match(await detectMeals(app.sql, user.id, from, to), { detected: 4, inserted: 4 })
  const pending = async () => (await user.request('GET', `/api/v1/glucose/detected-meals?from=${from.toISOString()}&to=${to.toISOString()}`)).body.detectedMeals
  const [first, second, third, fourth] = await pending()

  // Day 1: the user logs the meal (15 min before the onset) — not asked about any more, at once and after a run.
  const meal = await user.meal(at(days[0]!, -15).toISOString(), 'Porridge')
  t.equal((await pending()).length, 3, 'a meal logged since the last run already hides the event')
  // Day 2: yes, it was lunch. Day 3: no. Day 4: its readings are revised flat (the rise goes away).
  const confirmed = await user.request('POST', `/api/v1/glucose/detected-meals/${second.id}/confirm`, { name: 'Pasta' })
  t.match(confirmed, { status: 200, body: { id: second.id, status: 'confirmed' } })
  const created = await user.request('GET', `/api/v1/meals/${confirmed.body.mealId}`)
  t.match(created.body, { name: 'Pasta', source: 'detected', eatenAt: days[1] })
  t.equal((await user.request('POST', `/api/v1/glucose/detected-meals/${second.id}/confirm`)).body.mealId, confirmed.body.mealId, 'confirming twice (no body: the onset and a default name) logs one meal')
  t.match(await user.request('POST', `/api/v1/glucose/detected-meals/${third.id}/dismiss`), { status: 200, body: { status: 'dismissed' } })
  t.equal((await user.request('POST', `/api/v1/glucose/detected-meals/${second.id}/dismiss`)).status, 409, 'a confirmed event cannot be dismissed')
  t.equal((await other.request('POST', `/api/v1/glucose/detected-meals/${third.id}/confirm`, {})).status, 404, "another user's event")
  t.equal((await user.request('POST', '/api/v1/glucose/detected-meals/not-a-uuid/dismiss')).status, 400)
  await user.readings(days[3]!, every(5, 5, 180, () => 100))

  // The confirmed meal now explains day 2 as well; answered events are kept as they are, day 1 becomes explained.
  t.match(await detectMeals(app.sql, user.id, from, to), { detected: 3, inserted: 0, explained: 1, removed: 1 })
  t.same(await pending(), [])
  const all = (await user.request('GET', `/api/v1/glucose/detected-meals?status=all&from=${from.toISOString()}&to=${to.toISOString()}`)).body.detectedMeals
  t.same(all.map((e: any) => [e.id, e.status, e.mealId]), [[first.id, 'explained', meal], [second.id, 'confirmed', confirmed.body.mealId], [third.id, 'dismissed', null]])
  t.notOk(all.some((e: any) => e.id === fourth.id), 'the event whose rise went away is deleted')
  const wide = await user.request('GET', '/api/v1/glucose/detected-meals?from=2025-01-01T00:00:00Z&to=2025-06-01T00:00:00Z')
  t.equal(wide.status, 400)
  t.match(wide.body.message, /at most 92 days/)
})

t.test(`simulated days with known meals: precision and recall ≥ 0.8 (match: meal in [onset − ${DETECTION.explainBeforeMin}, onset + ${DETECTION.explainAfterMin}] min)`, async (t) => {
  const app = await startResponseApp(t)
  const start = Date.parse('2025-05-01T00:00:00.000Z')
  const days = 14
  const total = { tp: 0, detected: 0, meals: 0 }
  for (const seed of ['a', 'b', 'c', 'd', 'e', 'f']) {
    const sim = simulateDays(`detect-${seed}`, start, days)
    const user = app.newUser()
    const res = await user.request('POST', '/api/v1/glucose/readings', { source: 'DEXCOM', readings: sim.readings })
    t.equal(res.body.inserted, sim.readings.length)
    await detectMeals(app.sql, user.id, new Date(start), new Date(start + days * 24 * HOUR))
    const list = await user.request('GET', `/api/v1/glucose/detected-meals?from=${new Date(start).toISOString()}&to=${new Date(start + days * 24 * HOUR).toISOString()}`)
    const s = score(list.body.detectedMeals.map((e: any) => Date.parse(e.onsetAt)), sim.meals.map((m) => m.time), DETECTION.explainBeforeMin, DETECTION.explainAfterMin)
    t.comment(`seed ${seed}: ${sim.meals.length} meals, ${s.detected} detected, ${s.tp} matched: precision ${s.precision.toFixed(3)}, recall ${s.recall.toFixed(3)}`)
    total.tp += s.tp
    total.detected += s.detected
    total.meals += s.meals
  }
  const precision = total.tp / total.detected
  const recall = total.tp / total.meals
  t.comment(`all seeds (${days} days each): ${total.meals} meals, ${total.detected} detected, precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`)
  t.ok(precision >= 0.8, `precision ${precision.toFixed(3)} ≥ 0.8`)
  t.ok(recall >= 0.8, `recall ${recall.toFixed(3)} ≥ 0.8`)
})
