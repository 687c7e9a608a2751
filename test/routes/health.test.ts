import t from 'tap'
import { request, startApp } from '../helpers.js'

t.test('health and readiness', async (t) => {
  const app = await startApp(t)
  t.same((await request(app.url, undefined, 'GET', '/health')).body, { status: 'ok' })
  const ready = await request(app.url, undefined, 'GET', '/ready')
  t.equal(ready.status, 200)
  t.same(ready.body, { status: 'ready', timescaledb: 'apache' })
  const unknown = await request(app.url, undefined, 'GET', '/nope?x=1')
  t.same(unknown.body, { statusCode: 404, error: 'Not Found', message: 'no route GET /nope' })
  t.match(unknown.headers.get('x-request-id'), /^[0-9a-f-]{36}$/)
})

t.test('the me endpoint validates the time zone', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  t.same((await user.request('GET', '/api/v1/me')).body, { id: user.id, timezone: 'UTC', preferredUnit: 'mg/dL' })
  const bad = await user.request('PATCH', '/api/v1/me', { timezone: 'Mars/Olympus' })
  t.equal(bad.status, 400)
  t.match(bad.body.message, /"Mars\/Olympus" is not an IANA time zone/)
  const good = await user.request('PATCH', '/api/v1/me', { timezone: 'Europe/Berlin', preferredUnit: 'mmol/L' })
  t.same(good.body, { id: user.id, timezone: 'Europe/Berlin', preferredUnit: 'mmol/L' })
})
