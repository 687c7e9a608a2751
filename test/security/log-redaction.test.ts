// No secret and no reading value in any log line: the API's log and a sync worker's log are captured at trace level
// through a full cycle — Dexcom connected by OAuth (simulator), LibreLinkUp with a password, Nightscout with a
// token (one provider failure on the way), worker syncs, reads, a Nightscout-style upload with api-secret and a
// wrong ?token= — and then searched for every secret actually used and every reading value sent.
import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import type { Config } from '../../src/config.js'
import { redactingLoggerOptions, scrubText } from '../../src/http/log-redaction.js'
import { credentialContext } from '../../src/providers/connections.js'
import { CredentialCipher } from '../../src/providers/crypto.js'
import { startBoss } from '../../src/sync/queues.js'
import { startSyncWorker } from '../../src/sync/worker.js'
import { startApp, testConfig } from '../helpers.js'
import { createSite, ns, upload } from '../nightscout-upload/support.js'
import { connected, LLU_VERSION, startLlu, startNightscout } from '../providers/credential-helpers.js'
import { REDIRECT_URI, startLogin, startSimulator } from '../providers/helpers.js'
import { FAST_SYNC, privateDatabase, waitFor } from '../sync/support.js'

// Values no clock, port or id produces next to these delimiters (checked below with lookarounds).
const VALUES = [397, 389, 377, 367, 359]
const PASSWORD = 'llu-Passw0rd-7c1e4be2'

