// Meal responses: one series when two sources cover the same time, recomputation when inputs change, the routes'
// scoping and validation, and the batch path.
import t from 'tap'
import { computeMealResponses } from '../../src/analytics/meal-response.js'
import { every, startResponseApp } from '../meal-response-app.js'

const T0 = '2025-03-01T12:00:00.000Z'
const DAY2 = '2025-03-02T12:00:00.000Z'
// The single-peak curve of meal-response-curves.test.ts: baseline 100, iAUC 2 h 4186.875, 16 readings −30 … 195.
const CURVE = [98, 100, 102, 130, 160, 170, 170, 140, 110, 94, 80, 90, 106, 100, 96, 100].map((v, i): [number, number] => [-30 + 15 * i, v])
const shifted = (points: Array<[number, number]>, dm: number, dv: number) => points.map(([m, v]): [number, number] => [m + dm, v + dv])

t.test('two sources of one sensor are never mixed: one series per meal window', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  // The Nightscout copy of the same sensor: 30 s later and 4 mg/dL higher. 16 readings each: a tie, so the fixed
  // priority picks DEXCOM. Mixed, the baseline would be 102 and the 30-second "gaps" would halve the largest gap.
  await user.readings(T0, CURVE, 'DEXCOM')
  await user.readings(T0, shifted(CURVE, 0.5, 4), 'NIGHTSCOUT')
  const tie = await user.response(await user.meal(T0))
  t.match(tie, { source: 'DEXCOM', baselineMgDl: 100, peakMgDl: 170, iauc2hMgDlMin: 4186.9, coveragePct: 33.3, largestGapMin: 15 })

  // Dexcom stops after 90 minutes (9 readings), Nightscout has all 16: the densest series wins. Its values are all
  // 4 higher, so baseline and peak move by 4 and the areas stay those of the Dexcom curve.
  await user.readings(DAY2, CURVE.filter(([m]) => m <= 90), 'DEXCOM')
  await user.readings(DAY2, shifted(CURVE, 0, 4), 'NIGHTSCOUT')
  const denser = await user.response(await user.meal(DAY2))
  t.match(denser, { source: 'NIGHTSCOUT', baselineMgDl: 104, peakMgDl: 174, iauc2hMgDlMin: 4186.9, iauc3hMgDlMin: 4248.8, flags: [] })

  const [stored] = await app.sql`SELECT series_source FROM meal_glucose_responses WHERE meal_id = ${denser.mealId}`
  t.equal(stored!.series_source, 'NIGHTSCOUT', 'the series used is stored with the response')
})

t.test('a stored response is recomputed exactly when its inputs change', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  await user.readings(T0, [...every(5, -30, 0, () => 100), ...every(5, 5, 120, () => 120)])
  const mealId = await user.meal(T0)
  const first = await user.response(mealId)
  // 0→5: (0+20)/2·5 = 50; 5→120: 20·115 = 2300. Data stop at 2 h: the 3 h curve is truncated, the 2 h one is not.
  t.match(first, { iauc2hMgDlMin: 2350, iauc3hMgDlMin: 2350, flags: ['truncated'] })
  t.equal((await user.response(mealId)).computedAt, first.computedAt, 'nothing changed: not recomputed')

  // Late readings for the third hour arrive (the usual case: a provider delivers with a delay).
  await user.readings(T0, every(5, 125, 185, () => 120))
  const late = await user.response(mealId)
  t.match(late, { iauc3hMgDlMin: 2350 + 20 * 60, flags: [] })
  t.not(late.computedAt, first.computedAt)

  // A provider revises one value (same instant, new value): 60 min goes 120 → 140, the two segments around it
  // gain (20+40)/2·5 − 20·5 = 50 each.
  await user.readings(T0, [[60, 140]])
  t.match(await user.response(mealId), { iauc2hMgDlMin: 2450, peakMgDl: 140, timeToPeakMin: 60 })

  // Moving the meal 5 minutes later moves the baseline window: (6·100 + 120)/7 = 102.857
  const moved = await user.request('PATCH', `/api/v1/meals/${mealId}`, { eatenAt: '2025-03-01T12:05:00.000Z' })
  t.equal(moved.status, 200)
  t.match(await user.response(mealId), { eatenAt: '2025-03-01T12:05:00.000Z', baselineMgDl: 102.9 })
})

