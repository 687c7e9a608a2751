// GET /api/v1/glucose/stream over real HTTP against the real database: delivery, replay, isolation, limits, close.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { startApp, testConfig } from '../helpers.js'
import { readingAt, sleep, SseClient } from './support.js'

t.test('a subscriber receives a reading within 1 s of ingest, one event per commit', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const { client } = await SseClient.open(app, user)
  t.teardown(() => client!.close())

  const postedAt = Date.now()
  const res = await user.request('POST', '/api/v1/glucose/readings', { readings: [readingAt(1, 123, { trend: 'flat', trendRate: 0.4 })] })
  t.equal(res.status, 200)
  // Pushed by the commit's NOTIFY (nothing else would send it); the bound only rules out that, on a loaded CI box.
  // Latency itself is the bench's (BENCH_ONLY=live-stream).
  const event = await client!.next((m) => m.event === 'reading', 5000)
  t.ok(event.receivedAt - postedAt < 5000, `delivered ${event.receivedAt - postedAt} ms after the POST was sent`)
  t.match(event.id, /^\d+$/)
  t.match(event.data, { value: 123, unit: 'mg/dL', trend: 'flat', source: 'IMPORT', count: 1 })
  t.equal(event.data.trendRate, 0.4)

  // A batch is one event: the newest reading and the count, not one event per reading.
  const three = [readingAt(20, 101), readingAt(15, 102), readingAt(10, 140)]
  await user.request('POST', '/api/v1/glucose/readings', { readings: three })
  const batch = await client!.next((m) => m.event === 'reading' && m.data.count === 3, 1000)
  t.match(batch.data, { value: 140, time: three[2]!.time, from: three[0]!.time, to: three[2]!.time }, 'the newest reading of the batch and its span')
  t.ok(Number(batch.id) > Number(event.id), 'ids increase')
  // A re-send stores nothing, so there is nothing to tell.
  await user.request('POST', '/api/v1/glucose/readings', { readings: [three[0]] })
  await sleep(300)
  t.equal(client!.ofType('reading').length, 2, 'no event for a commit that stored nothing')
})

t.test('user A never receives B\'s events', async (t) => {
  const app = await startApp(t)
  const [a, b] = [app.newUser(), app.newUser()]
  const { client: streamA } = await SseClient.open(app, a)
  const { client: streamB } = await SseClient.open(app, b)
  t.teardown(() => {
    streamA!.close()
    streamB!.close()
  })
  await b.request('POST', '/api/v1/glucose/readings', { readings: [readingAt(1, 211)] })
  await streamB!.next((m) => m.data.value === 211)
  await a.request('POST', '/api/v1/glucose/readings', { readings: [readingAt(1, 88)] })
  await streamA!.next((m) => m.data.value === 88)
  await sleep(200)
  t.same(streamA!.messages.map((m) => m.data.value), [88], 'A saw only its own reading')
  t.same(streamB!.messages.map((m) => m.data.value), [211], 'B saw only its own reading')
  // Last-Event-ID is no way into another user's log: replaying from 0 shows only the caller's events.
  const { client: replay } = await SseClient.open(app, a, { lastEventId: '0' })
  t.teardown(() => replay!.close())
  await replay!.next((m) => m.data.value === 88)
  await sleep(200)
  t.same(replay!.messages.map((m) => m.data.value), [88])
})

t.test('reconnecting with Last-Event-ID replays what was missed exactly once, in order', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const first = (await SseClient.open(app, user)).client!
  await user.request('POST', '/api/v1/glucose/readings', { readings: [readingAt(25, 100)] })
  const seen = await first.next((m) => m.data.value === 100)
  first.close()

  for (const [minutes, value] of [[20, 101], [15, 102], [10, 103]] as const) {
    await user.request('POST', '/api/v1/glucose/readings', { readings: [readingAt(minutes, value)] })
  }
  const again = (await SseClient.open(app, user, { lastEventId: seen.id! })).client!
  t.teardown(() => again.close())
  await again.next((m) => m.data.value === 103)
  await user.request('POST', '/api/v1/glucose/readings', { readings: [readingAt(5, 104)] })
  await again.next((m) => m.data.value === 104)
  await sleep(300)
  t.same(again.messages.map((m) => m.data.value), [101, 102, 103, 104], 'missed ones once, then live, no duplicates')
  const ids = again.messages.map((m) => Number(m.id))
  t.same(ids, [...ids].sort((x, y) => x - y), 'in id order')
  t.ok(ids[0]! > Number(seen.id), 'nothing at or before Last-Event-ID')

  // The query form, for EventSource polyfills that cannot set the header.
  const polyfill = (await SseClient.open(app, user, { query: `lastEventId=${ids[1]}` })).client!
  t.teardown(() => polyfill.close())
  await polyfill.next((m) => m.data.value === 104)
  t.same(polyfill.messages.map((m) => m.data.value), [103, 104])

  // Without Last-Event-ID a stream starts now: no replay of older events.
  const fresh = (await SseClient.open(app, user)).client!
  t.teardown(() => fresh.close())
  await sleep(300)
  t.same(fresh.messages, [])

  const bad = await SseClient.open(app, user, { lastEventId: 'abc' })
  t.equal(bad.status, 400)
  t.match(bad.body, { statusCode: 400, error: 'Bad Request', message: /Last-Event-ID/ })
})

t.test('heartbeats, the per-user stream limit and authentication', async (t) => {
  const app = await startApp(t, { live: { heartbeatMs: 150, maxStreamsPerUser: 2 } })
  const user = app.newUser()
  const one = (await SseClient.open(app, user)).client!
  const two = (await SseClient.open(app, user)).client!
  await one.waitUntil(() => one.comments.includes('ping'), 1000, 'a ping comment')
  t.pass('a ": ping" comment arrives within the heartbeat period')

  const third = await SseClient.open(app, user)
  t.equal(third.status, 429)
  t.match(third.body, { statusCode: 429, error: 'Too Many Requests', message: /too many open streams/ })
  const other = await SseClient.open(app, app.newUser())
  t.equal(other.status, 200, 'the limit is per user')
  other.client!.close()

  two.close()
  let reopened: Awaited<ReturnType<typeof SseClient.open>> | undefined
  for (let i = 0; i < 20 && reopened?.status !== 200; i++) {
    await sleep(50)
    reopened = await SseClient.open(app, user)
  }
  t.equal(reopened!.status, 200, 'a closed stream frees its place')
  reopened!.client?.close()
  one.close()

  const anonymous = await SseClient.open(app, undefined)
  t.equal(anonymous.status, 401)
  t.match(anonymous.body, { statusCode: 401, error: 'Unauthorized' })
})

t.test('app.close() with open streams ends them and finishes promptly', async (t) => {
  const app = await buildApp(testConfig())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  const { signToken } = await import('../../src/auth/sign-token.js')
  const { randomUUID } = await import('node:crypto')
  const users = [randomUUID(), randomUUID()]
  const running = { url } as Parameters<typeof SseClient.open>[0]
  const clients = await Promise.all(users.map(async (id) => (await SseClient.open(running, { id, token: signToken(testConfig(), id) } as never)).client!))
  t.equal(app.live.size, 2)
  const started = Date.now()
  await app.close()
  const took = Date.now() - started
  t.ok(took < 5000, `closed in ${took} ms (not held open by the streams)`)
  await Promise.all(clients.map((c) => c.waitUntil(() => c.ended, 1000, 'the end of the stream')))
  t.ok(clients.every((c) => c.ended), 'every client saw its stream end')
})
