// Every writer of readings tells the stream: provider sync (and its connection state changes), Nightscout upload,
// CSV import; and the analysis job tells it which meal responses it computed.
import t from 'tap'
import { runAnalysisJob } from '../../src/sync/jobs.js'
import { connectDexcom, startProviderApp, startSimulator } from '../providers/helpers.js'
import { createSite, upload as nsUpload } from '../nightscout-upload/support.js'
import { upload as csvUpload } from '../imports/support.js'
import { startApp, series } from '../helpers.js'
import { sleep, SseClient } from './support.js'

t.test('provider sync: reading events per provider batch, connection events on status changes', async (t) => {
  const sim = await startSimulator(t)
  const app = await startProviderApp(t, sim)
  const user = app.newUser()
  const connection = await connectDexcom(app, user, sim, 'SandboxUser3')
  const stream = (await SseClient.open(app, user)).client!
  t.teardown(() => stream.close())

  const sync = await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
  t.equal(sync.status, 200)
  const inserted = sync.body.readings.inserted
  t.ok(inserted > 500, `the backfill stored ${inserted} readings`)
  await stream.next((m) => m.event === 'reading')
  await sleep(200)
  const readings = stream.ofType('reading')
  t.equal(readings.length, 1, 'two days in one provider window: one event, not one per reading')
  t.match(readings[0]!.data, { source: 'DEXCOM', count: inserted })
  const [newest] = await app.db.sql<{ time: Date; value: number }[]>`
    SELECT time, value FROM glucose_readings WHERE user_id = ${user.id} ORDER BY time DESC LIMIT 1`
  t.same([readings[0]!.data.time, readings[0]!.data.value], [newest!.time.toISOString(), newest!.value], 'the newest stored reading')
  t.same(stream.ofType('connection'), [], 'active stayed active: no connection event')

  // error → active again is an event; then a revoked refresh token → reauth_required.
  await app.db.sql`UPDATE cgm_connections SET status = 'error' WHERE id = ${connection.id}`
  await user.request('POST', `/api/v1/connections/${connection.id}/sync`)
  const active = await stream.next((m) => m.event === 'connection')
  t.same(active.data, { connectionId: connection.id, provider: 'dexcom', status: 'active', previous: 'error', createdAt: active.data.createdAt })
  sim.revokeRefreshTokens('SandboxUser3')
  sim.expireAccessTokens('SandboxUser3')
  t.equal((await user.request('POST', `/api/v1/connections/${connection.id}/sync`)).status, 409)
  const reauth = await stream.next((m) => m.event === 'connection' && m.data.status === 'reauth_required')
  t.match(reauth.data, { connectionId: connection.id, previous: 'active' })
  t.notOk(JSON.stringify(reauth.data).includes('invalid_grant'), 'no provider error text in the event')
})

t.test('Nightscout upload and CSV import publish reading events', async (t) => {
  const app = await startApp(t)
  const site = await createSite(app)
  const stream = (await SseClient.open(app, site.user)).client!
  t.teardown(() => stream.close())
  const now = Math.floor(Date.now() / 1000) * 1000
  const entries = [0, 1].map((i) => ({ type: 'sgv', sgv: 140 + i, date: now - (1 - i) * 300_000, direction: 'Flat', device: 'xDrip-test' }))
  t.equal((await nsUpload(site, entries)).status, 200)
  const ns = await stream.next((m) => m.event === 'reading')
  t.match(ns.data, { source: 'NIGHTSCOUT_UPLOAD', count: 2, value: 141, time: new Date(now).toISOString(), trend: 'flat' })

  const csv = ['Levels,Test Person,,', 'Time (UTC),Time (Local),Glucose Reading (mg/dL),Type of Reading',
    '2024-05-01T10:00:00.000Z,2024-05-01T12:00:00,101,timeseries', '2024-05-01T10:15:00.000Z,2024-05-01T12:15:00,117,timeseries'].join('\n')
  const imported = await csvUpload(app, site.user, csv)
  t.equal(imported.status, 200)
  const fromCsv = await stream.next((m) => m.event === 'reading' && m.data.source !== 'NIGHTSCOUT_UPLOAD')
  t.match(fromCsv.data, { count: 2, value: 117, time: '2024-05-01T10:15:00.000Z' })
  t.same(stream.ofType('alert'), [], 'two-year-old readings raise no alert')
})

t.test('the analysis job publishes the meal ids whose responses it computed', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const stream = (await SseClient.open(app, user)).client!
  t.teardown(() => stream.close())
  const eatenAt = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 4 * 3_600_000)
  const meal = await user.request('POST', '/api/v1/meals', { eatenAt: eatenAt.toISOString(), name: 'Oats', items: [{ name: 'Oats', grams: 80, carbs: 50 }] })
  t.equal(meal.status, 201)
  await user.request('POST', '/api/v1/glucose/readings', { readings: series(60, { endMinutesAgo: 0, value: (i) => 100 + (i > 10 && i < 30 ? 40 : 0) }) })
  const result = await runAnalysisJob(app.db.sql, { userId: user.id, from: new Date(eatenAt.getTime() - 3_600_000).toISOString(), to: new Date().toISOString() })
  t.ok(result.responses >= 1)
  const event = await stream.next((m) => m.event === 'meal-response')
  t.same(event.data.mealIds, [meal.body.id])
  t.equal(event.data.count, 1)
  // Nothing stale on a second run: nothing recomputed, no event.
  await runAnalysisJob(app.db.sql, { userId: user.id, from: eatenAt.toISOString(), to: new Date().toISOString() })
  await sleep(200)
  t.equal(stream.ofType('meal-response').length, 1)
})
