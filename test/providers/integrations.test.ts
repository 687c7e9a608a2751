// The issue-3 seed names /api/v1/integrations/cgm/* against the simulators: connect (credentials and OAuth) →
// sync → status with a reading count; users see only their own connections; disconnect by provider name.
import t from 'tap'
import { countReadings, request } from '../helpers.js'
import { startLlu, startNightscout, startCredentialApp } from './credential-helpers.js'
import { POLICY, startProviderApp, startSimulator } from './helpers.js'

const consent = { policyVersion: POLICY }

t.test('integrations/cgm with Nightscout', async (t) => {
  const sim = await startNightscout(t)
  const app = await startCredentialApp(t, await startLlu(t))
  const site = { provider: 'nightscout', url: sim.baseUrl, apiSecret: sim.apiSecret, consent }

  t.test('connect → sync → status shows the reading count; another user sees nothing', async (t) => {
    const a = app.newUser()
    const connected = await a.request('POST', '/api/v1/integrations/cgm/connect', site)
    t.equal(connected.status, 201)
    t.match(connected.body.connection, { provider: 'nightscout', status: 'active' })

    const synced = await a.request('POST', '/api/v1/integrations/cgm/sync') // no id: the only connection
    t.equal(synced.status, 200)
    const stored = await countReadings(app.db, a.id)
    t.ok(stored > 0)
    t.equal(synced.body.readings.inserted, stored)
    const again = await a.request('POST', '/api/v1/integrations/cgm/sync', { connectionId: connected.body.connection.id })
    t.same([again.status, again.body.readings.inserted], [200, 0], 'by id: nothing new, stored once')

    const status = await a.request('GET', '/api/v1/integrations/cgm/status')
    t.equal(status.status, 200)
    t.equal(status.body.connections.length, 1)
    t.match(status.body.connections[0], { provider: 'nightscout', status: 'active', lastError: null, readingCount: stored })
    t.ok(status.body.connections[0].lastSyncAt)
    t.same((await a.request('GET', '/api/v1/connections')).body, status.body, 'the same answer as GET /connections')

    const b = app.newUser()
    t.same((await b.request('GET', '/api/v1/integrations/cgm/status')).body, { connections: [] }, "B does not see A's connection")
    t.equal((await b.request('POST', '/api/v1/integrations/cgm/sync', { connectionId: connected.body.connection.id })).status, 404)
    t.equal((await b.request('DELETE', '/api/v1/integrations/cgm/nightscout')).status, 404, "nor remove it")

    t.equal((await a.request('DELETE', '/api/v1/integrations/cgm/nightscout')).status, 204)
    t.same((await a.request('GET', '/api/v1/integrations/cgm/status')).body, { connections: [] })
    t.equal((await a.request('POST', '/api/v1/integrations/cgm/sync')).status, 404, 'nothing left to sync')
  })

  t.test('validation names the picked provider\'s fields; an unknown provider is refused', async (t) => {
    const user = app.newUser()
    const missing = await user.request('POST', '/api/v1/integrations/cgm/connect', { provider: 'libre-link-up', consent, email: 'a@example.org' })
    t.equal(missing.status, 400)
    t.match(missing.body.message, /password/)
    const unknown = await user.request('POST', '/api/v1/integrations/cgm/connect', { provider: 'levels', consent })
    t.equal(unknown.status, 400)
    t.match(unknown.body.message, /provider/)
  })

  t.test('connect shares its 5-per-15-minutes allowance with POST /connections/<provider>', async (t) => {
    const user = app.newUser()
    const wrong = { url: sim.baseUrl, apiSecret: 'wrong-secret-guess', consent }
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) statuses.push((await user.request('POST', '/api/v1/connections/nightscout', wrong)).status)
    for (let i = 0; i < 2; i++) statuses.push((await user.request('POST', '/api/v1/integrations/cgm/connect', { provider: 'nightscout', ...wrong })).status)
    t.same(statuses, [400, 400, 400, 400, 400])
    const limited = await user.request('POST', '/api/v1/integrations/cgm/connect', site)
    t.equal(limited.status, 429)
    t.ok(Number(limited.headers.get('retry-after')) > 0)
  })
})

t.test('integrations/cgm with Dexcom: connect answers the authorize URL', async (t) => {
  const sim = await startSimulator(t)
  const app = await startProviderApp(t, sim)
  const user = app.newUser()
  const res = await user.request('POST', '/api/v1/integrations/cgm/connect', { provider: 'dexcom', consent })
  t.equal(res.status, 200)
  const url = new URL(res.body.authorizeUrl)
  t.equal(url.origin, new URL(sim.baseUrl).origin)
  t.ok(url.searchParams.get('state'))
  // The browser's trip through the simulator's login page, then our callback: a working connection.
  url.searchParams.set('login_hint', 'SandboxUser1')
  const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
  const callback = await request(app.url, undefined, 'GET', `/api/v1/connections/dexcom/callback${back.search}`)
  t.equal(callback.status, 200)
  const synced = await user.request('POST', '/api/v1/integrations/cgm/sync')
  t.equal(synced.status, 200)
  const status = await user.request('GET', '/api/v1/integrations/cgm/status')
  t.match(status.body.connections, [{ provider: 'dexcom', status: 'active', readingCount: await countReadings(app.db, user.id) }])
  t.ok(status.body.connections[0].readingCount > 0)
})
