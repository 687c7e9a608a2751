import t from 'tap'
import { countReadings, series, startApp } from '../helpers.js'

t.test('bulk ingest is idempotent: the same batch sent 3 times is stored once', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const batch = { source: 'DEXCOM', readings: series(288) }
  const first = await user.request('POST', '/api/v1/glucose/readings', batch)
  t.equal(first.status, 200)
  t.same(first.body, { received: 288, inserted: 288, updated: 0, unchanged: 0, rejected: [] })
  for (const _ of [2, 3]) {
    const again = await user.request('POST', '/api/v1/glucose/readings', batch)
    t.same(again.body, { received: 288, inserted: 0, updated: 0, unchanged: 288, rejected: [] })
  }
  t.equal(await countReadings(app.db, user.id), 288)
})

t.test('re-sends with millisecond jitter, in-batch duplicates and revisions', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const readings = series(3)
  await user.request('POST', '/api/v1/glucose/readings', { readings })
  const jittered = readings.map((r) => ({ ...r, time: r.time.replace('.000Z', '.420Z') }))
  const res = await user.request('POST', '/api/v1/glucose/readings', { readings: jittered })
  t.same(res.body, { received: 3, inserted: 0, updated: 0, unchanged: 3, rejected: [] })

  // A revised value (Dexcom revises EGVs) replaces the stored one; the later of two items for one instant wins.
  const revised = await user.request('POST', '/api/v1/glucose/readings', {
    readings: [{ ...readings[0]!, value: 150 }, { ...readings[1]!, value: 151 }, { ...readings[1]!, value: 152 }],
  })
  t.same(revised.body, { received: 3, inserted: 0, updated: 2, unchanged: 1, rejected: [] })
  const [first, second] = await app.db.sql<{ value: number }[]>`
    SELECT value FROM glucose_readings WHERE user_id = ${user.id} ORDER BY time LIMIT 2`
  t.same([first!.value, second!.value], [150, 152])
})

t.test('the same instant from two sources is kept apart', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const readings = series(2)
  await user.request('POST', '/api/v1/glucose/readings', { source: 'DEXCOM', readings })
  const res = await user.request('POST', '/api/v1/glucose/readings', { source: 'NIGHTSCOUT', readings })
  t.equal(res.body.inserted, 2)
  t.equal(await countReadings(app.db, user.id), 4)
})

t.test('an invalid item rejects the batch with every problem and stores nothing', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const readings: unknown[] = series(5)
  readings[1] = { time: new Date(Date.now() + 3_600_000).toISOString(), value: 100 }
  readings[3] = { time: new Date().toISOString(), value: 9 }
  const res = await user.request('POST', '/api/v1/glucose/readings', { readings })
  t.equal(res.status, 400)
  t.match(res.body.message, /2 of 5 readings are invalid, so none were stored.*"partial": true/)
  t.match(res.body.details, [
    { index: 1, field: 'time', message: /in the future/ },
    { index: 3, field: 'value', message: /9 mg\/dL is outside/ },
  ])
  t.equal(await countReadings(app.db, user.id), 0)

  const partial = await user.request('POST', '/api/v1/glucose/readings', { readings, partial: true })
  t.equal(partial.status, 200)
  t.equal(partial.body.inserted, 3)
  t.same(partial.body.rejected.map((p: { index: number }) => p.index), [1, 3])
  t.equal(await countReadings(app.db, user.id), 3)
})

t.test('envelope problems are 400s that name the field', async (t) => {
  const app = await startApp(t, { ingestMaxReadings: 10 })
  const user = app.newUser()
  const tooMany = await user.request('POST', '/api/v1/glucose/readings', { readings: series(11) })
  t.equal(tooMany.status, 400)
  t.match(tooMany.body.message, /at most 10 readings per request; got 11/)
  const badUnit = await user.request('POST', '/api/v1/glucose/readings', { unit: 'mg', readings: series(1) })
  t.equal(badUnit.status, 400)
  t.match(badUnit.body.message, /unit/)
  const empty = await user.request('POST', '/api/v1/glucose/readings', { readings: [] })
  t.equal(empty.status, 400)
  t.match(empty.body.details, [{ field: 'body.readings' }])
  const notJson = await user.request('POST', '/api/v1/glucose/readings', '{"readings": [')
  t.equal(notJson.status, 400)
})

t.test('mmol/L in, mmol/L and mg/dL out', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const [a, b] = series(2)
  await user.request('POST', '/api/v1/glucose/readings', {
    unit: 'mmol/L',
    readings: [{ ...a!, value: 5.5, trend: 'singleUp', trendRate: 0.1 }, { ...b!, value: 10 }],
  })
  const mg = await user.request('GET', '/api/v1/glucose/readings')
  t.equal(mg.body.unit, 'mg/dL')
  t.same(mg.body.readings.map((r: { value: number }) => r.value), [99, 180])
  t.same(mg.body.readings[0], { time: a!.time.replace('.000Z', '+00:00'), value: 99, trend: 'singleUp', trendRate: 1.8, source: 'IMPORT' })
  const mmol = await user.request('GET', '/api/v1/glucose/readings?unit=mmol/L')
  t.same(mmol.body.readings.map((r: { value: number }) => r.value), [5.5, 10]) // 99/18.0182 = 5.49, 180/18.0182 = 9.99
  t.equal(mmol.body.readings[0].trendRate, 0.1) // 1.8/18.0182 = 0.0999

  // The preferred unit applies when the query names none.
  await user.request('PATCH', '/api/v1/me', { preferredUnit: 'mmol/L' })
  const latest = await user.request('GET', '/api/v1/glucose/latest')
  t.match(latest.body, { value: 10, unit: 'mmol/L', trend: null, source: 'IMPORT' })
  t.ok(latest.body.ageSeconds >= 0 && latest.body.ageSeconds < 120, 'age of the newest reading')
})

