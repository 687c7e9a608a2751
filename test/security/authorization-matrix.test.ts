// Authorization matrix, generated from the app's own route list: for every route, user A calls it against user B's
// data (B has readings, a meal, a connection, a webhook, alert settings, a detected meal, an upload site), gets the
// status the table says (404 for B's ids), never sees anything of B's, and B's rows are byte-for-byte unchanged.
// A route the table does not know fails the test. Then: every route that needs credentials answers 401 without.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import type { Db } from '../../src/db/connect.js'
import { startApp, type TestUser } from '../helpers.js'
import { connected, startNightscout } from '../providers/credential-helpers.js'
import { POLICY, REDIRECT_URI, startSimulator } from '../providers/helpers.js'
import { createSite } from '../nightscout-upload/support.js'
import { MATRIX, type Call, type Case, type Fixtures } from './matrix-cases.js'

t.test('authorization matrix', async (t) => {
  const nsSim = await startNightscout(t)
  const dexcomSim = await startSimulator(t)
  const app = await startApp(t, {
    dexcom: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', redirectUri: REDIRECT_URI, baseUrl: dexcomSim.baseUrl },
    libreLinkUp: { baseUrl: 'http://127.0.0.1:9', regionUrlTemplate: 'http://127.0.0.1:9/{region}', version: '4.16.0' },
  })

  // The route list, from a second instance of the same app (src/plugins/audit.ts records routes as they are added).
  const lister = await buildApp(app.config)
  await lister.ready()
  const routes = [...new Set(lister.routeCatalog.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS').map((r) => `${r.method} ${r.url}`))]
  await lister.close()

  const unknown = routes.filter((r) => !MATRIX[r])
  t.same(unknown, [], 'every route has a row in test/security/matrix-cases.ts (add one for a new route)')
  const stale = Object.keys(MATRIX).filter((r) => !routes.includes(r))
  if (stale.length > 0) t.comment(`rows for routes the app no longer has: ${stale.join(', ')}`)

  // B's world, made through the API where it can be.
  const b = app.newUser()
  const now = Math.floor(Date.now() / 60_000) * 60_000
  // Seconds :07 mark B's readings: their times (ISO or epoch ms) appearing in an answer to A is a leak.
  const bTimes = [50, 45, 40, 35, 30].map((m) => now - m * 60_000 + 7_000)
  must(await b.request('POST', '/api/v1/glucose/readings', { readings: bTimes.map((ms, i) => ({ time: new Date(ms).toISOString(), value: [53, 347, 349, 351, 353][i] })) }), 200)
  const meal = must(await b.request('POST', '/api/v1/meals', { name: 'b-private-meal', eatenAt: new Date(now - 90 * 60_000).toISOString(), items: [{ name: 'b-private-item', carbs: 40 }] }), 201)
  const connection = await connected(b, 'nightscout', { url: nsSim.baseUrl, apiSecret: nsSim.apiSecret })
  const webhook = must(await b.request('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/b-private-hook', events: ['reading'] }), 201)
  must(await b.request('PUT', '/api/v1/alerts/settings', { low: 77 }), 200)
  const bSite = await createSite(app, b)
  const [detected] = await app.db.sql<{ id: string }[]>`
    INSERT INTO detected_meals (user_id, onset_at, peak_at, onset_mg_dl, peak_mg_dl, rise_mg_dl, max_rate_mg_dl_min, confidence, series_source)
    VALUES (${b.id}, ${new Date(now - 3 * 3_600_000)}, ${new Date(now - 2 * 3_600_000)}, 101, 171, 70, 2.1, 0.8, 'MANUAL') RETURNING id`
  const a = app.newUser()
  const aSite = await createSite(app, a)
  must(await a.request('POST', '/api/v1/glucose/readings', { readings: [{ time: new Date(now - 20 * 60_000 + 13_000).toISOString(), value: 120 }] }), 200)

  const f: Fixtures = {
    b: { userId: b.id, mealId: meal.id, connectionId: connection.id, webhookId: webhook.id, detectedMealId: detected!.id, siteId: bSite.siteId },
    aSite: { siteId: aSite.siteId, apiSecretSha1: aSite.apiSecretSha1 },
    nightscout: { url: nsSim.baseUrl, apiSecret: nsSim.apiSecret },
    policy: POLICY,
  }
  const markers = [
    b.id, meal.id, connection.id, webhook.id, detected!.id, bSite.siteId, bSite.apiSecretSha1, 'b-private-meal', 'b-private-item', 'b-private-hook',
    ...bTimes.flatMap((ms) => [String(ms), new Date(ms).toISOString().slice(0, 19)]),
  ]
  const before = await snapshot(app.db, b.id)
  t.ok(Object.values(before).filter((rows) => rows !== '[]').length >= 8, 'B has rows in most tables')

  const ordered = routes.filter((r) => MATRIX[r]).sort((x, y) => (MATRIX[x]!.last ?? 0) - (MATRIX[y]!.last ?? 0))
  for (const route of ordered) {
    const c = MATRIX[route]!
    const method = route.slice(0, route.indexOf(' '))
    const call = c.call(f)
    const answer = c.kind === 'stream' ? await readStream(app.url, a.token, call.path) : await send(app.url, method, call, credentialsFor(c, a, f))
    t.ok(c.expect.includes(answer.status), `${route} as A: ${answer.status} (expected ${c.expect.join(' or ')})${answer.status >= 400 ? ` ${answer.text.slice(0, 160)}` : ''}`)
    const leaked = markers.filter((m) => answer.text.includes(m))
    t.same(leaked, [], `${route}: nothing of B's in A's answer`)
    t.same(await snapshot(app.db, b.id), before, `${route}: B's data unchanged`)
  }

  t.test('without credentials: 401 on every route that needs them', async (t) => {
    for (const route of routes.filter((r) => MATRIX[r])) {
      const c = MATRIX[route]!
      const method = route.slice(0, route.indexOf(' '))
      const answer = c.kind === 'stream' ? await readStream(app.url, undefined, c.call(f).path) : await send(app.url, method, c.call(f), {})
      const expected = c.anonymous ?? [401]
      t.ok(expected.includes(answer.status), `${route} anonymous: ${answer.status} (expected ${expected.join(' or ')})`)
      if (answer.status === 401 && c.kind !== 'site') t.equal(answer.headers.get('www-authenticate'), 'Bearer', `${route}: WWW-Authenticate`)
    }
    // A well-formed token for nobody in particular, signed with another key: still 401.
    const forged = await send(app.url, 'GET', { path: '/api/v1/meals' }, { authorization: `Bearer ${forgedToken()}` })
    t.equal(forged.status, 401)
  })
  t.same(await snapshot(app.db, b.id), before, "B's data unchanged after everything")
})

function must(answer: { status: number; body: any }, status: number) {
  if (answer.status !== status) throw new Error(`setup: expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`)
  return answer.body
}

function credentialsFor(c: Case, a: TestUser, f: Fixtures): Record<string, string> {
  if (c.kind === 'site') return { 'api-secret': f.aSite.apiSecretSha1 }
  if (c.kind === 'public') return {}
  return { authorization: `Bearer ${a.token}` }
}

async function send(url: string, method: string, call: Call, headers: Record<string, string>) {
  const body = call.raw?.text ?? (call.body === undefined ? undefined : JSON.stringify(call.body))
  const contentType = call.raw?.contentType ?? 'application/json'
  const response = await fetch(url + call.path, {
    method, headers: { ...headers, ...(body !== undefined && { 'content-type': contentType }) }, ...(body !== undefined && { body }),
  })
  return { status: response.status, text: await response.text(), headers: response.headers }
}

/** An SSE stream: what arrives in the first 500 ms (replay from lastEventId=0 comes at once), then hang up. */
async function readStream(url: string, token: string | undefined, path: string) {
  const controller = new AbortController()
  const response = await fetch(url + path, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: controller.signal })
  let text = ''
  if (response.status === 200 && response.body) {
    const reader = response.body.getReader()
    const timer = setTimeout(() => controller.abort(), 500)
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        text += Buffer.from(value).toString('utf8')
      }
    } catch {
      // aborted: the 500 ms are over
    } finally {
      clearTimeout(timer)
    }
  } else text = await response.text()
  return { status: response.status, text, headers: response.headers }
}

/**
 * Every row of every table with a user_id column that belongs to the user, plus the user row: found from the
 * catalog, so tables added later are covered too. Table names come from information_schema, not from input.
 */
async function snapshot(db: Db, userId: string): Promise<Record<string, string>> {
  const tables = await db.sql<{ table_name: string }[]>`
    SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
    WHERE c.table_schema = 'public' AND c.column_name = 'user_id' AND t.table_type = 'BASE TABLE' ORDER BY 1`
  const out: Record<string, string> = {}
  for (const { table_name: table } of tables) {
    const [row] = await db.sql.unsafe<{ rows: string | null }[]>(
      `SELECT coalesce(json_agg(t ORDER BY t::text)::text, '[]') AS rows FROM "${table}" t WHERE user_id = $1`, [userId])
    out[table] = row!.rows ?? '[]'
  }
  const [user] = await db.sql<{ row: string }[]>`SELECT row_to_json(u)::text AS row FROM users u WHERE id = ${userId}`
  out.users = user!.row
  return out
}

function forgedToken(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: randomUUID(), exp: Math.floor(Date.now() / 1000) + 600 })}.${'x'.repeat(43)}`
}
