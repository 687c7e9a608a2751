// Threshold alerts: settings, one alert per episode with hysteresis, delivery on the stream, the list.
import t from 'tap'
import { evaluateAlerts } from '../../src/live/alerts.js'
import { startApp } from '../helpers.js'
import { readingAt, sleep, SseClient } from './support.js'

t.test('settings: defaults, replace, validation', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const initial = await user.request('GET', '/api/v1/alerts/settings')
  t.equal(initial.status, 200)
  t.same(initial.body.settings, { urgentLow: 55, low: 70, high: 250, rate: 3 })
  t.same(initial.body.defaults, initial.body.settings)

  const put = await user.request('PUT', '/api/v1/alerts/settings', { low: 80, high: null })
  t.equal(put.status, 200)
  t.same(put.body.settings, { urgentLow: 55, low: 80, high: null, rate: 3 }, 'left-out fields take the defaults, null is off')
  t.same((await user.request('GET', '/api/v1/alerts/settings')).body.settings, put.body.settings)

  const bad = await user.request('PUT', '/api/v1/alerts/settings', { urgentLow: 75, low: 70 })
  t.equal(bad.status, 400)
  t.match(bad.body, { statusCode: 400, error: 'Bad Request', details: [{ field: 'urgentLow', message: 'must be below low' }] })
  const outOfRange = await user.request('PUT', '/api/v1/alerts/settings', { high: 1000 })
  t.equal(outOfRange.status, 400)
  t.same((await app.newUser().request('GET', '/api/v1/alerts/settings')).body.settings.low, 70, 'per user')
})

t.test('a low alert fires once per episode, again after recovery and a new episode', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const stream = (await SseClient.open(app, user)).client!
  t.teardown(() => stream.close())
  const sentAt = new Map<number, string>()
  const post = async (minutesAgo: number, value: number) => {
    const reading = readingAt(minutesAgo, value)
    sentAt.set(value, reading.time)
    const res = await user.request('POST', '/api/v1/glucose/readings', { readings: [reading] })
    t.equal(res.status, 200)
    await stream.next((m) => m.event === 'reading' && m.data.value === value && m.data.time === reading.time)
  }
  // 65 opens the episode; 62 is the same episode; 75 is back above 70 but within the 10 mg/dL margin, so still
  // the same episode; 85 ends it; 64 is a new episode.
  await post(28, 100)
  await post(25, 65)
  await post(22, 62)
  await post(19, 75)
  await post(16, 66)
  await post(13, 85)
  await post(10, 64)
  await sleep(200)
  const alerts = stream.ofType('alert')
  t.same(alerts.map((a) => [a.data.kind, a.data.value]), [['low', 65], ['low', 64]], 'two episodes, two alerts, nothing else')
  t.ok(Number(alerts[0]!.id) > Number(stream.messages.find((m) => m.data.value === 65 && m.event === 'reading')!.id), 'after its reading')

  const list = await user.request('GET', '/api/v1/alerts')
  t.equal(list.status, 200)
  t.same(list.body.alerts.map((a: any) => [a.kind, a.value, a.threshold]), [['low', 64, 70], ['low', 65, 70]], 'newest first')
  t.equal(list.body.alerts[1].endedAt, sentAt.get(85), 'the first ended with the 85')
  t.equal(list.body.alerts[0].endedAt, null, 'the second is open')
  const open = await user.request('GET', '/api/v1/alerts?open=true')
  t.same(open.body.alerts.map((a: any) => a.value), [64])
  t.same((await app.newUser().request('GET', '/api/v1/alerts')).body.alerts, [], 'another user has none')
})

t.test('urgent low, high and fast-fall alerts; old readings raise none; a gap ends an episode', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const ingest = (readings: unknown[]) => user.request('POST', '/api/v1/glucose/readings', { readings })
  const kinds = async () => (await user.request('GET', '/api/v1/alerts')).body.alerts.map((a: any) => `${a.kind}:${a.value}`).sort()

  // A backfill of lows from hours ago: stored, but nobody is alerted about the past.
  await ingest([readingAt(300, 50), readingAt(295, 52)])
  t.same(await kinds(), [])

  await ingest([readingAt(20, 50, { trendRate: -3.5 })])
  t.same(await kinds(), ['falling_fast:50', 'low:50', 'urgent_low:50'])
  await ingest([readingAt(15, 260, { trendRate: 0 })])
  t.same(await kinds(), ['falling_fast:50', 'high:260', 'low:50', 'urgent_low:50'], 'rate back to 0 ends the fall; lows still open')
  const [falling] = (await user.request('GET', '/api/v1/alerts')).body.alerts.filter((a: any) => a.kind === 'falling_fast')
  t.not(falling.endedAt, null)

  // A gap: the evaluation clock is a parameter, so episodes hours apart need no waiting.
  const at = (ms: number, value: number) => ({ time: new Date(ms), value, trendRate: null })
  const base = Date.now() + 3_600_000
  const evaluate = (readings: ReturnType<typeof at>[]) =>
    app.db.sql.begin((tx) => evaluateAlerts(tx, user.id, readings, readings.at(-1)!.time.getTime()))
  t.same((await evaluate([at(base, 300)])).map((a) => a.kind), ['high'], 'over an hour after the last high reading: a new episode')
  t.same((await evaluate([at(base + 5 * 60_000, 290)])).map((a) => a.kind), [], 'the same episode')
  t.same((await evaluate([at(base + 40 * 60_000, 280)])).map((a) => a.kind), ['high'], '40 minutes without readings ended it: a new episode')
  t.same((await evaluate([at(base + 45 * 60_000, 275)])).map((a) => a.kind), [], 'and that one is open')
  t.same((await evaluate([at(base + 50 * 60_000, 150)])).map((a) => a.kind), [], 'back below 240: over')
  t.same((await evaluate([at(base + 48 * 60_000, 300)])).map((a) => a.kind), [], 'a late reading from before the end raises nothing')
  t.same((await evaluate([at(base + 55 * 60_000, 300)])).map((a) => a.kind), ['high'], 'a new one after it does')
})
