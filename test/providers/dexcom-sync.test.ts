// Syncing Dexcom data over real HTTP against the simulator: stored once, revisions, carbs → meals, 30-day windows,
// token refresh, and a revoked refresh token.
import t from 'tap'
import { countReadings } from '../helpers.js'
import { connectDexcom, rawConnection, servedEgvs, startProviderApp, startSimulator } from './helpers.js'

const DAY = 86_400_000
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0)

t.test('dexcom sync', async (t) => {
  const sim = await startSimulator(t)
  const app = await startProviderApp(t, sim)

  t.test('two syncs store every served EGV exactly once; a revision updates; carbs become meals', async (t) => {
    const user = app.newUser()
    const carbsKey = sim.addEvent('SandboxUser1', { time: sim.now() - 40 * 60_000, eventType: 'carbs', value: 45 })
    const connection = await connectDexcom(app, user, sim, 'SandboxUser1')
    sim.resetCalls()

    const first = await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
    t.equal(first.status, 200)
    const egvUrls = sim.requests('/v3/users/self/egvs').map((r) => r.url)
    t.equal(egvUrls.length, 1, 'two days of history fit one window')
    const served = await servedEgvs(sim, 'SandboxUser1', egvUrls)
    const numeric = served.filter((r) => r.value !== null)
    t.ok(numeric.length > 500, `the simulator served ${numeric.length} readings`)
    t.equal(first.body.readings.inserted, numeric.length, 'every numeric EGV inserted')
    t.equal(sum(first.body.readings.skipped), served.length - numeric.length, 'null values skipped, with reasons')
    for (const reason of Object.keys(first.body.readings.skipped)) t.match(reason, /^value null \(status (low|high|unknown)\)$/)
    t.equal(await countReadings(app.db, user.id), numeric.length)
    t.match(first.body.connection, { status: 'active', lastError: null })
    t.ok(first.body.connection.lastReadingAt, 'last reading time recorded')

    const carbsId = sim.recordIdFor('SandboxUser1', carbsKey)
    const meals = await app.db.sql`
      SELECT m.source, m.name, i.carbs_g FROM meals m JOIN meal_items i ON i.meal_id = m.id
      WHERE m.user_id = ${user.id} AND m.source_record_id = ${carbsId}`
    t.same(meals.map((m) => [m.source, m.carbs_g]), [['provider', 45]], 'the carbs event is a provider meal (value came as a string)')

    const second = await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
    t.equal(second.status, 200)
    t.equal(second.body.readings.inserted, 0, 'nothing new the second time')
    t.equal(second.body.readings.updated, 0)
    t.equal(await countReadings(app.db, user.id), numeric.length, 'still exactly once')
    t.equal(second.body.meals.inserted, 0)

    // A revision (same recordId and time, new value) and a deleted carbs event.
    const target = numeric[10]!
    sim.putEgv('SandboxUser1', target.systemTime.slice(0, 19), { value: 222 })
    sim.deleteEvent('SandboxUser1', carbsKey)
    const third = await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
    t.equal(third.status, 200)
    t.equal(third.body.readings.updated, 1, 'the revised EGV is an update')
    t.equal(third.body.readings.inserted, 0)
    const [row] = await app.db.sql<{ value: number; source_record_id: string }[]>`
      SELECT value, source_record_id FROM glucose_readings WHERE user_id = ${user.id} AND time = ${new Date(target.systemTime.slice(0, 19) + 'Z')}`
    t.same([row?.value, row?.source_record_id], [222, target.recordId])
    t.equal(await countReadings(app.db, user.id), numeric.length)
    t.equal(third.body.meals.deleted, 1, 'deleted event deletes its meal')
    t.equal((await app.db.sql`SELECT 1 FROM meals WHERE user_id = ${user.id} AND source_record_id = ${carbsId}`).length, 0)
  })

  t.test('a 90-day history is fetched in 30-day windows, newest first', async (t) => {
    const long = await startSimulator(t, { users: [{ username: 'LongUser', historyDays: 90 }] })
    const longApp = await startProviderApp(t, long)
    const user = longApp.newUser()
    const connection = await connectDexcom(longApp, user, long, 'LongUser')
    long.resetCalls()
    const res = await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
    t.equal(res.status, 200)
    const requests = long.requests('/v3/users/self/egvs')
    t.equal(requests.length, 3, '≤ 90 days in three windows')
    const spans = requests.map((r) => {
      const q = new URL(r.url, long.baseUrl).searchParams
      t.match(q.get('startDate'), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'ISO 8601 without zone')
      return [Date.parse(q.get('startDate') + 'Z'), Date.parse(q.get('endDate') + 'Z')] as const
    })
    for (const [from, to] of spans) t.ok(to - from <= 30 * DAY, 'each window at most 30 days')
    // Newest first, so the user sees this week before last month; each window ends a second before the previous.
    for (let i = 1; i < spans.length; i++) t.equal(spans[i - 1]![0] - spans[i]![1], 1000, 'windows are contiguous, newest first, without overlap')
    t.ok(spans[0]![1] - spans.at(-1)![0] > 89 * DAY, 'about 90 days covered')
    t.ok(requests.every((r) => r.statusCode === 200), 'the simulator accepted every window')
    const numeric = (await servedEgvs(long, 'LongUser', requests.map((r) => r.url))).filter((r) => r.value !== null)
    t.equal(res.body.readings.inserted, numeric.length)
    t.equal(await countReadings(longApp.db, user.id), numeric.length, `${numeric.length} readings stored`)
    t.notOk((await rawConnection(longApp, connection.id)).sync_cursor.backfill, 'no history owed')
  })

  t.test('a backfill interrupted after its first window resumes with the history still owed', async (t) => {
    const long = await startSimulator(t, { users: [{ username: 'ResumeUser', historyDays: 90 }] })
    const longApp = await startProviderApp(t, long)
    const user = longApp.newUser()
    const connection = await connectDexcom(longApp, user, long, 'ResumeUser')
    long.resetCalls()
    long.injectFailures({ status: 500, pathPrefix: '/v3/users/self/egvs', after: 1 })
    const first = await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
    t.equal(first.status, 503, 'the second window failed (a provider 500: try again later)')
    const newest = long.requests('/v3/users/self/egvs')[0]!
    const stored = await countReadings(longApp.db, user.id)
    const newestServed = (await servedEgvs(long, 'ResumeUser', [newest.url])).filter((r) => r.value !== null)
    t.equal(stored, newestServed.length, 'the newest window is stored')
    const cursor = (await rawConnection(longApp, connection.id)).sync_cursor as { lastSyncTime?: string; backfill?: { from: string; to: string } }
    t.ok(cursor.lastSyncTime, 'new data is asked for from now on')
    const newestFrom = Date.parse(new URL(newest.url, long.baseUrl).searchParams.get('startDate') + 'Z')
    t.equal(Date.parse(cursor.backfill!.to), newestFrom - 1000, 'what is owed ends a second before the stored window')

    long.resetCalls()
    const second = await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
    t.equal(second.status, 200)
    const owedRequests = long.requests('/v3/users/self/egvs').filter((r) => Date.parse(new URL(r.url, long.baseUrl).searchParams.get('endDate') + 'Z') <= Date.parse(cursor.backfill!.to))
    t.equal(owedRequests.length, 2, 'the two older windows are fetched')
    const refetched = long.requests('/v3/users/self/egvs').filter((r) => Date.parse(new URL(r.url, long.baseUrl).searchParams.get('startDate') + 'Z') <= newestFrom &&
      Date.parse(new URL(r.url, long.baseUrl).searchParams.get('endDate') + 'Z') > newestFrom)
    t.same(refetched, [], 'the stored window is not fetched again')
    const olderServed = (await servedEgvs(long, 'ResumeUser', owedRequests.map((r) => r.url))).filter((r) => r.value !== null)
    t.equal(await countReadings(longApp.db, user.id), newestServed.length + olderServed.length, 'every reading stored once')
    t.notOk((await rawConnection(longApp, connection.id)).sync_cursor.backfill, 'nothing owed any more')
  })

  t.test('an access token that expired early is refreshed, then the call retried', async (t) => {
    const user = app.newUser()
    const connection = await connectDexcom(app, user, sim, 'SandboxUser2')
    const before = (await rawConnection(app, connection.id)).credentials
    sim.expireAccessTokens('SandboxUser2')
    sim.resetCalls()
    const res = await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
    t.equal(res.status, 200)
    t.ok(res.body.readings.inserted > 500)
    const refreshes = sim.requests('/v2/oauth2/token').map((r) => (r.body as Record<string, string>).grant_type)
    t.same(refreshes, ['refresh_token'], 'one refresh')
    const statuses = sim.requests('/v3/').map((r) => r.statusCode)
    t.same(statuses.slice(0, 2), [401, 200], 'the refused call is retried once with the new token')
    t.not((await rawConnection(app, connection.id)).credentials.toString('hex'), before.toString('hex'), 'rotated tokens saved')
  })

  t.test('a token close to expiry is refreshed before the first call', async (t) => {
    const shortLived = await startSimulator(t, { accessTokenTtlSeconds: 120 })
    const shortApp = await startProviderApp(t, shortLived)
    const user = shortApp.newUser()
    const connection = await connectDexcom(shortApp, user, shortLived, 'SandboxUser1')
    shortLived.resetCalls()
    t.equal((await user.request('POST', `/api/v1/connections/${connection.id}/sync`)).status, 200)
    t.equal(shortLived.requests('/v2/oauth2/token').length, 1, 'refreshed ahead of expiry')
    t.ok(shortLived.requests('/v3/').every((r) => r.statusCode === 200), 'no call was refused')
  })

  t.test('a revoked refresh token marks the connection reauth_required, without retrying', async (t) => {
    const user = app.newUser()
    const connection = await connectDexcom(app, user, sim, 'SandboxUser6')
    sim.revokeRefreshTokens('SandboxUser6')
    sim.expireAccessTokens('SandboxUser6')
    sim.resetCalls()
    const res = await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
    t.equal(res.status, 409)
    t.match(res.body.message, /connect Dexcom again/)
    t.equal(sim.requests('/v2/oauth2/token').length, 1, 'one refresh attempt')
    const row = await rawConnection(app, connection.id)
    t.equal(row.status, 'reauth_required')
    t.match(row.last_error, /invalid_grant/)
    const listed = (await user.request('GET', '/api/v1/connections')).body.connections[0]
    t.equal(listed.status, 'reauth_required')

    const calls = sim.callCount()
    const again = await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
    t.equal(again.status, 409)
    t.equal(sim.callCount(), calls, 'no call to Dexcom with refused credentials')

    // Connecting again makes it active and syncable.
    const back = await connectDexcom(app, user, sim, 'SandboxUser6')
    t.same([back.id, back.status], [connection.id, 'active'])
    t.equal((await user.request('POST', `/api/v1/connections/${connection.id}/sync`)).status, 200)
  })

  t.test('Dexcom 429 answers 503 with Retry-After and stores nothing twice', async (t) => {
    const user = app.newUser()
    const connection = await connectDexcom(app, user, sim, 'SandboxUser7')
    sim.injectFailures({ status: 429, pathPrefix: '/v3/users/self/egvs', retryAfterSeconds: 42 })
    const res = await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
    t.equal(res.status, 503)
    t.equal(res.headers.get('retry-after'), '42')
    const row = await rawConnection(app, connection.id)
    t.same([row.status, row.sync_cursor], ['active', {}], 'still active; cursor not advanced')
    t.equal((await user.request('POST', `/api/v1/connections/${connection.id}/sync`)).status, 200, 'the next sync succeeds')
  })
})
