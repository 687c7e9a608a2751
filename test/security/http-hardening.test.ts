// Hardened HTTP: security headers on every answer, no-store on API answers, CORS only for configured origins,
// an oversized body refused with 413 and a message naming the limit, and the server's timeouts in place.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { startApp, testConfig } from '../helpers.js'

const ALLOWED = 'https://app.example.org'

t.test('security headers and cache control', async (t) => {
  const app = await startApp(t, { corsOrigins: [ALLOWED], bodyLimitBytes: 2048 })
  const user = app.newUser()
  const api = await user.request('GET', '/api/v1/meals')
  t.equal(api.status, 200)
  const h = api.headers
  t.equal(h.get('x-content-type-options'), 'nosniff')
  t.equal(h.get('x-frame-options'), 'SAMEORIGIN')
  t.equal(h.get('referrer-policy'), 'no-referrer')
  t.match(h.get('strict-transport-security'), /max-age=\d{7,}/)
  t.equal(h.get('cross-origin-resource-policy'), 'same-origin')
  const csp = h.get('content-security-policy') ?? ''
  t.match(csp, /default-src 'self'/)
  t.match(csp, /script-src 'self'(;|$)/, "scripts: own only, no 'unsafe-inline'")
  t.match(csp, /frame-ancestors 'none'/)
  t.match(csp, /object-src 'none'/)
  t.notMatch(csp, /upgrade-insecure-requests/)
  t.equal(h.get('cache-control'), 'no-store', 'health data is not cached')
  t.equal(h.get('x-powered-by'), null)
  const health = await fetch(`${app.url}/health`)
  t.equal(health.headers.get('x-content-type-options'), 'nosniff', 'on non-API routes too')
  t.equal(health.headers.get('cache-control'), null, 'no-store is for API answers')

  t.test('CORS: the allowed origin gets the headers, another origin does not', async (t) => {
    const preflight = (origin: string) => fetch(`${app.url}/api/v1/glucose/readings`, {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    })
    const ok = await preflight(ALLOWED)
    t.equal(ok.status, 204)
    t.equal(ok.headers.get('access-control-allow-origin'), ALLOWED)
    t.match(ok.headers.get('access-control-allow-headers'), /authorization/)
    t.match(ok.headers.get('access-control-allow-methods'), /POST/)
    t.equal(ok.headers.get('access-control-allow-credentials'), null, 'bearer tokens, no cookies')
    const evil = await preflight('https://evil.example.com')
    t.equal(evil.headers.get('access-control-allow-origin'), null)
    const lookalike = await preflight('https://app.example.org.evil.example.com')
    t.equal(lookalike.headers.get('access-control-allow-origin'), null, 'exact match, not a prefix')

    const get = (origin: string) => fetch(`${app.url}/api/v1/meals`, { headers: { origin, authorization: `Bearer ${user.token}` } })
    const allowed = await get(ALLOWED)
    t.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED)
    t.match(allowed.headers.get('access-control-expose-headers'), /x-request-id/)
    t.equal((await get('https://evil.example.com')).headers.get('access-control-allow-origin'), null)
  })

  t.test('an oversized body: 413 naming the limit, not 500', async (t) => {
    const big = { readings: Array.from({ length: 200 }, (_, i) => ({ time: new Date(Date.now() - i * 300_000).toISOString(), value: 100 })) }
    const res = await user.request('POST', '/api/v1/glucose/readings', big)
    t.equal(res.status, 413)
    t.match(res.body, { statusCode: 413, error: 'Payload Too Large', message: /limit of 2048 bytes/ })
  })
})

t.test('CORS is closed by default', async (t) => {
  t.same(loadConfig({}).corsOrigins, [])
  t.same(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins, ['https://a.example', 'http://localhost:5173'])
  t.throws(() => loadConfig({ CORS_ORIGINS: '*' }), /CORS_ORIGINS/, 'no wildcard')
  t.throws(() => loadConfig({ CORS_ORIGINS: 'https://a.example/path' }), /CORS_ORIGINS/, 'origins, not URLs')
  const app = await startApp(t)
  const res = await fetch(`${app.url}/api/v1/meals`, { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } })
  t.equal(res.headers.get('access-control-allow-origin'), null)
})

t.test('server timeouts are set (a slow client cannot hold a connection for ever)', async (t) => {
  const app = await buildApp(testConfig())
  await app.ready()
  t.teardown(() => app.close())
  t.equal(app.server.requestTimeout, 60_000, 'whole request within 60 s')
  t.ok(app.server.headersTimeout > 0 && app.server.headersTimeout <= 60_000, `headers within ${app.server.headersTimeout} ms`)
  t.equal(app.initialConfig.connectionTimeout, 30_000, 'idle socket closed after 30 s')
})