t.test('reads: range, bucketed means and bounds', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  await user.request('PATCH', '/api/v1/me', { timezone: 'America/New_York' })
  // 2025-03-10 04:00Z .. 06:55Z, values 100..135 (one per 5 min): 04:00 local-zone hour boundaries are UTC hours here.
  const start = Date.parse('2025-03-10T04:00:00Z')
  const readings = Array.from({ length: 36 }, (_, i) => ({ time: new Date(start + i * 300_000).toISOString(), value: 100 + i }))
  await user.request('POST', '/api/v1/glucose/readings', { readings })

  const raw = await user.request('GET', '/api/v1/glucose/readings?from=2025-03-10T05:00:00Z&to=2025-03-10T06:00:00Z')
  t.equal(raw.body.readings.length, 12, 'from inclusive, to exclusive')
  t.equal(raw.body.readings[0].value, 112)

  const hourly = await user.request('GET', '/api/v1/glucose/readings?from=2025-03-10T00:00:00Z&to=2025-03-11T00:00:00Z&bucket=1h')
  t.equal(hourly.body.bucket, '1h')
  // hour 1: 100..111 -> mean 105.5, min 100, max 111
  t.same(hourly.body.readings, [
    { time: '2025-03-10T04:00:00+00:00', mean: 105.5, min: 100, max: 111, readings: 12 },
    { time: '2025-03-10T05:00:00+00:00', mean: 117.5, min: 112, max: 123, readings: 12 },
    { time: '2025-03-10T06:00:00+00:00', mean: 129.5, min: 124, max: 135, readings: 12 },
  ])
  // A day bucket starts at the user's local midnight: 2025-03-10 00:00 in New York (EDT, -04:00) = 04:00Z.
  const daily = await user.request('GET', '/api/v1/glucose/readings?from=2025-03-09T00:00:00Z&to=2025-03-12T00:00:00Z&bucket=1d')
  t.same(daily.body.readings, [{ time: '2025-03-10T04:00:00+00:00', mean: 117.5, min: 100, max: 135, readings: 36 }])

  const reversed = await user.request('GET', '/api/v1/glucose/readings?from=2025-03-11T00:00:00Z&to=2025-03-10T00:00:00Z')
  t.equal(reversed.status, 400)
  t.match(reversed.body.message, /`from` must be before `to`/)
  const tooLong = await user.request('GET', '/api/v1/glucose/readings?from=2025-01-01T00:00:00Z&to=2025-03-10T00:00:00Z')
  t.match(tooLong.body.message, /span is over 31 days; add bucket= to downsample/)
  const badBucket = await user.request('GET', '/api/v1/glucose/readings?bucket=7m')
  t.equal(badBucket.status, 400)
  t.match(badBucket.body.details, [{ field: 'querystring.bucket' }])
})

t.test('latest is 404 before any reading', async (t) => {
  const app = await startApp(t)
  const res = await app.newUser().request('GET', '/api/v1/glucose/latest')
  t.equal(res.status, 404)
  t.equal(res.body.message, 'no readings yet')
})

t.test('concurrent identical batches store each reading once (COPY fast path races fall back to the upsert)', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const batch = { readings: series(500) }
  const results = await Promise.all(Array.from({ length: 6 }, () => user.request('POST', '/api/v1/glucose/readings', batch)))
  t.same(results.map((r) => r.status), [200, 200, 200, 200, 200, 200])
  const inserted = results.reduce((sum, r) => sum + r.body.inserted, 0)
  t.equal(inserted, 500, 'the six requests together inserted each reading once')
  t.equal(await countReadings(app.db, user.id), 500)
})

t.test('record ids with tabs, newlines and backslashes survive both write paths', async (t) => {
  const app = await startApp(t)
  const user = app.newUser()
  const odd = ['a\tb', 'line\nbreak', 'back\\slash\\N', 'cr\r']
  const readings = series(4).map((r, i) => ({ ...r, recordId: odd[i] }))
  await user.request('POST', '/api/v1/glucose/readings', { readings }) // new data: COPY
  const revised = await user.request('POST', '/api/v1/glucose/readings', { readings: readings.map((r) => ({ ...r, value: r.value + 1 })) })
  t.equal(revised.body.updated, 4, 'overlapping data: upsert')
  const rows = await app.db.sql<{ source_record_id: string }[]>`
    SELECT source_record_id FROM glucose_readings WHERE user_id = ${user.id} ORDER BY time`
  t.same(rows.map((r) => r.source_record_id), odd)
})
