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
  const defaults = { retentionDays: null, effectiveRetentionDays: null } // no RETENTION_DAYS in the test config
  t.same((await user.request('GET', '/api/v1/me')).body, { id: user.id, timezone: 'UTC', preferredUnit: 'mg/dL', ...defaults })
  const bad = await user.request('PATCH', '/api/v1/me', { timezone: 'Mars/Olympus' })
  t.equal(bad.status, 400)
  t.match(bad.body.message, /"Mars\/Olympus" is not an IANA time zone/)
  const good = await user.request('PATCH', '/api/v1/me', { timezone: 'Europe/Berlin', preferredUnit: 'mmol/L' })
  t.same(good.body, { id: user.id, timezone: 'Europe/Berlin', preferredUnit: 'mmol/L', ...defaults })
})

t.test('with the database unreachable: 503 with Retry-After, not a hang or a 500', async (t) => {
  // Port 1 on loopback: nothing listens, so every connection attempt is refused at once.
  const app = await startApp(t, { databaseUrl: 'postgres://nobody:nothing@127.0.0.1:1/none' })
  const user = app.newUser()
  const res = await user.request('GET', '/api/v1/glucose/latest')
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '5')
  t.same(res.body, { statusCode: 503, error: 'Service Unavailable', message: 'the database is unavailable; retry shortly' })
  const ready = await request(app.url, undefined, 'GET', '/ready')
  t.equal(ready.status, 503)
  t.match(ready.body, { status: 'unavailable', reason: /^database: / })
})

t.test('request logs keep the path and drop tokens, query strings and bodies', async (t) => {
  const lines: string[] = []
  const app = await startApp(t, {}, { write: (line) => lines.push(line) })
  const user = app.newUser()
  await user.request('POST', '/api/v1/glucose/readings?note=secret-query', { readings: [{ time: new Date().toISOString(), value: 187 }] })
  const log = lines.join('')
  t.match(log, /"path":"\/api\/v1\/glucose\/readings"/, 'the request line is logged')
  t.notMatch(log, /secret-query/)
  t.notMatch(log, new RegExp(user.token.slice(-20)))
  t.notMatch(log, /"value"\s*:|"readings"\s*:/, 'no request body (reading values) in the log')
})
