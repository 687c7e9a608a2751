import t from 'tap'
import { startApp } from '../helpers.js'

const breakfast = {
  eatenAt: '2025-05-01T07:30:00+02:00',
  name: 'Breakfast',
  notes: 'after a run',
  items: [
    { name: 'Oats', grams: 60, carbs: 36.2, protein: 7.9, fat: 4.1, fiber: 6, calories: 225 },
    { name: 'Banana', grams: 120, carbs: 27, fiber: 3.1, calories: 107 },
  ],
}

t.test('create, read, list, change and delete a meal with items', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const created = await user.request('POST', '/api/v1/meals', breakfast)
  t.equal(created.status, 201)
  t.match(created.body, { eatenAt: '2025-05-01T05:30:00.000Z', name: 'Breakfast', notes: 'after a run', source: 'manual' })
  t.same(created.body.items[1], { name: 'Banana', grams: 120, carbs: 27, protein: null, fat: null, fiber: 3.1, calories: 107 })
  // Totals add what is known; a nutrient no item states stays null (unknown is not zero).
  t.same(created.body.totals, { grams: 180, carbs: 63.2, protein: 7.9, fat: 4.1, fiber: 9.1, calories: 332 })

  const id = created.body.id
  t.same((await user.request('GET', `/api/v1/meals/${id}`)).body, created.body)

  await user.request('POST', '/api/v1/meals', { eatenAt: '2025-05-01T12:00:00Z', name: 'Lunch' })
  await user.request('POST', '/api/v1/meals', { eatenAt: '2025-05-03T12:00:00Z', name: 'Later' })
  const listed = await user.request('GET', '/api/v1/meals?from=2025-05-01T00:00:00Z&to=2025-05-02T00:00:00Z')
  t.same(listed.body.meals.map((m: { name: string }) => m.name), ['Lunch', 'Breakfast'], 'newest first, within range')
  t.equal((await user.request('GET', '/api/v1/meals?limit=1')).body.meals[0].name, 'Later')

  const renamed = await user.request('PATCH', `/api/v1/meals/${id}`, { name: 'Big breakfast' })
  t.equal(renamed.body.name, 'Big breakfast')
  t.equal(renamed.body.items.length, 2, 'items kept when not given')
  const reitemed = await user.request('PATCH', `/api/v1/meals/${id}`, { items: [{ name: 'Toast', carbs: 15 }], notes: null })
  t.same(reitemed.body.items.map((i: { name: string }) => i.name), ['Toast'], 'items replaced when given')
  t.equal(reitemed.body.notes, null)
  t.same(reitemed.body.totals, { grams: null, carbs: 15, protein: null, fat: null, fiber: null, calories: null })

  t.equal((await user.request('DELETE', `/api/v1/meals/${id}`)).status, 204)
  t.equal((await user.request('GET', `/api/v1/meals/${id}`)).status, 404)
  const [left] = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM meal_items WHERE meal_id = ${id}`
  t.equal(left!.n, 0, 'items deleted with their meal')
})

t.test('invalid meals are 400s naming the field', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const cases: Array<[unknown, RegExp]> = [
    [{ name: 'No time' }, /eatenAt/],
    [{ eatenAt: 'yesterday', name: 'x' }, /eatenAt/],
    [{ eatenAt: '2025-05-01T07:30:00Z', name: '' }, /name/],
    [{ eatenAt: '2025-05-01T07:30:00Z', name: 'x', items: [{ name: 'y', carbs: -1 }] }, /items\.0\.carbs/],
    [{ eatenAt: '2025-05-01T07:30:00Z', name: 'x', kcal: 100 }, /additional properties/],
  ]
  for (const [body, field] of cases) {
    const res = await user.request('POST', '/api/v1/meals', body)
    t.equal(res.status, 400)
    t.match(res.body.message, field)
  }
  t.equal((await user.request('PATCH', '/api/v1/meals/not-a-uuid', { name: 'x' })).status, 400)
  const [row] = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM meals WHERE user_id = ${user.id}`
  t.equal(row!.n, 0)
})
