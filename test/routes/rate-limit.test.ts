// The app-wide rate limit: per user across routes, 429 in the one error shape with Retry-After, other users
// unaffected; unauthenticated routes are counted per client address.
import t from 'tap'
import { request, startApp } from '../helpers.js'

t.test('global rate limit', async (t) => {
  const app = await startApp(t, { rateLimitPerMinute: 3 })

  t.test('the 4th request of a user within a minute is refused, whatever the route', async (t) => {
    const user = app.newUser()
    const statuses = [
      (await user.request('GET', '/api/v1/me')).status,
      (await user.request('GET', '/api/v1/glucose/latest')).status,
      (await user.request('GET', '/api/v1/connections')).status,
    ]
    t.same(statuses, [200, 404, 200], 'three requests pass (latest: no reading yet)')
    const limited = await user.request('GET', '/api/v1/me')
    t.equal(limited.status, 429)
    t.same(Object.keys(limited.body).sort(), ['error', 'message', 'statusCode'])
    t.match(limited.body, { statusCode: 429, error: 'Too Many Requests', message: /rate limit of 3 requests exceeded; retry in/ })
    const retryAfter = Number(limited.headers.get('retry-after'))
    t.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter} s`)

    const other = app.newUser()
    t.equal((await other.request('GET', '/api/v1/me')).status, 200, 'another user is not affected')
  })

  t.test('without a user, the client address is counted', async (t) => {
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await request(app.url, undefined, 'GET', '/health')).status)
    t.equal(statuses.slice(0, 3).filter((s) => s !== 429).length, 3)
    t.equal(statuses[3], 429)
  })
})
