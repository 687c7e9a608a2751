// Consent (issue 3): no connection without a recorded consent, given in the connect body, in the authorize call,
// or ahead with POST /api/v1/consents; revoking disconnects and, if asked, deletes that provider's readings.
import t from 'tap'
import { countReadings, request } from '../helpers.js'
import { connect, connected, startNightscout, sync } from './credential-helpers.js'
import { POLICY, startLogin, startProviderApp, startSimulator } from './helpers.js'

t.test('consents', async (t) => {
  const dexcom = await startSimulator(t)
  const ns = await startNightscout(t, { historyDays: 1 })
  const app = await startProviderApp(t, dexcom)
  const site = { url: ns.baseUrl, apiSecret: ns.apiSecret }

  t.test('connecting without consent is a 400 naming the field, before any provider call', async (t) => {
    const user = app.newUser()
    ns.resetCalls()
    const missing = await connect(user, 'nightscout', site, null)
    t.equal(missing.status, 400)
    t.match(missing.body.message, /must have required property 'consent'/)
    const bad = await connect(user, 'nightscout', site, { policyVersion: 'v 1; drop' })
    t.equal(bad.status, 400)
    t.match(bad.body.details, [{ field: 'body.consent.policyVersion' }])
    t.equal(ns.callCount(), 0, 'the site was not contacted')
    t.same((await user.request('GET', '/api/v1/connections')).body.connections, [])
    t.same((await user.request('GET', '/api/v1/consents')).body.consents, [])

    const ok = await connect(user, 'nightscout', site)
    t.equal(ok.status, 201)
    const { consents } = (await user.request('GET', '/api/v1/consents')).body
    t.match(consents, [{ provider: 'nightscout', scope: 'cgm:read-and-store', policyVersion: POLICY }])
    t.ok(Math.abs(Date.parse(consents[0].givenAt) - Date.now()) < 60_000, 'time of consent recorded')
  })

  t.test('Dexcom: consent in the authorize call or given ahead; withdrawn mid-flow stops the callback', async (t) => {
    const user = app.newUser()
    const refused = await user.request('GET', '/api/v1/connections/dexcom/authorize')
    t.equal(refused.status, 400)
    t.match(refused.body.message, /consent required to connect dexcom: add \?consent=/)

    const ahead = app.newUser()
    const given = await ahead.request('POST', '/api/v1/consents', { provider: 'dexcom', policyVersion: '2025-06' })
    t.match([given.status, given.body.consent], [201, { provider: 'dexcom', policyVersion: '2025-06' }])
    t.equal((await ahead.request('GET', '/api/v1/connections/dexcom/authorize')).status, 200)
    t.equal((await ahead.request('POST', '/api/v1/consents', { provider: 'acme', policyVersion: '1' })).status, 404)

    const { callbackPath } = await startLogin(app, user, dexcom, 'SandboxUser4')
    t.same((await user.request('GET', '/api/v1/consents')).body.consents.map((c: { policyVersion: string }) => c.policyVersion), [POLICY])
    t.equal((await user.request('POST', '/api/v1/consents/dexcom/revoke', {})).status, 200)
    const callback = await request(app.url, undefined, 'GET', callbackPath)
    t.equal(callback.status, 400)
    t.match(callback.body.message, /consent to connect dexcom was withdrawn/)
    t.same((await user.request('GET', '/api/v1/connections')).body.connections, [])
  })

  t.test("revoking disconnects; deleteReadings deletes that provider's readings only", async (t) => {
    const user = app.newUser()
    const connection = await connected(user, 'nightscout', site)
    const synced = await sync(user, connection.id)
    t.ok(synced.body.readings.inserted > 200)
    await app.db.sql`INSERT INTO glucose_readings (time, user_id, source, value) VALUES (now() - interval '1 hour', ${user.id}, 'MANUAL', 111)`
    const other = app.newUser() // another user's Nightscout readings stay
    const theirs = await connected(other, 'nightscout', site)
    await sync(other, theirs.id)
    const otherCount = await countReadings(app.db, other.id)

    const res = await user.request('POST', '/api/v1/consents/nightscout/revoke', { deleteReadings: true })
    t.same(res.body, { revoked: true, disconnected: true, readingsDeleted: synced.body.readings.inserted })
    t.same((await user.request('GET', '/api/v1/connections')).body.connections, [])
    t.same((await user.request('GET', '/api/v1/consents')).body.consents, [])
    const left = await app.db.sql<{ source: string; value: number }[]>`SELECT source, value FROM glucose_readings WHERE user_id = ${user.id}`
    t.same(left.map((r) => [r.source, r.value]), [['MANUAL', 111]], 'only the manual reading is left')
    t.equal(await countReadings(app.db, other.id), otherCount)
    t.equal((await sync(user, connection.id)).status, 404, 'the connection is gone')
    const [history] = await app.db.sql`SELECT policy_version, revoked_at FROM consents WHERE user_id = ${user.id} AND provider = 'nightscout'`
    t.ok(history!.revoked_at instanceof Date, 'the consent is kept as a record, marked revoked')

    const again = await user.request('POST', '/api/v1/consents/nightscout/revoke', {})
    t.same(again.body, { revoked: false, disconnected: false, readingsDeleted: 0 }, 'a repeated revoke is harmless')
    t.equal((await user.request('POST', '/api/v1/consents/acme/revoke', {})).status, 404)
  })

  t.test('revoking without deleteReadings keeps the readings', async (t) => {
    const user = app.newUser()
    const connection = await connected(user, 'nightscout', site)
    const { inserted } = (await sync(user, connection.id)).body.readings
    const res = await user.request('POST', '/api/v1/consents/nightscout/revoke', {})
    t.same(res.body, { revoked: true, disconnected: true, readingsDeleted: 0 })
    t.equal(await countReadings(app.db, user.id), inserted)
  })
})
