// Every query is scoped to the token's user: B can neither see nor change A's data, and bad tokens get nowhere.
import { createSigner } from 'fast-jwt'
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { countReadings, request, series, startApp } from '../helpers.js'

t.test("user B cannot read or change user A's readings and meals", async (t) => {
  const app = await startApp(t)
  const a = app.newUser()
  const b = app.newUser()
  await a.request('POST', '/api/v1/glucose/readings', { readings: series(12) })
  const meal = await a.request('POST', '/api/v1/meals', { eatenAt: new Date().toISOString(), name: 'A lunch' })
  t.equal(meal.status, 201)

  t.same((await b.request('GET', '/api/v1/glucose/readings')).body.readings, [])
  t.same((await b.request('GET', '/api/v1/glucose/readings?bucket=1h')).body.readings, [])
  t.equal((await b.request('GET', '/api/v1/glucose/latest')).status, 404)
  t.same((await b.request('GET', '/api/v1/meals')).body.meals, [])
  t.equal((await b.request('GET', `/api/v1/meals/${meal.body.id}`)).status, 404)
  t.equal((await b.request('PATCH', `/api/v1/meals/${meal.body.id}`, { name: 'stolen' })).status, 404)
  t.equal((await b.request('DELETE', `/api/v1/meals/${meal.body.id}`)).status, 404)
  t.equal((await b.request('GET', '/api/v1/me')).body.id, b.id)

  // A's data is intact after B's attempts.
  t.equal(await countReadings(app.db, a.id), 12)
  t.equal((await a.request('GET', `/api/v1/meals/${meal.body.id}`)).body.name, 'A lunch')
  t.equal((await a.request('GET', '/api/v1/glucose/readings')).body.readings.length, 12)
})

t.test('requests without a valid token are 401 and touch nothing', async (t) => {
  const app = await startApp(t)
  const secret = app.config.jwt.key
  const sub = randomUUID()
  const cases: Array<[string, string | undefined, RegExp]> = [
    ['no token', undefined, /missing bearer token/],
    ['garbage', 'not-a-jwt', /invalid token/],
    ['wrong secret', createSigner({ key: 'x'.repeat(40) })({ sub }), /invalid token/],
    ['expired', createSigner({ key: secret, expiresIn: 1 })({ sub, iat: 1_600_000_000 }), /token expired/],
    ['alg none', createSigner({ algorithm: 'none' })({ sub }), /invalid token/],
    ['sub not a uuid', createSigner({ key: secret })({ sub: 'alice' }), /sub\) must be a user UUID/],
  ]
  for (const [name, token, message] of cases) {
    const res = await request(app.url, token, 'POST', '/api/v1/glucose/readings', { readings: series(1) })
    t.equal(res.status, 401, name)
    t.match(res.body.message, message, name)
    t.equal(res.headers.get('www-authenticate'), 'Bearer', name)
  }
  const [row] = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users WHERE id = ${sub}`
  t.equal(row!.n, 0, 'no user row was created by a rejected token')
})
