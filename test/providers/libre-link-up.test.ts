// LibreLinkUp over real HTTP against the simulator: connect → sync stored once, required headers, region
// redirect, too-old version, wrong password, terms step, expired ticket, and what the database and log hold.
import { createHash } from 'node:crypto'
import t from 'tap'
import { DEFAULT_ACCOUNTS } from '../../src/simulators/libre-link-up/accounts.js'
import { DEFAULT_PASSWORD, sha256Hex } from '../../src/simulators/libre-link-up/index.js'
import { parseLluTimestamp } from '../../src/providers/libre-link-up/map.js'
import { countReadings } from '../helpers.js'
import { connect, connected, containsSecret, LLU_VERSION, startCredentialApp, startLlu, storedCredentials, sync } from './credential-helpers.js'

const US = { email: 'us-follower@example.com', password: DEFAULT_PASSWORD }
const DE = { email: 'de-follower@example.com', password: DEFAULT_PASSWORD }

t.test('libre-link-up', async (t) => {
  // Extra accounts whose state the tests change (password, pending step), so the defaults stay as they are.
  const accounts = [...DEFAULT_ACCOUNTS,
    { email: 'changer@example.com', password: DEFAULT_PASSWORD, region: 'us' as const, patients: [{ firstName: 'Cy', lastName: 'Change' }] },
    { email: 'later-tou@example.com', password: DEFAULT_PASSWORD, region: 'us' as const, patients: [{ firstName: 'Lou', lastName: 'Later' }] },
  ]
  const sim = await startLlu(t, { accounts })
  const logs: string[] = []
  const app = await startCredentialApp(t, sim, { write: (line) => void logs.push(line) })

  t.test('connect → sync stores the graph once; twice: still once; headers as required', async (t) => {
    const user = app.newUser()
    sim.resetCalls()
    const connection = await connected(user, 'libre-link-up', US)
    t.match(connection, { provider: 'libre-link-up', status: 'active', region: 'global' })
    const account = sim.accounts.find((a) => a.email === US.email)!
    const patient = account.patients[0]!

    const first = await sync(user, connection.id)
    t.equal(first.status, 200)
    const graphCall = sim.lastRequest(`/llu/connections/${patient.patientId}/graph`)!
    t.match(graphCall.headers, { product: 'llu.android', version: LLU_VERSION, 'account-id': sha256Hex(account.id) })
    t.match(graphCall.headers.authorization, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)

    // What the simulator served, fetched again with the ticket our service used.
    const served = (await (await fetch(sim.baseUrl + graphCall.url, { headers: graphCall.headers as Record<string, string> })).json()) as any
    const points = served.data.graphData as Array<{ FactoryTimestamp: string; ValueInMgPerDl: number }>
    t.ok(points.length >= 140, `${points.length} graph points served`)
    t.equal(first.body.readings.inserted, points.length, 'every graph point stored')
    t.same(first.body.readings.skipped, {})
    t.equal(await countReadings(app.db, user.id), points.length)
    const rows = await app.db.sql<{ time: Date; value: number; trend: string | null; source: string }[]>`
      SELECT time, value, trend, source FROM glucose_readings WHERE user_id = ${user.id} ORDER BY time`
    t.same(rows.map((r) => [r.time.toISOString(), r.value]), points.map((p) => [parseLluTimestamp(p.FactoryTimestamp)!.toISOString(), p.ValueInMgPerDl]),
      'FactoryTimestamp read as UTC; ValueInMgPerDl stored')
    t.ok(rows.every((r) => r.source === 'LIBRE' && r.trend === null), 'source LIBRE; history points carry no arrow, so no trend')

    const second = await sync(user, connection.id)
    t.same([second.status, second.body.readings.inserted, second.body.readings.updated], [200, 0, 0])
    t.equal(await countReadings(app.db, user.id), points.length, 'still exactly once')
    t.equal(sim.requests('/llu/auth/login').length, 1, 'the stored ticket is reused: one login in all')
  })

  t.test('a region redirect logs in again on the region host; a patient can be named', async (t) => {
    const user = app.newUser()
    sim.resetCalls()
    const connection = await connected(user, 'libre-link-up', { ...DE, patient: 'lena muster' })
    t.equal(connection.region, 'de')
    t.same(sim.requests().filter((r) => r.path.endsWith('/llu/auth/login')).map((r) => [r.path, r.statusCode]),
      [['/llu/auth/login', 200], ['/de/llu/auth/login', 200]], 'global host, then the de host')
    const lena = sim.accounts.find((a) => a.email === DE.email)!.patients.find((p) => p.firstName === 'Lena')!
    const res = await sync(user, connection.id)
    t.equal(res.status, 200)
    t.ok(res.body.readings.inserted > 100)
    t.equal(sim.requests(`/de/llu/connections/${lena.patientId}/graph`).length, 1, "Lena's graph, on the de host")

    const unknown = await connect(app.newUser(), 'libre-link-up', { ...DE, patient: 'Nobody Here' })
    t.equal(unknown.status, 400)
    t.match(unknown.body.message, /no followed patient "Nobody Here".*Jonas Muster, Lena Muster/)
  })

  t.test('too old an app version: a clear error naming the setting', async (t) => {
    const user = app.newUser()
    const connection = await connected(user, 'libre-link-up', US)
    sim.setMinimumVersion('4.99.0')
    t.teardown(() => sim.setMinimumVersion('4.16.0'))
    const refused = await connect(app.newUser(), 'libre-link-up', US)
    t.equal(refused.status, 502)
    t.match(refused.body.message, /requires app version 4\.99\.0 \(we send 4\.16\.0\); set LIBRE_LINK_UP_VERSION=4\.99\.0/)
    const res = await sync(user, connection.id)
    t.equal(res.status, 502)
    const [row] = await app.db.sql`SELECT status, last_error FROM cgm_connections WHERE id = ${connection.id}`
    t.same([row!.status, /LIBRE_LINK_UP_VERSION/.test(row!.last_error)], ['error', true])
  })

  t.test('wrong password: 400 at connect, reauth_required once the password changes', async (t) => {
    const refused = await connect(app.newUser(), 'libre-link-up', { ...US, password: 'not-it' })
    t.equal(refused.status, 400)
    t.match(refused.body.message, /did not accept the email or password/)

    const user = app.newUser()
    const connection = await connected(user, 'libre-link-up', { email: 'changer@example.com', password: DEFAULT_PASSWORD })
    sim.accounts.find((a) => a.email === 'changer@example.com')!.password = 'changed-in-the-app'
    sim.expireTokens('changer@example.com')
    const res = await sync(user, connection.id)
    t.equal(res.status, 409)
    t.match(res.body.message, /connect LibreLinkUp again/)
    const [row] = await app.db.sql`SELECT status FROM cgm_connections WHERE id = ${connection.id}`
    t.equal(row!.status, 'reauth_required')
    const calls = sim.callCount()
    t.equal((await sync(user, connection.id)).status, 409)
    t.equal(sim.callCount(), calls, 'no further logins with a refused password')
  })

  t.test('a terms step is surfaced, not looped on, and the connection stays usable', async (t) => {
    sim.resetCalls()
    const refused = await connect(app.newUser(), 'libre-link-up', { email: 'tou-follower@example.com', password: DEFAULT_PASSWORD })
    t.equal(refused.status, 409)
    t.match(refused.body.message, /accept the new terms of use: open the LibreLinkUp app/)
    t.equal(sim.requests('/llu/auth/login').length, 1, 'one login, no retry')

    const user = app.newUser()
    const connection = await connected(user, 'libre-link-up', { email: 'later-tou@example.com', password: DEFAULT_PASSWORD })
    sim.setPendingStep('later-tou@example.com', 'pp')
    sim.expireTokens('later-tou@example.com')
    sim.resetCalls()
    const blocked = await sync(user, connection.id)
    t.equal(blocked.status, 409)
    t.match(blocked.body.message, /privacy policy/)
    t.equal(sim.requests('/llu/auth/login').length, 1, 'one login during the sync')
    const [row] = await app.db.sql`SELECT status, last_error FROM cgm_connections WHERE id = ${connection.id}`
    t.same([row!.status, /privacy policy/.test(row!.last_error)], ['error', true], 'not reauth_required: the same credentials will work')
    sim.setPendingStep('later-tou@example.com', null)
    const after = await sync(user, connection.id)
    t.same([after.status, after.body.connection.status, after.body.connection.lastError], [200, 'active', null], 'accepted in the app: sync works')
  })

  t.test('an expired ticket: one new login, the call retried, the new ticket saved', async (t) => {
    const user = app.newUser()
    const connection = await connected(user, 'libre-link-up', US)
    const before = await storedCredentials<{ token: string }>(app, user.id, 'libre-link-up')
    sim.expireTokens(US.email)
    sim.resetCalls()
    const res = await sync(user, connection.id)
    t.equal(res.status, 200)
    t.ok(res.body.readings.inserted > 100)
    t.same(sim.requests().map((r) => [r.path.replace(/[0-9a-f-]{36}/, ':id'), r.statusCode]), [
      ['/llu/connections/:id/graph', 401], ['/llu/auth/login', 200], ['/llu/connections/:id/graph', 200],
    ])
    const after = await storedCredentials<{ token: string }>(app, user.id, 'libre-link-up')
    t.not(after.plain.token, before.plain.token, 'the new ticket is stored')
  })

  t.test('HI/LO and out-of-range items are skipped and counted, never stored', async (t) => {
    const user = app.newUser()
    const connection = await connected(user, 'libre-link-up', { email: 'eu-follower@example.com', password: DEFAULT_PASSWORD })
    const patient = sim.accounts.find((a) => a.email === 'eu-follower@example.com')!.patients[0]!
    const slot = Math.floor((sim.now() - 3_600_000) / 300_000) * 300_000
    sim.putReading(patient.patientId, slot, 550) // above the sensor range: isHigh
    const res = await sync(user, connection.id)
    t.equal(res.status, 200)
    t.same(res.body.readings.skipped, { 'HI: above the sensor range': 1 })
    t.equal((await app.db.sql`SELECT 1 FROM glucose_readings WHERE user_id = ${user.id} AND time = ${new Date(slot)}`).length, 0)
    t.ok(res.body.readings.inserted > 100, 'mmol/L account: values taken from ValueInMgPerDl')
  })

  t.test('the password is stored only encrypted, returned nowhere, logged nowhere; B cannot see A', async (t) => {
    const a = app.newUser()
    const b = app.newUser()
    const connection = await connected(a, 'libre-link-up', US)
    const { raw, plain } = await storedCredentials<{ password: string; email: string }>(app, a.id, 'libre-link-up')
    t.equal(plain.password, DEFAULT_PASSWORD, 'decrypts to what was sent')
    t.notOk(containsSecret(raw, DEFAULT_PASSWORD), 'no plaintext password in the row')
    t.notOk(containsSecret(raw, US.email), 'nor the email')
    const list = await a.request('GET', '/api/v1/connections')
    t.notOk(JSON.stringify(list.body).includes(DEFAULT_PASSWORD))
    t.same((await b.request('GET', '/api/v1/connections')).body.connections, [])
    t.equal((await b.request('POST', `/api/v1/connections/${connection.id}/sync`)).status, 404)
    t.equal((await sync(a, connection.id)).status, 200)
    const text = logs.join('')
    t.ok(text.includes('/api/v1/connections/libre-link-up'), 'connects are logged at all')
    t.notOk(text.includes(DEFAULT_PASSWORD), 'the password is not in the log')
    t.notOk(text.includes(createHash('sha256').update(DEFAULT_PASSWORD).digest('hex')))
  })
})