t.test("routes: another user's meal is a 404, ids are validated, recompute covers [from, to) of the caller only", async (t) => {
  const app = await startResponseApp(t)
  const owner = app.newUser()
  const other = app.newUser()
  const days = ['2025-04-01T08:00:00.000Z', '2025-04-02T08:00:00.000Z', '2025-04-03T08:00:00.000Z']
  const ids: string[] = []
  for (const day of days) {
    await owner.readings(day, every(5, -30, 185, (m) => (m <= 0 ? 100 : 130)))
    ids.push(await owner.meal(day))
  }
  const foreign = await other.request('GET', `/api/v1/meals/${ids[0]}/response`)
  t.equal(foreign.status, 404)
  t.equal(foreign.body.message, 'no such meal')
  const [none] = await app.sql`SELECT count(*)::int AS n FROM meal_glucose_responses WHERE user_id = ${owner.id}`
  t.equal(none!.n, 0, "another user's request computes nothing")
  t.equal((await owner.request('GET', '/api/v1/meals/not-a-uuid/response')).status, 400)
  t.equal((await owner.request('GET', '/api/v1/meals/00000000-0000-4000-8000-000000000000/response')).status, 404)

  const first = await owner.response(ids[0]!)
  const recompute = await owner.request('POST', '/api/v1/meals/responses/recompute', { from: days[0], to: days[2] })
  t.same(recompute, { status: 200, body: { recomputed: 2 }, headers: recompute.headers }, 'the first two days; `to` is exclusive')
  const again = await owner.response(ids[0]!)
  t.not(again.computedAt, first.computedAt, 'recompute rewrites even a fresh response')
  t.match(again, { baselineMgDl: 100, peakRiseMgDl: 30 })
  const stored = await app.sql`SELECT meal_id FROM meal_glucose_responses WHERE user_id = ${owner.id} ORDER BY meal_id`
  t.same(stored.map((r) => r.meal_id), [ids[0], ids[1]].sort(), 'the third meal is outside the range')
  t.same((await other.request('POST', '/api/v1/meals/responses/recompute', { from: days[0], to: days[2] })).body, { recomputed: 0 })

  const backwards = await owner.request('POST', '/api/v1/meals/responses/recompute', { from: days[1], to: days[0] })
  t.equal(backwards.status, 400)
  t.match(backwards.body, { message: /to must be after from/, details: [{ field: 'body.to' }] })
  const tooLong = await owner.request('POST', '/api/v1/meals/responses/recompute', { from: '2020-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' })
  t.equal(tooLong.status, 400)
  t.equal((await owner.request('POST', '/api/v1/meals/responses/recompute', { from: days[0] })).status, 400)
})

t.test('batch: many meals of many users in one statement; a second pass finds nothing stale', async (t) => {
  const app = await startResponseApp(t)
  const users = [app.newUser(), app.newUser()]
  const ids: string[] = []
  for (const [u, user] of users.entries()) {
    for (const day of ['2025-05-01', '2025-05-02', '2025-05-03']) {
      const t0 = `${day}T0${7 + u}:00:00.000Z`
      await user.readings(t0, every(5, -30, 185, (m) => (m <= 0 ? 100 : 100 + 10 * u)))
      ids.push(await user.meal(t0))
    }
  }
  t.equal(await computeMealResponses(app.sql, { mealIds: ids }, { onlyStale: true }), 6)
  t.equal(await computeMealResponses(app.sql, { mealIds: ids }, { onlyStale: true }), 0, 'all fresh')
  t.equal(await computeMealResponses(app.sql, { userId: users[1]!.id, from: new Date('2025-05-02T00:00:00Z') }, { onlyStale: false }), 2)
  const rises = await app.sql`
    SELECT r.user_id, array_agg(r.peak_rise_mg_dl ORDER BY m.eaten_at) AS rises
    FROM meal_glucose_responses r JOIN meals m ON m.id = r.meal_id WHERE r.meal_id = ANY (${ids}::uuid[])
    GROUP BY r.user_id`
  const byUser = Object.fromEntries(rises.map((r) => [r.user_id, r.rises]))
  t.same(byUser, { [users[0]!.id]: [0, 0, 0], [users[1]!.id]: [10, 10, 10] }, 'each meal read its own user’s readings')
})
