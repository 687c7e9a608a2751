// GET /api/v1/glucose/insights over real stored responses (food_key grouping, freshness on read) and
// GET /api/v1/glucose/meal-response/:mealId answering exactly what GET /api/v1/meals/:id/response answers.
import t from 'tap'
import { every, startResponseApp } from '../meal-response-app.js'

const day = (d: number) => new Date(Date.UTC(2025, 6, 1 + d, 12)).toISOString()
// Baseline 100 in [−30, 0], then a step to 100 + h from +5 to +185: iAUC 2 h = h/2·5 + h·115 = 117.5·h.
const step = (h: number) => [...every(5, -30, 0, () => 100), ...every(5, 5, 185, () => 100 + h)]

t.test('insights from stored responses: one food per food_key, 95 % interval, carbs per meal, refreshed on read', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  // Names unique to this run: the test database is shared and kept, and the analysts' views reveal a food once 3
  // people have logged it (test/analytics/analyst-role.test.ts relies on that for 'toast').
  const tag = Math.random().toString(36).slice(2, 8)
  const meals: Array<[name: string, h: number, carbs: number | null]> = [
    [`Oatmeal ${tag}`, 20, 40], [`oatmeal  ${tag} `, 24, 40], [`OATMEAL ${tag.toUpperCase()}`, 28, 40], [`Toast ${tag}`, 40, null], [`toast ${tag}`, 40, 20],
  ]
  const ids: string[] = []
  for (const [i, [name, h, carbs]] of meals.entries()) {
    await user.readings(day(i), step(h))
    const items = carbs === null ? [{ name: 'butter', fat: 8 }] : [{ name: 'a', carbs: carbs / 2 }, { name: 'b', carbs: carbs / 2 }]
    const res = await user.request('POST', '/api/v1/meals', { eatenAt: day(i), name, items })
    ids.push(res.body.id)
  }
  const query = `/api/v1/glucose/insights?from=${day(0)}&to=${day(30)}`
  const first = await user.request('GET', query)
  t.equal(first.status, 200)
  t.match(first.body, { meals: 5, responses: 5, excluded: { noResponse: 0, truncated2h: 0 } })
  const oats = first.body.foods.find((f: any) => f.food === `oatmeal ${tag}`)
  // 2350, 2820, 3290: mean 2820, SD 470, 2820 ± 4.303·470/√3 = 2820 ± 1167.6
  t.match(oats, { name: `OATMEAL ${tag.toUpperCase()}`, meals: 3, responses: 3, iauc2h: { n: 3, mean: 2820, sd: 470, ci95: [1652.4, 3987.6] }, problem: null })
  // problem: null — only 2 other meals (the toasts) to compare with, fewer than the 3 the test needs
  // per gram: oats 58.75, 70.5, 82.25 (40 g); toast 235 (20 g; the butter-only toast has no carbohydrate stated)
  // median of the 4 = (70.5 + 82.25)/2 = 76.375; oats 100·70.5/76.375 = 92.3, toast 100·235/76.375 = 307.7
  t.same(first.body.personalGlycemicIndexReference, { medianIaucPerGram: 76.4, n: 4, mealsWithoutCarbs: 1 })
  t.same(oats.personalGlycemicIndex, { value: 92.3, n: 3, mealsWithoutCarbs: 0 })
  t.same(first.body.foods.find((f: any) => f.food === `toast ${tag}`).personalGlycemicIndex, { value: 307.7, n: 1, mealsWithoutCarbs: 1 })
  // (2350 + 2820 + 3290 + 4700 + 4700)/5
  t.same(first.body.trends.monthly, [{ month: '2025-07', n: 5, meanIauc2h: 3572, meanScore: first.body.trends.monthly[0].meanScore }])

  // A late, revised reading in the first oatmeal's window: insights recompute that response before answering.
  await user.readings(day(0), [[60, 100 + 20 + 40]]) // +40 at one reading: two 5-min segments gain 40/2·5 each
  const second = await user.request('GET', query)
  t.equal(second.body.foods.find((f: any) => f.food === `oatmeal ${tag}`).iauc2h.mean, 2886.7) // (2550 + 2820 + 3290)/3

  const bad = await user.request('GET', `/api/v1/glucose/insights?from=${day(30)}&to=${day(0)}`)
  t.equal(bad.status, 400)
  t.match(bad.body, { message: /to must be after from/, details: [{ field: 'querystring.to' }] })
  t.equal((await app.newUser().request('GET', query)).body.meals, 0, "another user's meals are not there")
})

t.test('GET /glucose/meal-response/:mealId answers what GET /meals/:id/response answers', async (t) => {
  const app = await startResponseApp(t)
  const user = app.newUser()
  await user.readings(day(0), step(20))
  const id = await user.meal(day(0))
  const viaMeals = await user.response(id)
  const viaGlucose = await user.request('GET', `/api/v1/glucose/meal-response/${id}`)
  t.equal(viaGlucose.status, 200)
  t.same(viaGlucose.body, viaMeals)
  t.match(viaGlucose.body, { iauc2hMgDlMin: 2350 })
  t.equal((await app.newUser().request('GET', `/api/v1/glucose/meal-response/${id}`)).status, 404)
  t.equal((await user.request('GET', '/api/v1/glucose/meal-response/nope')).status, 400)
})
