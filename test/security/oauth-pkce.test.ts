// OAuth hardening of the Dexcom connect (src/providers/oauth-states.ts, src/providers/dexcom/oauth.ts): PKCE S256
// with the verifier kept encrypted server side, a code injected into another user's flow refused, a replayed
// callback refused before any token exchange, and no open redirect after the callback.
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { CredentialCipher } from '../../src/providers/crypto.js'
import { s256 } from '../../src/providers/oauth-states.js'
import { request } from '../helpers.js'
import { POLICY, REDIRECT_URI, startLogin, startProviderApp, startSimulator } from '../providers/helpers.js'

t.test('PKCE and callback replay', async (t) => {
  const sim = await startSimulator(t)
  const app = await startProviderApp(t, sim)
  const cipher = CredentialCipher.fromConfig(app.config.credentialKeys)

  t.test('the authorize URL carries an S256 challenge; the server keeps the verifier, encrypted', async (t) => {
    const user = app.newUser()
    const res = await user.request('GET', `/api/v1/connections/dexcom/authorize?consent=${POLICY}`)
    t.equal(res.status, 200)
    const url = new URL(res.body.authorizeUrl)
    const challenge = url.searchParams.get('code_challenge')!
    t.match(challenge, /^[A-Za-z0-9_-]{43}$/)
    t.equal(url.searchParams.get('code_challenge_method'), 'S256')
    t.equal(url.searchParams.get('code_verifier'), null, 'the verifier never leaves the server before the token request')
    const [row] = await app.db.sql<{ stateHash: Buffer; verifier: Buffer }[]>`
      SELECT state_hash AS "stateHash", code_verifier_encrypted AS verifier FROM oauth_states WHERE user_id = ${user.id}`
    const verifier = cipher.decrypt(row!.verifier, `oauth-state:${row!.stateHash.toString('hex')}`)
    t.match(verifier, /^[A-Za-z0-9_-]{43,128}$/)
    t.equal(s256(verifier), challenge, 'challenge = BASE64URL(SHA256(verifier))')
    t.notOk(row!.verifier.includes(Buffer.from(verifier)), 'not stored in plain text')
    t.notOk(row!.stateHash.equals(Buffer.from(url.searchParams.get('state')!)), 'the state is stored hashed')
  })

  t.test('the token request sends the verifier, and the simulator checks it', async (t) => {
    const user = app.newUser()
    sim.resetCalls()
    const { callbackPath } = await startLogin(app, user, sim, 'SandboxUser3')
    const challenge = new URL(sim.lastRequest('/v2/oauth2/login')!.url, sim.baseUrl).searchParams.get('code_challenge')
    const done = await request(app.url, undefined, 'GET', callbackPath)
    t.equal(done.status, 200)
    const token = sim.lastRequest('/v2/oauth2/token')!.body as Record<string, string>
    t.equal(token.grant_type, 'authorization_code')
    t.equal(s256(token.code_verifier!), challenge, 'the verifier matching the challenge of this flow')
  })

  t.test('a code stolen from one flow and injected into another is refused (PKCE)', async (t) => {
    const victim = app.newUser()
    const attacker = app.newUser()
    const stolen = (await startLogin(app, victim, sim, 'SandboxUser4')).back.searchParams.get('code')!
    const own = await startLogin(app, attacker, sim, 'SandboxUser5') // the attacker's own flow and state
    const injected = new URLSearchParams({ state: own.back.searchParams.get('state')!, code: stolen })
    const res = await request(app.url, undefined, 'GET', `/api/v1/connections/dexcom/callback?${injected}`)
    t.equal(res.status, 502, 'the provider refused the exchange (src/routes/connections/provider-failure.ts)')
    t.match(res.body.message, /rejected the authorization code/)
    t.equal((await attacker.request('GET', '/api/v1/connections')).body.connections.length, 0, 'nothing connected')
  })

  t.test('a replayed callback is refused without a second token exchange', async (t) => {
    const user = app.newUser()
    const { callbackPath } = await startLogin(app, user, sim, 'SandboxUser6')
    sim.resetCalls()
    t.equal((await request(app.url, undefined, 'GET', callbackPath)).status, 200)
    const again = await request(app.url, undefined, 'GET', callbackPath)
    t.equal(again.status, 400)
    t.match(again.body.message, /already used state; start again/)
    t.equal(sim.callCount('/v2/oauth2/token'), 1, 'one token exchange for one authorization')
    // Two at once: exactly one gets through (DELETE … RETURNING).
    const second = await startLogin(app, user, sim, 'SandboxUser6')
    const both = await Promise.all([1, 2].map(() => request(app.url, undefined, 'GET', second.callbackPath)))
    t.same(both.map((r) => r.status).sort(), [200, 400])
  })

  t.test('no open redirect: the callback answers JSON and ignores any return address', async (t) => {
    const user = app.newUser()
    const { back } = await startLogin(app, user, sim, 'SandboxUser7')
    back.searchParams.set('redirect_uri', 'https://evil.example.com/')
    back.searchParams.set('return_to', 'https://evil.example.com/')
    const res = await fetch(`${app.url}/api/v1/connections/dexcom/callback${back.search}`, { redirect: 'manual' })
    t.notOk(res.status >= 300 && res.status < 400, `not a redirect (${res.status})`)
    t.equal(res.headers.get('location'), null)
  })
})

t.test('the simulator enforces PKCE as a server that supports it does', async (t) => {
  const sim = await startSimulator(t)
  const login = async (params: Record<string, string>) => {
    const url = new URL('/v2/oauth2/login', sim.baseUrl)
    url.search = new URLSearchParams({ client_id: 'sim-client-id', redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'offline_access', state: 's', ...params }).toString()
    return new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
  }
  const token = async (code: string, verifier?: string) => (await fetch(new URL('/v2/oauth2/token', sim.baseUrl), {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'sim-client-id', client_secret: 'sim-client-secret', redirect_uri: REDIRECT_URI, grant_type: 'authorization_code', code, ...(verifier && { code_verifier: verifier }) }),
  })).status
  const verifier = 'v'.repeat(43)
  const code = async () => (await login({ code_challenge: s256(verifier), code_challenge_method: 'S256' })).searchParams.get('code')!
  t.equal(await token(await code()), 400, 'no verifier')
  t.equal(await token(await code(), 'w'.repeat(43)), 400, 'wrong verifier')
  t.equal(await token(await code(), verifier), 200, 'right verifier')
  t.equal((await login({ code_challenge: verifier, code_challenge_method: 'plain' })).searchParams.get('error'), 'invalid_request', 'plain is refused')
  t.equal(await token((await login({})).searchParams.get('code')!), 200, 'without a challenge, as before')
})

t.test('the OAuth redirect URI is configuration: https in production, no fragment', async (t) => {
  const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), CREDENTIALS_KEY: 'ab'.repeat(32) }
  t.throws(() => loadConfig({ ...production, DEXCOM_REDIRECT_URI: 'http://api.example.com/api/v1/connections/dexcom/callback' }), /DEXCOM_REDIRECT_URI must be https/)
  t.equal(loadConfig({ ...production, DEXCOM_REDIRECT_URI: 'https://api.example.com/cb' }).dexcom.redirectUri, 'https://api.example.com/cb')
  t.throws(() => loadConfig({ DEXCOM_REDIRECT_URI: 'http://127.0.0.1:3000/cb#x' }), /fragment/)
})
