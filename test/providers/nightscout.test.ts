// Nightscout as a source over real HTTP against the simulator: connect with a secret or a token, sync stored once
// (paged), direction names mapped, a refused secret, and a row that holds no secret.
import { createHash } from 'node:crypto'
import t from 'tap'
import { CredentialCipher } from '../../src/providers/crypto.js'
import { credentialContext } from '../../src/providers/connections.js'
import { NIGHTSCOUT_CURSOR_OVERLAP_MS, NIGHTSCOUT_PAGE_SIZE } from '../../src/providers/nightscout/index.js'
import type { NsEntry } from '../../src/simulators/nightscout/index.js'
import { isPrivateAddress } from '../../src/providers/public-host.js'
import { countReadings, startApp } from '../helpers.js'
import { connect, connected, containsSecret, startCredentialApp, startNightscout, storedCredentials, sync } from './credential-helpers.js'

t.test('nightscout', async (t) => {
  const sim = await startNightscout(t)
  const app = await startCredentialApp(t)
  const site = { url: sim.baseUrl, apiSecret: sim.apiSecret }
  const served = async () => {
    const res = await fetch(`${sim.baseUrl}/api/v1/entries/sgv.json?find[date][$gte]=0&count=100000`, { headers: { 'api-secret': sim.apiSecretHash } })
    return (await res.json()) as NsEntry[]
  }

  t.test('connect → sync stores every sgv once, paging back to the cursor; twice: still once', async (t) => {
    const user = app.newUser()
    const entries = await served()
    sim.resetCalls()
    const connection = await connected(user, 'nightscout', site)
    t.match(connection, { provider: 'nightscout', status: 'active', region: null })
    t.equal(sim.lastRequest('/api/v1/status.json')?.headers['api-secret'], createHash('sha1').update(sim.apiSecret).digest('hex'), 'api-secret is the SHA-1 hex')

    t.ok(entries.length > NIGHTSCOUT_PAGE_SIZE, `${entries.length} entries: more than one page`)
    const first = await sync(user, connection.id)
    t.equal(first.status, 200)
    const pages = sim.requests('/api/v1/entries/sgv.json')
    t.equal(pages.length, Math.ceil(entries.length / NIGHTSCOUT_PAGE_SIZE), 'pages until a short one')
    const q = (i: number) => new URL(pages[i]!.url, sim.baseUrl).searchParams
    t.equal(q(0).get('count'), String(NIGHTSCOUT_PAGE_SIZE))
    t.ok(Number(q(0).get('find[date][$gt]')) < entries.at(-1)!.date, 'a first sync reaches back before the oldest entry')
    t.equal(q(1).get('find[date][$lt]'), String(entries[NIGHTSCOUT_PAGE_SIZE - 1]!.date), 'the next page ends below the oldest of the previous')
    t.equal(first.body.readings.inserted, entries.length)
    t.equal(await countReadings(app.db, user.id), entries.length)
    const [newest] = await app.db.sql<{ time: Date; value: number; source: string; source_record_id: string }[]>`
      SELECT time, value, source, source_record_id FROM glucose_readings WHERE user_id = ${user.id} ORDER BY time DESC LIMIT 1`
    t.same([newest!.time.getTime(), newest!.value, newest!.source, newest!.source_record_id], [Math.floor(entries[0]!.date / 1000) * 1000, entries[0]!.sgv, 'NIGHTSCOUT', entries[0]!._id])

    sim.resetCalls()
    const second = await sync(user, connection.id)
    const since = entries[0]!.date - NIGHTSCOUT_CURSOR_OVERLAP_MS
    t.equal(new URL(sim.requests('/api/v1/entries/sgv.json')[0]!.url, sim.baseUrl).searchParams.get('find[date][$gt]'), String(since), 'from the newest date less the overlap')
    const overlap = entries.filter((e) => e.date > since).length
    t.same([second.status, second.body.readings.received, second.body.readings.inserted, second.body.readings.updated], [200, overlap, 0, 0])
    t.equal(await countReadings(app.db, user.id), entries.length, 'still exactly once')

    // An uploader's backfill: a reading dated an hour ago, uploaded after the last sync.
    const late = Math.floor((entries[0]!.date - 3_600_000) / 1000) * 1000 + 17_000
    sim.putEntry({ type: 'sgv', sgv: 177, date: late, direction: 'Flat', device: 'backfill' })
    const third = await sync(user, connection.id)
    t.equal(third.body.readings.inserted, 1, 'a late upload older than the cursor is still fetched')
    t.equal(await countReadings(app.db, user.id), entries.length + 1)
  })

  t.test('directions map to canonical trends; bad entries are skipped and counted', async (t) => {
    const user = app.newUser()
    const connection = await connected(user, 'nightscout', site)
    t.equal((await sync(user, connection.id)).status, 200)
    // An hour back (older than the cursor, inside the overlap), a second after one of the site's 5-minute readings,
    // so none replaces a reading already stored.
    const base = (await served())[12]!.date + 1000
    const cases: Array<[string, string | null]> = [
      ['TripleUp', 'doubleUp'], ['DoubleUp', 'doubleUp'], ['SingleUp', 'singleUp'], ['FortyFiveUp', 'fortyFiveUp'], ['Flat', 'flat'],
      ['FortyFiveDown', 'fortyFiveDown'], ['SingleDown', 'singleDown'], ['DoubleDown', 'doubleDown'], ['TripleDown', 'doubleDown'],
      ['NONE', 'none'], ['NOT COMPUTABLE', 'notComputable'], ['RATE OUT OF RANGE', 'rateOutOfRange'], ['Sideways', null],
    ]
    cases.forEach(([direction], i) => sim.putEntry({ type: 'sgv', sgv: 100 + i, date: base + i * 1000, direction: direction as NsEntry['direction'], device: 'test' }))
    sim.putEntry({ type: 'sgv', sgv: 5, date: base + 20_000, device: 'test' }) // a Dexcom error code, not glucose
    sim.putEntry({ type: 'sgv', sgv: 'high' as unknown as number, date: base + 21_000, device: 'test' })
    const res = await sync(user, connection.id)
    t.equal(res.status, 200)
    t.equal(res.body.readings.inserted, cases.length)
    t.same(res.body.readings.skipped, { 'value outside 20–600 mg/dL': 1, 'sgv not a number': 1 })
    const rows = await app.db.sql<{ value: number; trend: string | null }[]>`
      SELECT value, trend FROM glucose_readings WHERE user_id = ${user.id} AND time BETWEEN ${new Date(base)} AND ${new Date(base + 21_000)} ORDER BY time`
    t.same(rows.map((r) => [r.value, r.trend]), cases.map(([, trend], i) => [100 + i, trend]))
  })

  t.test('an access token works instead of the secret, sent as ?token=', async (t) => {
    const user = app.newUser()
    const token = sim.tokens['sim-reader']!
    const connection = await connected(user, 'nightscout', { url: `${sim.baseUrl}/`, token })
    sim.resetCalls()
    t.equal((await sync(user, connection.id)).status, 200)
    const call = sim.requests('/api/v1/entries/sgv.json')[0]!
    t.equal(new URL(call.url, sim.baseUrl).searchParams.get('token'), token)
    t.equal(call.headers['api-secret'], undefined)
  })

  t.test('a refused secret: 400 at connect, reauth_required at sync', async (t) => {
    const refused = await connect(app.newUser(), 'nightscout', { url: sim.baseUrl, apiSecret: 'not-the-secret-at-all' })
    t.equal(refused.status, 400)
    t.match(refused.body.message, /refused the API secret or token/)
    const both = await connect(app.newUser(), 'nightscout', { ...site, token: 'x' })
    t.same([both.status, /either apiSecret or token/.test(both.body.message)], [400, true])

    // The site's secret changed after connecting: the stored hash no longer opens it.
    const user = app.newUser()
    const connection = await connected(user, 'nightscout', site)
    const cipher = CredentialCipher.fromConfig(app.config.credentialKeys)
    const stale = cipher.encryptJson({ siteUrl: `${sim.baseUrl}/`, apiSecretSha1: 'f'.repeat(40), token: null }, credentialContext(user.id, 'nightscout'))
    await app.db.sql`UPDATE cgm_connections SET credentials_encrypted = ${stale} WHERE id = ${connection.id}`
    const res = await sync(user, connection.id)
    t.equal(res.status, 409)
    t.match(res.body.message, /connect Nightscout again/)
    const [row] = await app.db.sql`SELECT status FROM cgm_connections WHERE id = ${connection.id}`
    t.equal(row!.status, 'reauth_required')
  })

  t.test('the row holds neither the secret nor its hash in clear', async (t) => {
    const user = app.newUser()
    await connected(user, 'nightscout', site)
    const { raw, plain } = await storedCredentials<{ apiSecretSha1: string }>(app, user.id, 'nightscout')
    t.equal(plain.apiSecretSha1, sim.apiSecretHash, 'the hash, not the secret, is what is kept')
    t.notOk(containsSecret(raw, sim.apiSecret))
    t.notOk(containsSecret(raw, sim.apiSecretHash))
    t.notOk(JSON.stringify(plain).includes(sim.apiSecret), 'the plain secret is not even inside the ciphertext')
  })

  t.test('connect: at most 5 attempts per 15 minutes per user, then 429 with Retry-After', async (t) => {
    const user = app.newUser()
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await connect(user, 'nightscout', { url: sim.baseUrl, apiSecret: 'wrong-secret-guess-' + i })).status)
    t.same(statuses, [400, 400, 400, 400, 400])
    sim.resetCalls()
    const limited = await connect(user, 'nightscout', site)
    t.equal(limited.status, 429)
    t.ok(Number(limited.headers.get('retry-after')) > 0)
    t.equal(sim.callCount(), 0, 'the sixth attempt never reached the site')
    t.equal((await connect(app.newUser(), 'nightscout', site)).status, 201, 'another user is not limited')
  })
})

t.test('a site on a private or local address is refused when private hosts are not allowed (production)', async (t) => {
  const sim = await startNightscout(t)
  const app = await startApp(t, { providerAllowPrivateHosts: false })
  const user = app.newUser()
  const res = await connect(user, 'nightscout', { url: sim.baseUrl, apiSecret: sim.apiSecret })
  t.equal(res.status, 400)
  t.match(res.body.message, /127\.0\.0\.1 resolves to a private or local address \(127\.0\.0\.1\); only sites on the public internet/)
  t.equal(sim.callCount('/api/v1'), 0, 'nothing was sent to the address')
  const [row] = await app.db.sql`SELECT count(*)::int AS n FROM cgm_connections WHERE user_id = ${user.id}`
  t.equal(row!.n, 0)
})

t.test('private address ranges (hand-listed)', async (t) => {
  for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254']) {
    t.ok(isPrivateAddress(address), `${address} is private`)
  }
  for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
    t.notOk(isPrivateAddress(address), `${address} is public`)
  }
})
