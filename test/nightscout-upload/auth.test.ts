// Upload secrets: the forms clients present them in, rotation, disabling, per-site limits, and never in the log.
import t from 'tap'
import { startApp } from '../helpers.js'
import { slots, xdripBody } from './payloads.js'
import { createSite, get, ns, sha1, upload } from './support.js'

const UNAUTHORIZED = { status: 401, message: 'Unauthorized', description: 'Invalid/Missing' }

t.test('the site settings: none, created (secret shown once), shown without the secret', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  t.same((await user.request('GET', '/api/v1/me/nightscout-upload')).body, { enabled: false })
  t.equal((await user.request('DELETE', '/api/v1/me/nightscout-upload')).status, 404)
  const created = await user.request('POST', '/api/v1/me/nightscout-upload')
  t.equal(created.status, 201)
  const { siteId, secret, baseUrl, apiSecretSha1, xdripUrl, rotated } = created.body
  t.match(siteId, /^[0-9a-f]{24}$/)
  t.match(secret, /^[0-9a-f]{32}$/)
  t.equal(baseUrl, `${app.url}/ns/${siteId}`)
  t.equal(apiSecretSha1, sha1(secret))
  t.equal(xdripUrl, `http://${secret}@${app.url.slice('http://'.length)}/ns/${siteId}/api/v1/`)
  t.equal(rotated, false)
  const view = await user.request('GET', '/api/v1/me/nightscout-upload')
  t.match(view.body, { enabled: true, siteId, baseUrl, lastUploadAt: null, lastUpload: null })
  t.notOk(JSON.stringify(view.body).includes(secret.slice(0, 8)), 'the secret is never shown again')
  const [row] = await app.db.sql<{ secret_hash: Buffer }[]>`SELECT secret_hash FROM nightscout_upload_sites WHERE site_id = ${siteId}`
  t.not(row!.secret_hash.toString('hex'), apiSecretSha1, 'stored hashed, and not as the SHA-1 clients send')
})

t.test('accepted credentials: SHA-1 in api-secret (any case), the secret as token or plain api-secret; others 401', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  const path = '/api/v1/entries.json'
  t.equal((await ns(site.baseUrl, 'GET', path, { apiSecret: site.apiSecretSha1.toUpperCase() })).status, 200)
  t.equal((await ns(site.baseUrl, 'GET', path, { token: site.secret })).status, 200)
  t.equal((await ns(site.baseUrl, 'GET', path, { apiSecret: site.secret })).status, 200)
  t.equal((await ns(app.url, 'GET', path, { token: site.secret })).status, 200, 'also without the site path')

  for (const [what, opts] of [
    ['no secret', {}],
    ['a wrong SHA-1', { apiSecret: sha1('guess-guess-guess') }],
    ['the SHA-1 as token (a token is the secret itself)', { token: site.apiSecretSha1 }],
    ['the literal "null" some uploaders send', { apiSecret: 'null' }],
  ] as const) {
    const res = await ns(site.baseUrl, 'GET', path, opts)
    t.same([res.status, res.body], [401, UNAUTHORIZED], what)
  }
  const res = await ns(site.baseUrl, 'POST', '/api/v1/entries', { body: xdripBody(slots(2)), apiSecret: sha1('wrong-secret-000') })
  t.same([res.status, res.body], [401, UNAUTHORIZED], 'an upload with a wrong secret stores nothing')
  const unknown = await ns(`${app.url}/ns/${'0'.repeat(24)}`, 'GET', path, { apiSecret: site.apiSecretSha1 })
  t.same([unknown.status, unknown.body], [401, UNAUTHORIZED], 'an unknown site id looks like a wrong secret')
  t.equal((await app.db.sql`SELECT 1 FROM glucose_readings WHERE user_id = ${site.user.id}`).length, 0)
})

t.test('rotating the secret invalidates the old one at once; the site id stays; DELETE disables uploads', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  // One reading, sent each time: a body made again could fall in the next 5-minute slot (a new reading).
  const reading = xdripBody(slots(1))
  t.equal((await upload(site, reading)).status, 200)
  const rotated = await site.user.request('POST', '/api/v1/me/nightscout-upload')
  t.equal(rotated.status, 200)
  t.match(rotated.body, { rotated: true, siteId: site.siteId, baseUrl: site.baseUrl })
  t.not(rotated.body.secret, site.secret)
  t.same((await upload(site, reading)).body, UNAUTHORIZED, 'the old secret')
  t.same((await ns(app.url, 'GET', '/api/v1/status.json', { token: site.secret })).status, 401, 'old token, no site path')
  t.equal((await upload({ ...site, apiSecretSha1: rotated.body.apiSecretSha1 }, reading)).status, 200, 'the new one')

  t.equal((await site.user.request('DELETE', '/api/v1/me/nightscout-upload')).status, 204)
  t.equal((await get({ ...site, apiSecretSha1: rotated.body.apiSecretSha1 }, '/api/v1/status.json')).status, 401)
  t.equal((await app.db.sql`SELECT 1 FROM glucose_readings WHERE user_id = ${site.user.id}`).length, 1, 'received readings stay')
})

t.test('each site has its own request budget; over it, 429 with Retry-After', async (t) => {
  const app = await startApp(t, { rateLimitPerMinute: 3 })
  const [a, b] = [await createSite(app), await createSite(app)]
  const statuses = []
  for (let i = 0; i < 4; i++) statuses.push((await get(a, '/api/v1/entries.json')).status)
  t.same(statuses, [200, 200, 200, 429])
  const limited = await upload(a, xdripBody(slots(1)))
  t.equal(limited.status, 429, 'uploads and reads share the budget')
  t.match(limited.body, { status: 429, message: /rate limit/ })
  t.ok(Number(limited.headers.get('retry-after')) > 0)
  t.equal((await get(b, '/api/v1/entries.json')).status, 200, 'another site is not affected')
})

t.test('neither the secret, its SHA-1 nor the token reaches the log', async (t) => {
  const lines: string[] = []
  const app = await startApp(t, {}, { write: (line) => lines.push(line) })
  const site = await createSite(app)
  await upload(site, xdripBody(slots(2)))
  await ns(site.baseUrl, 'GET', '/api/v1/entries.json', { token: site.secret })
  await ns(app.url, 'GET', '/api/v1/entries.json?count=1', { token: site.secret })
  await ns(site.baseUrl, 'GET', '/api/v1/entries.json', { apiSecret: sha1('a-wrong-one-123') })
  const log = lines.join('\n')
  t.match(log, /nightscout upload/, 'the upload is logged (counts only)')
  t.notOk(log.includes(site.secret), 'no secret')
  t.notOk(log.includes(site.apiSecretSha1), 'no SHA-1')
  t.notOk(log.includes('token='), 'no query string')
})
