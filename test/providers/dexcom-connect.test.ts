// Connecting Dexcom over real HTTP: authorize → simulator login → callback, encrypted storage, state checks,
// isolation between users, rate limit, and what reaches the log.
import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import { CredentialCipher } from '../../src/providers/crypto.js'
import { credentialContext } from '../../src/providers/connections.js'
import { request } from '../helpers.js'
import { connectDexcom, POLICY, rawConnection, REDIRECT_URI, startLogin, startProviderApp, startSimulator } from './helpers.js'

t.test('dexcom connect flow', async (t) => {
  const sim = await startSimulator(t)
  const logs: string[] = []
  const app = await startProviderApp(t, sim, {}, { write: (line) => void logs.push(line) })
  const cipher = CredentialCipher.fromConfig(app.config.credentialKeys)

  t.test('authorize → login → callback stores an active connection with encrypted tokens', async (t) => {
    const user = app.newUser()
    const { authorizeUrl, back, callbackPath } = await startLogin(app, user, sim, 'SandboxUser1')
    t.equal(authorizeUrl.origin + authorizeUrl.pathname, `${sim.baseUrl}/v2/oauth2/login`)
    t.same(
      [authorizeUrl.searchParams.get('client_id'), authorizeUrl.searchParams.get('redirect_uri'), authorizeUrl.searchParams.get('response_type'), authorizeUrl.searchParams.get('scope')],
      ['sim-client-id', REDIRECT_URI, 'code', 'offline_access'],
    )
    t.match(back.searchParams.get('state'), /^[A-Za-z0-9_-]{43}$/, '256-bit state travels through the provider')

    const callback = await request(app.url, undefined, 'GET', callbackPath)
    t.equal(callback.status, 200)
    t.match(callback.body.connection, { provider: 'dexcom', status: 'active', region: 'custom', lastError: null })
    const tokenCall = sim.lastRequest('/v2/oauth2/token')
    t.match(tokenCall?.body, { grant_type: 'authorization_code', redirect_uri: REDIRECT_URI, client_id: 'sim-client-id' })

    const row = await rawConnection(app, callback.body.connection.id)
    const stored = cipher.decryptJson<Record<string, string>>(row.credentials, credentialContext(user.id, 'dexcom'))
    t.ok(stored.accessToken!.length >= 20 && stored.refreshToken!.length >= 20)
    t.equal(stored.baseUrl, sim.baseUrl)
    const expiresIn = Date.parse(stored.expiresAt!) - Date.now()
    t.ok(expiresIn > 7100_000 && expiresIn <= 7200_000, 'expiry from expires_in (7200 s)')
    for (const secret of [stored.accessToken!, stored.refreshToken!]) {
      t.notOk(row.credentials.includes(Buffer.from(secret)), 'ciphertext does not contain the token')
      t.notOk(row.credentials.toString('base64').includes(secret), 'nor its base64')
    }
    t.throws(() => cipher.decrypt(row.credentials, credentialContext(app.newUser().id, 'dexcom')), /authentication/, 'bound to its user')

    const list = await user.request('GET', '/api/v1/connections')
    t.equal(list.status, 200)
    t.equal(list.body.connections.length, 1)
    t.same(Object.keys(list.body.connections[0]).sort(), ['createdAt', 'id', 'lastError', 'lastReadingAt', 'lastSuccessAt', 'lastSyncAt', 'provider', 'readingCount', 'region', 'status'])
    t.notOk(JSON.stringify(list.body).includes(stored.accessToken!), 'the listing never carries tokens')

    // Reconnecting replaces the tokens of the same connection instead of adding a second one.
    const again = await connectDexcom(app, user, sim, 'SandboxUser1')
    t.equal(again.id, callback.body.connection.id)
    t.equal((await user.request('GET', '/api/v1/connections')).body.connections.length, 1)
  })

  t.test('a state works once, and only the one issued', async (t) => {
    const user = app.newUser()
    const { callbackPath, back } = await startLogin(app, user, sim, 'SandboxUser2')
    t.equal((await request(app.url, undefined, 'GET', callbackPath)).status, 200)
    const replay = await request(app.url, undefined, 'GET', callbackPath)
    t.equal(replay.status, 400, 'replayed state is refused')
    t.match(replay.body.message, /already used state/)

    const forged = new URLSearchParams({ code: back.searchParams.get('code')!, state: randomBytes(32).toString('base64url') })
    t.equal((await request(app.url, undefined, 'GET', `/api/v1/connections/dexcom/callback?${forged}`)).status, 400, 'forged state')
    t.equal((await request(app.url, undefined, 'GET', '/api/v1/connections/dexcom/callback?code=x&state=short')).status, 400, 'malformed state')
    t.equal((await request(app.url, undefined, 'GET', '/api/v1/connections/dexcom/callback?code=x')).status, 400, 'no state')

    // Expired: the row is aged in the database rather than waiting ten minutes.
    const late = await startLogin(app, user, sim, 'SandboxUser2')
    const hash = createHash('sha256').update(late.back.searchParams.get('state')!).digest()
    await app.db.sql`UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE state_hash = ${hash}`
    t.equal((await request(app.url, undefined, 'GET', late.callbackPath)).status, 400, 'expired state')

    // A declined login consumes the state and says so.
    const declined = await startLogin(app, user, sim, 'deny')
    const answer = await request(app.url, undefined, 'GET', declined.callbackPath)
    t.same([answer.status, /declined/.test(answer.body.message)], [400, true])
  })

  t.test("user B can neither see, sync nor delete A's connection", async (t) => {
    const a = app.newUser()
    const b = app.newUser()
    const connection = await connectDexcom(app, a, sim, 'SandboxUser3')
    t.same((await b.request('GET', '/api/v1/connections')).body.connections, [])
    t.equal((await b.request('POST', `/api/v1/connections/${connection.id}/sync`)).status, 404)
    t.equal((await b.request('DELETE', `/api/v1/connections/${connection.id}`)).status, 404)
    t.equal((await request(app.url, undefined, 'GET', '/api/v1/connections')).status, 401, 'no token, no listing')
    t.equal((await a.request('GET', '/api/v1/connections')).body.connections.length, 1, "A's connection is intact")
    t.equal((await a.request('DELETE', `/api/v1/connections/${connection.id}`)).status, 204)
    t.same((await a.request('GET', '/api/v1/connections')).body.connections, [])
  })

  t.test('authorize: unknown region or provider, rate limit with Retry-After', async (t) => {
    const user = app.newUser()
    t.equal((await user.request('GET', '/api/v1/connections/dexcom/authorize?region=mars')).status, 400)
    const eu = await user.request('GET', `/api/v1/connections/dexcom/authorize?region=eu&consent=${POLICY}`)
    t.same([eu.body.region, new URL(eu.body.authorizeUrl).origin], ['eu', 'https://api.dexcom.eu'])
    t.equal((await user.request('GET', '/api/v1/connections/acme/authorize')).status, 404)
    const statuses: number[] = []
    for (let i = 0; i < 2; i++) statuses.push((await user.request('GET', '/api/v1/connections/dexcom/authorize')).status)
    const limited = await user.request('GET', '/api/v1/connections/dexcom/authorize')
    t.same(statuses, [200, 200], 'requests 4 and 5 of 5 allowed: the three refused above count too')
    t.equal(limited.status, 429)
    t.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After set')
    t.equal((await app.newUser().request('GET', `/api/v1/connections/dexcom/authorize?consent=${POLICY}`)).status, 200, 'another user is not limited')
  })

  t.test('the log never holds tokens, codes or states', async (t) => {
    const user = app.newUser()
    const { back, callbackPath } = await startLogin(app, user, sim, 'SandboxUser5')
    const { connection } = (await request(app.url, undefined, 'GET', callbackPath)).body
    t.equal((await user.request('POST', `/api/v1/connections/${connection.id}/sync`)).status, 200)
    const stored = cipher.decryptJson<Record<string, string>>((await rawConnection(app, connection.id)).credentials, credentialContext(user.id, 'dexcom'))
    const text = logs.join('')
    t.ok(text.includes('/sync'), 'requests are logged at all')
    for (const secret of [back.searchParams.get('code')!, back.searchParams.get('state')!, stored.accessToken!, stored.refreshToken!, user.token]) {
      t.notOk(text.includes(secret), 'secret absent from the log')
    }
  })
})
