// GET /metrics over real HTTP: request counts by route pattern and status, readings stored by source, sync runs by
// provider and outcome (a real sync against the Nightscout simulator), queue depths; and who may scrape.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { isLoopback } from '../../src/plugins/metrics.js'
import { request, series } from '../helpers.js'
import { connected, startNightscout, sync } from '../providers/credential-helpers.js'
import { sample, startOpsApp } from './support.js'

const scrape = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/metrics`, { headers })
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() }
}

t.test('counters move by exactly what happened, labelled by route pattern, status and source', async (t) => {
  const { url, newUser } = await startOpsApp(t)
  const user = newUser()
  const before = (await scrape(url)).text
  const count = (text: string, method: string, route: string, status: string) =>
    sample(text, 'http_request_duration_seconds_count', { method, route, status_code: status })

  const readings = series(5)
  t.equal((await user.request('POST', '/api/v1/glucose/readings', { source: 'MANUAL', readings })).body.inserted, 5)
  // Again with one value changed: 1 updated, 4 unchanged (not counted as stored).
  const again = await user.request('POST', '/api/v1/glucose/readings', { source: 'MANUAL', readings: readings.map((r, i) => (i === 0 ? { ...r, value: r.value + 7 } : r)) })
  t.match(again.body, { inserted: 0, updated: 1, unchanged: 4 })
  t.equal((await user.request('GET', '/api/v1/glucose/latest')).status, 200)
  t.equal((await user.request('GET', `/api/v1/meals/${randomUUID()}`)).status, 404)
  t.equal((await request(url, undefined, 'GET', '/no/such/path')).status, 404)

  const after = await scrape(url)
  t.equal(after.status, 200)
  t.match(after.type, /^text\/plain; version=0\.0\.4/)
  const delta = (name: string, labels: Record<string, string>) => sample(after.text, name, labels) - sample(before, name, labels)
  t.equal(delta('glucose_readings_stored_total', { source: 'MANUAL', kind: 'inserted' }), 5)
  t.equal(delta('glucose_readings_stored_total', { source: 'MANUAL', kind: 'updated' }), 1)
  t.equal(count(after.text, 'POST', '/api/v1/glucose/readings', '200') - count(before, 'POST', '/api/v1/glucose/readings', '200'), 2)
  t.equal(count(after.text, 'GET', '/api/v1/glucose/latest', '200') - count(before, 'GET', '/api/v1/glucose/latest', '200'), 1)
  t.equal(count(after.text, 'GET', '/api/v1/meals/:id', '404') - count(before, 'GET', '/api/v1/meals/:id', '404'), 1, 'the pattern, not the URL with its id')
  t.equal(count(after.text, 'GET', 'unmatched', '404') - count(before, 'GET', 'unmatched', '404'), 1, 'no route: one series for all')
  t.notMatch(after.text, /route="\/api\/v1\/meals\/[0-9a-f]{8}-/, 'no raw URL in any label')
  t.ok(sample(after.text, 'http_request_duration_seconds_bucket', { route: '/api/v1/glucose/latest', le: '+Inf' }) >= 1, 'a latency histogram')
  t.ok(sample(after.text, 'process_resident_memory_bytes') > 0, 'default process metrics')
  t.match(after.text, /glucose_queue_jobs\{queue="sync-connection",state="queued"\} \d+/, 'queue depth read at scrape time')
  t.ok(sample(after.text, 'glucose_db_connections') >= 1, 'database connections of this service')

  // A live stream (hijacked reply, open for hours) stays out of the latency histogram.
  const abort = new AbortController()
  const stream = await fetch(`${url}/api/v1/glucose/stream`, { headers: { authorization: `Bearer ${user.token}` }, signal: abort.signal })
  t.equal(stream.status, 200)
  await stream.body!.getReader().read()
  abort.abort()
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(sample((await scrape(url)).text, 'http_request_duration_seconds_count', { route: '/api/v1/glucose/stream' }), 0)
})

t.test('a sync counts its outcome and duration per provider, and its readings under the provider\'s source', async (t) => {
  const sim = await startNightscout(t)
  const { url, newUser } = await startOpsApp(t)
  const user = newUser()
  const connection = await connected(user, 'nightscout', { url: sim.baseUrl, apiSecret: sim.apiSecret })
  const before = (await scrape(url)).text
  const res = await sync(user, connection.id)
  t.equal(res.status, 200)
  const after = (await scrape(url)).text
  const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels)
  t.equal(delta('glucose_sync_runs_total', { provider: 'nightscout', outcome: 'ok' }), 1)
  t.equal(delta('glucose_sync_duration_seconds_count', { provider: 'nightscout' }), 1)
  t.ok(res.body.readings.inserted > 100, `${res.body.readings.inserted} readings synced`)
  t.equal(delta('glucose_readings_stored_total', { source: 'NIGHTSCOUT', kind: 'inserted' }), res.body.readings.inserted)

  // The site is down for the next sync: counted under its outcome, not as ok.
  sim.injectFailures({ status: 503, count: 10 })
  t.equal((await sync(user, connection.id)).status, 503)
  const failed = (await scrape(url)).text
  const runs = (text: string, outcome: string) => sample(text, 'glucose_sync_runs_total', { provider: 'nightscout', outcome })
  t.same([runs(failed, 'unavailable') - runs(after, 'unavailable'), runs(failed, 'ok') - runs(after, 'ok')], [1, 0])
})

t.test('access: loopback only without METRICS_TOKEN, the token from anywhere with it', async (t) => {
  const open = await startOpsApp(t)
  t.equal((await scrape(open.url)).status, 200, 'loopback, no token configured')
  const relayed = await scrape(open.url, { 'x-forwarded-for': '203.0.113.9' })
  t.equal(relayed.status, 403, 'relayed by a proxy on this host: not local')
  t.match(JSON.parse(relayed.text).message, /set METRICS_TOKEN/)
  const remote = await open.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.7' })
  t.equal(remote.statusCode, 403, 'another host')
  t.notMatch(remote.body, /http_request_duration/)

  const token = 'scrape-token-0123456789abcdef'
  const guarded = await startOpsApp(t, { metricsToken: token })
  const none = await scrape(guarded.url)
  t.equal(none.status, 401, 'a token is configured: loopback alone is not enough')
  t.equal((await fetch(`${guarded.url}/metrics`)).headers.get('www-authenticate'), 'Bearer')
  t.equal((await scrape(guarded.url, { authorization: `Bearer ${token}x` })).status, 401, 'a wrong token')
  t.equal((await scrape(guarded.url, { authorization: `Bearer ${token}` })).status, 200)
  const fromAfar = await guarded.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.7', headers: { authorization: `Bearer ${token}` } })
  t.equal(fromAfar.statusCode, 200, 'the token works from another host')
})

t.test('loopback addresses', async (t) => {
  t.same(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'].map(isLoopback), [true, true, true, true])
  t.same(['192.0.2.7', '::ffff:10.0.0.1', 'fd00::2', '', undefined].map(isLoopback), [false, false, false, false, false])
})
