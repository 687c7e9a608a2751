// GET /api/v1/me/export: everything of the caller and nothing of anyone else, no secret, as JSON and as CSV, and
// streamed: the response starts while the export's transaction is still reading, and a client that stops reading
// holds the export back (bounded memory) instead of the server producing it all.
import { parse } from 'csv-parse/sync'
import http from 'node:http'
import t from 'tap'
import { startApp, type Running } from '../helpers.js'
import { fillAccount } from './fixture.js'

const SECRET_KEY = /token|secret|password|credential/i

/** Every key of a parsed JSON value whose name looks like a secret, with its path. */
function secretKeys(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => secretKeys(v, `${path}[${i}]`))
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [...(SECRET_KEY.test(k) ? [`${path}.${k}`] : []), ...secretKeys(v, `${path}.${k}`)])
  }
  return []
}

async function download(app: Running, token: string, format: string) {
  const res = await fetch(`${app.url}/api/v1/me/export?format=${format}`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

async function storedReadings(app: Running, userId: string) {
  return app.db.sql<{ time: string; valueMgDl: number; source: string; trend: string | null }[]>`
    SELECT to_json(time) #>> '{}' AS time, value AS "valueMgDl", source::text AS source, trend::text AS trend
    FROM glucose_readings WHERE user_id = ${userId} ORDER BY time, source`
}

t.test('export', async (t) => {
  const app = await startApp(t)
  const alice = await fillAccount(app, app.newUser(), { readings: 4000, tag: 'alice' })
  const bob = await fillAccount(app, app.newUser(), { readings: 300, tag: 'bob' })

  t.test('JSON: one document with all of the user, nothing of others, no secrets', async (t) => {
    const res = await download(app, alice.user.token, 'json')
    t.equal(res.status, 200)
    t.match(res.headers.get('content-disposition'), /^attachment; filename="glucose-export-\d{4}-\d\d-\d\d\.json"$/)
    t.match(res.headers.get('content-type'), /^application\/json/)
    t.equal(res.headers.get('cache-control'), 'no-store')
    const doc = JSON.parse(res.text)
    t.equal(doc.user.id, alice.user.id)

    // Readings: every stored one, with its values (times compared as instants: JSON has ms, SQL has µs text).
    const stored = await storedReadings(app, alice.user.id)
    t.equal(stored.length, 4000)
    t.equal(doc.readings.length, stored.length)
    t.same(doc.readings.map((r: any) => [Date.parse(r.time), r.valueMgDl, r.source, r.trend]),
      stored.map((r) => [Date.parse(r.time), r.valueMgDl, r.source, r.trend]), 'every reading with its time, value, source and trend')

    t.same(doc.meals.map((m: any) => [m.id, m.name, m.notes]), [[alice.mealId, alice.mealName, 'alice notes']])
    t.same(doc.mealItems.map((i: any) => [i.mealId, i.position, i.name, i.grams, i.carbsG]),
      [[alice.mealId, 0, 'oats', 60, 40], [alice.mealId, 1, 'milk', 200, 10]])
    t.equal(doc.mealResponses.length, 1)
    t.equal(doc.mealResponses[0].mealId, alice.mealId)
    t.same(doc.detectedMeals.map((d: any) => d.id), [alice.detectedMealId])
    t.same(doc.consents.map((c: any) => [c.provider, c.policyVersion]), [['libre-link-up', 'test-1']])
    t.same(doc.connections.map((c: any) => [c.id, c.provider, c.region]), [[alice.connectionId, 'libre-link-up', 'eu']])
    t.equal(doc.syncRuns.length, 1)
    t.same(doc.alertSettings && doc.alertSettings.high, 200)
    t.same(doc.alerts.map((a: any) => [a.kind, a.valueMgDl]), [['high', 230]])
    t.same(doc.webhooks.map((w: any) => [w.id, w.url, w.eventTypes]), [[alice.webhookId, 'https://hooks.example.com/glucose', ['reading', 'alert']]])
    t.equal(doc.webhookDeliveries.length, 1)
    t.ok(doc.liveEvents.some((e: any) => e.type === 'alert'))
    t.equal(doc.nightscoutUploadSite.siteId, alice.siteId)
    t.same(doc.counts.readings, 4000)
    for (const [name, value] of Object.entries(doc)) {
      if (Array.isArray(value)) t.equal(doc.counts[name], value.length, `counts.${name} matches the section`)
    }

    t.same(secretKeys(doc), [], 'no key looks like a secret')
    for (const secret of alice.secrets) t.notOk(res.text.includes(secret), 'no stored secret appears anywhere')
    t.notOk(res.text.includes(bob.user.id), "the other user's id is absent")
    t.notOk(res.text.includes(bob.connectionId) || res.text.includes(bob.mealName), "the other user's rows are absent")
  })

  t.test('CSV: the same data, one section after another, first column names the section', async (t) => {
    const res = await download(app, alice.user.token, 'csv')
    t.equal(res.status, 200)
    t.match(res.headers.get('content-disposition'), /^attachment; filename="glucose-export-.*\.csv"$/)
    t.match(res.headers.get('content-type'), /^text\/csv/)
    const rows: string[][] = parse(res.text, { relax_column_count: true })
    // A section's header is the row just before its first row.
    const section = (name: string) => ({ header: rows[rows.findIndex((r) => r[0] === name) - 1], body: rows.filter((r) => r[0] === name) })
    const readings = section('readings')
    t.same(readings.header, ['section', 'time', 'valueMgDl', 'source', 'trend', 'trendRate', 'recordId', 'ingestedAt'])
    const stored = await storedReadings(app, alice.user.id)
    t.same(readings.body.map((r) => [Date.parse(r[1]!), Number(r[2]), r[3], r[4] || null]),
      stored.map((r) => [Date.parse(r.time), r.valueMgDl, r.source, r.trend]))
    const meals = section('meals')
    t.same(meals.body.map((r) => [r[1], r[3], r[4]]), [[alice.mealId, alice.mealName, 'alice notes']])
    const webhooks = section('webhooks')
    t.same(JSON.parse(webhooks.body[0]![3]!), ['reading', 'alert'], 'lists are JSON in their cell')
    for (const header of rows.filter((r) => r[0] === 'section')) {
      t.same(header.filter((c) => SECRET_KEY.test(c)), [], `no secret column in ${header.slice(0, 3).join(',')}`)
    }
    const counts = Object.fromEntries(rows.filter((r) => r[0] === 'counts').map((r) => [r[1], Number(r[2])]))
    t.equal(counts.readings, 4000)
    t.equal(counts.meals, 1)
    for (const secret of alice.secrets) t.notOk(res.text.includes(secret))
    t.notOk(res.text.includes(bob.user.id))
  })

  t.test('CSV: text that a spreadsheet would run as a formula is exported as text; JSON keeps it exact', async (t) => {
    const carol = app.newUser()
    const typed = { name: '=HYPERLINK("https://evil.example","click")', notes: '@SUM(A1:A9)' }
    const meal = await carol.request('POST', '/api/v1/meals', { eatenAt: new Date(Date.now() - 3_600_000).toISOString(), ...typed })
    t.equal(meal.status, 201)
    const rows: string[][] = parse((await download(app, carol.token, 'csv')).text, { relax_column_count: true })
    const header = rows[rows.findIndex((r) => r[0] === 'meals') - 1]!
    const cells = rows.find((r) => r[0] === 'meals')!
    t.equal(cells[header.indexOf('name')], `'${typed.name}`, 'the name starts with an apostrophe')
    t.equal(cells[header.indexOf('notes')], `'${typed.notes}`, 'so do the notes')
    const doc = JSON.parse((await download(app, carol.token, 'json')).text)
    t.same([doc.meals[0].name, doc.meals[0].notes], [typed.name, typed.notes], 'JSON: exactly as stored')
  })

  t.test('an unknown format is a 400 naming the parameter', async (t) => {
    const res = await alice.user.request('GET', '/api/v1/me/export?format=xml')
    t.equal(res.status, 400)
    t.match(res.body.message, /format/)
  })

  // 100,000 readings (about 350 days): some 16 MB of JSON, far more than the socket buffers between server and client.
  const big = app.newUser()
  await big.request('GET', '/api/v1/me')
  const total = 100_000
  await app.db.sql`
    INSERT INTO glucose_readings (time, user_id, source, value, trend)
    SELECT now() - make_interval(mins => 5 * g), ${big.id}, 'DEXCOM', 70 + g % 200, 'flat' FROM generate_series(1, ${total}) g`
  const openExports = async () => (await app.db.sql`
    SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '/* export */%' AND state <> 'idle'`).length

  t.test('streamed with backpressure: a client that stops reading holds the export back', async (t) => {
    // How long the whole export takes when read at full speed: the paused client below waits twice that.
    const started = Date.now()
    const whole = await download(app, big.token, 'json')
    const fullSpeedMs = Date.now() - started
    t.equal(JSON.parse(whole.text).readings.length, total)
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${app.url}/api/v1/me/export`, { headers: { authorization: `Bearer ${big.token}` } }, resolve).on('error', reject)
    })
    t.equal(res.statusCode, 200)
    const chunks: Buffer[] = []
    // Paused inside the handler: a flowing stream would emit (and lose) the next chunks before an await resumes.
    const first = await new Promise<Buffer>((resolve) => res.once('data', (chunk: Buffer) => {
      res.pause()
      resolve(chunk)
    }))
    chunks.push(first)
    // Twice the time the whole export takes: were it not held back by the paused client, it would have finished.
    await new Promise((resolve) => setTimeout(resolve, Math.max(1000, 2 * fullSpeedMs)))
    t.comment(`full-speed export of ${total} readings: ${fullSpeedMs} ms, ${(whole.text.length / 1e6).toFixed(1)} MB`)
    // The export's transaction is still open, mid-cursor: the first bytes left before the data was all read.
    const open = await app.db.sql<{ state: string }[]>`
      SELECT state FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '/* export */%FROM glucose_readings%'
        AND state IN ('active', 'idle in transaction')`
    t.equal(open.length, 1, 'the export is still reading readings while the client is paused')
    const second = await big.request('GET', '/api/v1/me/export')
    t.equal(second.status, 429, 'one export at a time per user')
    t.match(second.body.message, /already being downloaded/)
    for await (const chunk of res) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const doc = JSON.parse(text)
    t.equal(doc.readings.length, total)
    t.ok(first.length < text.length / 20, `the first chunk (${first.length} B) is a small part of the whole (${text.length} B)`)
    const after = await app.db.sql`
      SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '/* export */%' AND state = 'idle in transaction'`
    t.equal(after.length, 0, 'the transaction is over once the export is sent')
  })

  t.test('a client that disconnects mid-export releases the connection', async (t) => {
    const req = http.get(`${app.url}/api/v1/me/export?format=csv`, { headers: { authorization: `Bearer ${big.token}` } })
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve))
    await new Promise((resolve) => res.once('data', resolve))
    res.pause()
    await new Promise((resolve) => setTimeout(resolve, 500))
    t.equal(await openExports(), 1, 'the export is in progress')
    req.destroy()
    let open = 1
    for (let i = 0; i < 50 && open > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      open = await openExports()
    }
    t.equal(open, 0, 'no export transaction left open after the client went away')
  })
})
