// What the fuzzer found (fuzz.test.ts), kept as plain tests. `to=0001-01-01T00:00:00Z` alone defaulted `from` to a
// time before year 1, which PostgreSQL refuses as out of range: the routes answered 500. Now a 400 naming `from`.
import t from 'tap'
import { startApp } from '../helpers.js'

const ROUTES = ['/api/v1/glucose/readings', '/api/v1/glucose/report', '/api/v1/glucose/insights', '/api/v1/glucose/detected-meals',
  '/api/v1/alerts', '/api/v1/glucose/agp.svg', '/api/v1/glucose/trend.svg']

t.test('a range reaching before year 1 is a 400 naming from, not a 500', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  for (const route of ROUTES) {
    const defaulted = await user.request('GET', `${route}?to=0001-01-01T00:00:00Z`)
    t.equal(defaulted.status, 400, `${route}?to=0001-01-01`)
    t.match(defaulted.body?.message, /from \(defaulted from to\) is before 0001-01-01T00:00:00Z/, `${route}: says what was wrong`)
  }
  const explicit = await user.request('GET', '/api/v1/glucose/report?from=0000-12-31T00:00:00Z&to=0001-01-02T00:00:00Z')
  t.equal(explicit.status, 400, 'an explicit from before year 1 too')
  t.match(explicit.body, { message: /^from is before 0001-01-01/, details: [{ field: 'querystring.from' }] })
  const earliest = await user.request('GET', '/api/v1/glucose/report?from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z')
  t.equal(earliest.status, 200, 'year 1 itself is a valid (empty) period')
  t.equal(earliest.body?.readings, 0)
})
