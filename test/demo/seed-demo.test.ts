// The demo seed: realistic readings and meals with responses through the API's own store functions, idempotent
// top-ups, and the rules that keep the first-start seed to empty local development databases.
import t from 'tap'
import { appUrl, demoSeedAllowed, isLocalDevelopmentDatabase, seedDemoOnFirstStart } from '../../src/demo/first-start.js'
import { mealName, seedDemo } from '../../src/demo/seed-demo.js'
import { countReadings, startApp } from '../helpers.js'

const DAY = 86_400_000

t.test('seedDemo: days of readings, named meals with responses, nothing twice', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  t.equal((await user.request('GET', '/api/v1/me')).status, 200)
  const now = Math.floor(Date.now() / 60_000) * 60_000
  const first = await seedDemo(app.db, { userId: user.id, days: 2, now, timezone: 'Europe/Berlin' })
  // 2 days of 5-minute readings is 576 slots; the seed drops ~0.4 % as signal loss.
  t.ok(first.readings.inserted > 560 && first.readings.inserted <= 576, `${first.readings.inserted} readings`)
  t.equal(await countReadings(app.db, user.id), first.readings.inserted)
  t.equal(first.timezone, 'Europe/Berlin')
  t.ok(first.mealsAdded >= 4 && first.mealsAdded <= 8, `${first.mealsAdded} meals in 2 days`)
  t.equal(first.responses, first.mealsAdded, 'every meal has a computed response')

  const latest = await user.request('GET', '/api/v1/glucose/latest')
  t.ok(latest.body.ageSeconds < 6 * 60, 'the newest reading is from the last 5 minutes')
  t.match(latest.body.trend, /^(doubleUp|singleUp|fortyFiveUp|flat|fortyFiveDown|singleDown|doubleDown)$/)
  const { meals } = (await user.request('GET', '/api/v1/meals')).body
  for (const meal of meals) {
    t.equal(meal.items.length, 1)
    t.equal(meal.name, meal.items[0].name)
    t.equal(meal.name, mealName({ kind: kindOf(meal.name), carbs: meal.totals.carbs, time: 0 }), `${meal.name} named by its carbs`)
  }
  const scored = (await user.request('GET', `/api/v1/meals/${meals[0].id}/response`)).body
  t.type(scored.score, 'number', 'the newest meal has a score')

  const again = await seedDemo(app.db, { userId: user.id, days: 2, now: now + 10 * 60_000, timezone: 'Europe/Berlin' })
  t.same([again.mealsAdded, again.readings.updated], [0, 0], 'a re-run adds no meal and changes no reading')
  t.ok(again.readings.inserted <= 2, `only the readings of the 10 minutes since (${again.readings.inserted})`)
})

t.test('mealName: bigger portions get starchier dishes', async (t) => {
  t.equal(mealName({ kind: 'dinner', carbs: 55, time: 0 }), 'Salmon, potatoes and greens')
  t.equal(mealName({ kind: 'dinner', carbs: 70, time: 0 }), 'Chicken curry with rice')
  t.equal(mealName({ kind: 'dinner', carbs: 85, time: 0 }), 'Pizza margherita')
  t.equal(mealName({ kind: 'snack', carbs: 15, time: 0 }), 'Apple')
})

t.test('first-start seed only on the local development cluster, on/off by DEMO', async (t) => {
  t.ok(isLocalDevelopmentDatabase('postgres://glucose:glucose-local@127.0.0.1:54329/glucose'))
  t.ok(isLocalDevelopmentDatabase('postgres://glucose:glucose-local@localhost:5555/glucose_h1'), 'any local database and port')
  t.notOk(isLocalDevelopmentDatabase('postgres://glucose:glucose-local@db.example.com:5432/glucose'), 'not another host')
  t.notOk(isLocalDevelopmentDatabase('postgres://app:secret@127.0.0.1:5432/glucose'), 'not other credentials')
  t.notOk(isLocalDevelopmentDatabase('not a url'))

  const app = await startApp(t)
  const local = { ...app.config, env: 'development' as const, demo: true, databaseUrl: 'postgres://glucose:glucose-local@127.0.0.1:54329/glucose' }
  t.ok(demoSeedAllowed(local))
  t.notOk(demoSeedAllowed({ ...local, demo: false }), 'DEMO=false')
  t.notOk(demoSeedAllowed({ ...local, env: 'test' }), 'tests')
  t.notOk(demoSeedAllowed({ ...local, env: 'production' }), 'production')
  t.notOk(demoSeedAllowed({ ...local, databaseUrl: 'postgres://glucose:other@10.0.0.5/glucose' }), 'a configured database')

  // The test database has users (every test makes some): nothing is seeded, even where seeding is allowed.
  await app.newUser().request('GET', '/api/v1/me')
  t.equal(await seedDemoOnFirstStart(app.db, local), null, 'not an empty database')
  t.equal(await seedDemoOnFirstStart(app.db, { ...local, env: 'test' }), null)
  t.equal(appUrl({ ...local, host: '0.0.0.0', port: 3000 }), 'http://127.0.0.1:3000/app')
  t.equal(appUrl({ ...local, host: '::1', port: 8080 }), 'http://[::1]:8080/app')
})

function kindOf(name: string): 'breakfast' | 'lunch' | 'snack' | 'dinner' {
  if (/yogurt|oatmeal|toast/i.test(name)) return 'breakfast'
  if (/salad|burrito|pasta/i.test(name)) return 'lunch'
  if (/apple|chocolate/i.test(name)) return 'snack'
  return 'dinner'
}