t.test('a full cycle leaves no secret and no reading value in the logs', async (t) => {
  const lines: string[] = []
  const capture = { write: (line: string) => void lines.push(line) }
  const dexcom = await startSimulator(t)
  const llu = await startLlu(t, { accounts: [{ email: 'logs@example.com', password: PASSWORD, region: 'us', patients: [{ firstName: 'Lou', lastName: 'Logs' }] }] })
  const nightscout = await startNightscout(t)
  const { url } = await privateDatabase(t) // the worker syncs every due connection of its database
  const base = testConfig()
  const config: Config = {
    ...base, databaseUrl: url, logLevel: 'trace',
    dexcom: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', redirectUri: REDIRECT_URI, baseUrl: dexcom.baseUrl },
    libreLinkUp: { baseUrl: llu.baseUrl, regionUrlTemplate: llu.regionUrlTemplate, version: LLU_VERSION },
    sync: { ...base.sync, ...FAST_SYNC, worker: false },
  }
  const app = await startApp(t, config, capture)
  const workerLog = pino(redactingLoggerOptions('trace'), new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done() } }))
  const user = app.newUser()

  // Dexcom by OAuth: authorize, the simulator's login, the callback with code and state.
  const login = await startLogin(app, user, dexcom, 'SandboxUser1')
  const callback = await fetch(`${app.url}${login.callbackPath}`)
  t.equal(callback.status, 200)
  const tokenRequest = dexcom.lastRequest('/v2/oauth2/token')!.body as Record<string, string>
  // LibreLinkUp with a password; Nightscout with a read token, its first sync failing once.
  await connected(user, 'libre-link-up', { email: 'logs@example.com', password: PASSWORD })
  const nsToken = nightscout.tokens['sim-reader']!
  const nsConnection = await connected(user, 'nightscout', { url: nightscout.baseUrl, token: nsToken })

  // A worker syncs all three.
  const boss = await startBoss(config, { supervise: true })
  const worker = await startSyncWorker({ config, boss, log: workerLog })
  t.teardown(async () => {
    await worker.stop()
    await boss.stop({ graceful: false, timeout: 5_000 })
  })
  await waitFor(async () => {
    const [row] = await app.db.sql<{ n: number }[]>`SELECT count(DISTINCT connection_id)::int AS n FROM sync_runs WHERE outcome = 'ok'`
    return row!.n >= 3 ? true : undefined
  }, 30_000, 'an ok sync of each connection')
  // A provider failure on a sync now: the error path logs too.
  nightscout.injectFailures({ status: 500, count: 1 })
  t.equal((await user.request('POST', `/api/v1/connections/${nsConnection.id}/sync`)).status, 503, 'the provider failed: retry later')

  // Readings with known values, read back; uploads with the site secret (and a wrong token).
  const now = Math.floor(Date.now() / 60_000) * 60_000
  const readings = VALUES.map((value, i) => ({ time: new Date(now - (i + 1) * 300_000).toISOString(), value }))
  t.equal((await user.request('POST', '/api/v1/glucose/readings', { readings, source: 'MANUAL' })).status, 200)
  t.equal((await user.request('GET', '/api/v1/glucose/readings?from=' + encodeURIComponent(readings.at(-1)!.time))).status, 200)
  t.equal((await user.request('GET', '/api/v1/glucose/latest')).status, 200)
  const site = await createSite(app, user)
  t.equal((await upload(site, VALUES.map((sgv, i) => ({ type: 'sgv', sgv, date: now - (i + 1) * 60_000 - 30_000, direction: 'Flat' })))).status, 200)
  t.equal((await ns(app.url, 'GET', '/api/v1/entries.json', { token: site.secret })).status, 200)
  t.equal((await ns(app.url, 'GET', '/api/v1/entries.json', { token: 'wrong-token-7f0c2d' })).status, 401)
  t.equal((await ns(site.baseUrl, 'GET', '/api/v1/entries.json', { apiSecret: site.apiSecretSha1 })).status, 200)
  await new Promise((resolve) => setTimeout(resolve, 300)) // the last response lines

  const cipher = CredentialCipher.fromConfig(config.credentialKeys)
  const stored = async (provider: string) => {
    const [row] = await app.db.sql<{ c: Buffer }[]>`SELECT credentials_encrypted AS c FROM cgm_connections WHERE user_id = ${user.id} AND provider = ${provider}`
    return cipher.decryptJson<Record<string, unknown>>(row!.c, credentialContext(user.id, provider))
  }
  const dexcomTokens = await stored('dexcom')
  const lluCredentials = await stored('libre-link-up')
  const secrets: Record<string, string> = {
    'bearer token': user.token,
    'dexcom client secret': 'sim-client-secret',
    'dexcom authorization code': login.back.searchParams.get('code')!,
    'oauth state': login.back.searchParams.get('state')!,
    'pkce code_verifier': tokenRequest.code_verifier!,
    'dexcom access token': String(dexcomTokens.accessToken),
    'dexcom refresh token': String(dexcomTokens.refreshToken),
    'librelinkup password': PASSWORD,
    ...Object.fromEntries(Object.entries(lluCredentials).filter(([k, v]) => /token|ticket/i.test(k) && typeof v === 'string').map(([k, v]) => [`librelinkup ${k}`, v as string])),
    'nightscout token': nsToken,
    'upload secret': site.secret,
    'upload secret sha1': site.apiSecretSha1,
    'wrong token': 'wrong-token-7f0c2d',
  }
  const text = lines.join('')
  t.ok(lines.length > 20, `${lines.length} log lines captured`)
  t.match(text, /"msg":"request completed"/, "the API's log is captured")
  t.match(text, /"msg":"sync tick"/, "the worker's log is captured")
  t.match(text, /"msg":"nightscout upload"/, 'the upload is logged')
  for (const [what, secret] of Object.entries(secrets)) {
    t.ok(secret.length >= 8, `${what} is a real secret (${secret.length} characters)`)
    t.notOk(text.includes(secret), `no ${what} in the logs`)
  }
  for (const value of VALUES) {
    const bare = new RegExp(`(?<![0-9a-f.:-])${value}(?![0-9a-f.:-])`, 'i')
    const hit = lines.find((l) => bare.test(l))
    t.notOk(hit, `reading value ${value} in no log line${hit ? `: ${hit.slice(0, 200)}` : ''}`)
  }
  for (const r of readings) t.notOk(text.includes(r.time), 'no reading time')
})

t.test('scrubText: secrets inside messages and URLs', async (t) => {
  t.equal(scrubText('GET https://ns.example/api/v1/entries.json?token=abc123&count=10'), 'GET https://ns.example/api/v1/entries.json?token=[Redacted]&count=10')
  t.equal(scrubText('callback?code=xyz&state=s1'), 'callback?code=[Redacted]&state=[Redacted]')
  t.equal(scrubText('Authorization: Bearer eyJhbGciOi.x.y'), 'Authorization: Bearer [Redacted]')
  t.equal(scrubText('api-secret: 0123abcd'), 'api-secret: [Redacted]')
  t.equal(scrubText('https://SECRET@host.example/ns/1/api/v1/'), 'https://[Redacted]host.example/ns/1/api/v1/')
  // Redaction by key, at any of the first three levels.
  const lines: string[] = []
  const log = pino(redactingLoggerOptions('info'), new Writable({ write(chunk, _e, done) { lines.push(String(chunk)); done() } }))
  log.info({ password: 'p1zq', req: { headers: { authorization: 'Bearer t1zq', 'api-secret': 'a1zq' } }, body: { credentials: { refreshToken: 'r1zq' } }, err: new Error('failed ?token=e1zq') }, 'x')
  t.equal(lines.length, 1)
  t.notMatch(lines[0], /[ptare]1zq/)
  t.match(lines[0], /\[Redacted\]/)
})
