// The audit log (migrations/0022_audit_log.sql, src/plugins/audit.ts): reads, writes, credential changes, the
// sync's use of credentials and Nightscout uploads leave one row each, with ids and route patterns only; the
// database refuses UPDATE, DELETE and TRUNCATE except a user's own erasure; only operators read it.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { insertAudit } from '../../src/audit/audit-log.js'
import { signToken } from '../../src/auth/sign-token.js'
import { connect } from '../../src/db/connect.js'
import { credentialContext } from '../../src/providers/connections.js'
import { CredentialCipher } from '../../src/providers/crypto.js'
import { syncConnection } from '../../src/providers/sync-connection.js'
import { createProviders } from '../../src/providers/registry.js'
import { request, testConfig } from '../helpers.js'
import { createSite, upload } from '../nightscout-upload/support.js'
import { connectDexcom, startProviderApp, startSimulator } from '../providers/helpers.js'
import { assertAuditShapes, auditRows, waitForAudit } from './support.js'

t.test('every /api/v1 and /ns route is audited; none opted out', async (t) => {
  const app = await buildApp(testConfig())
  await app.ready()
  t.teardown(() => app.close())
  const routes = app.routeCatalog.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS')
  const api = routes.filter((r) => r.url.startsWith('/api/v1/') || r.url.startsWith('/ns/'))
  t.ok(api.length > 40, `${api.length} API routes seen`)
  // The explicit allow-list of API routes that are not audited: empty. Adding `config: { audit: false }` to a
  // route has to be argued here.
  t.same(api.filter((r) => !r.audited).map((r) => `${r.method} ${r.url}`), [], 'API routes without audit')
  t.ok(routes.some((r) => r.url === '/health' && !r.audited), 'health is not audited (no user data)')
})

t.test('a graceful close writes the entries still buffered', async (t) => {
  const config = testConfig()
  const app = await buildApp(config)
  const userId = randomUUID()
  const res = await app.inject({ method: 'GET', url: '/api/v1/glucose/latest', headers: { authorization: `Bearer ${signToken(config, userId)}` } })
  t.equal(res.statusCode, 404)
  await app.close() // right away: within the writer's 50 ms delay
  const db = connect(config.databaseUrl, { max: 1 })
  t.teardown(() => db.close())
  t.match(await auditRows(db, userId), [{ action: 'GET /api/v1/glucose/latest', status: 404 }])
})

t.test('audit rows', async (t) => {
  const sim = await startSimulator(t)
  const app = await startProviderApp(t, sim)
  const values = [137, 211, 263] // what the user stores; times identify the readings in any text
  const now = Math.floor(Date.now() / 60_000) * 60_000
  const readings = values.map((value, i) => ({ time: new Date(now - (values.length - i) * 300_000).toISOString(), value }))
  const secrets: string[] = []

  t.test('a write and a read: one row each, route pattern and status only', async (t) => {
    const user = app.newUser()
    secrets.push(user.token)
    t.equal((await user.request('POST', '/api/v1/glucose/readings', { readings })).status, 200)
    t.equal((await user.request('GET', `/api/v1/glucose/readings?from=${encodeURIComponent(readings[0]!.time)}`)).status, 200)
    t.equal((await user.request('GET', `/api/v1/meals/${randomUUID()}`)).status, 404)
    const rows = await waitForAudit(app.db, user.id, 'GET /api/v1/meals/:id')
    t.match(rows, [
      { actor_kind: 'user', actor_id: user.id, subject_user_id: user.id, action: 'POST /api/v1/glucose/readings', status: 200 },
      { actor_kind: 'user', actor_id: user.id, subject_user_id: user.id, action: 'GET /api/v1/glucose/readings', status: 200 },
      { action: 'GET /api/v1/meals/:id', status: 404 },
    ])
    t.equal(rows.length, 3, 'one row per request')
    t.match(rows[0]!.request_id, /^[0-9a-f-]{36}$/, 'the request id ties a row to the request log')
    assertAuditShapes(t, rows)
    const text = JSON.stringify(rows)
    for (const r of readings) t.notOk(text.includes(r.time) || text.includes(r.time.slice(0, 16)), 'no reading time in the log')
    t.notOk(text.includes('from='), 'no query string')
  })

  t.test('unauthenticated requests are not audited (nobody to attribute them to)', async (t) => {
    const before = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE subject_user_id IS NULL AND action = 'GET /api/v1/glucose/latest'`
    t.equal((await request(app.url, undefined, 'GET', '/api/v1/glucose/latest')).status, 401)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const after = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE subject_user_id IS NULL AND action = 'GET /api/v1/glucose/latest'`
    t.equal(after[0]!.n, before[0]!.n)
  })

  t.test('a credentials change (OAuth connect) and the sync reading the credentials, by the user and by the worker', async (t) => {
    const user = app.newUser()
    const connection = await connectDexcom(app, user, sim, 'SandboxUser2')
    t.equal((await user.request('POST', `/api/v1/connections/${connection.id}/sync`)).status, 200)
    // What a worker runs for a due connection (src/sync/jobs.ts), with its trigger.
    const deps = { sql: app.db.sql, cipher: CredentialCipher.fromConfig(app.config.credentialKeys), providers: createProviders(app.config) }
    sim.expireAccessTokens('SandboxUser2') // the worker's sync refreshes: a credentials write
    t.ok(await syncConnection(deps, user.id, connection.id, { kind: 'scheduled', worker: 'test-host:42/1' }))
    const rows = await waitForAudit(app.db, user.id, 'POST /api/v1/connections/:id/sync')
    t.match(rows.find((r) => r.action === 'GET /api/v1/connections/:provider/callback'),
      { actor_kind: 'oauth-callback', actor_id: 'dexcom', subject_user_id: user.id, status: 200 }, 'the callback, attributed by its state')
    t.match(rows.filter((r) => r.action.startsWith('credentials.')), [
      { actor_kind: 'user', actor_id: user.id, action: 'credentials.read dexcom', request_id: /^sync-run:/ },
      { actor_kind: 'system', actor_id: 'sync-worker:test-host:42/1', action: 'credentials.read dexcom' },
      { actor_kind: 'system', actor_id: 'sync-worker:test-host:42/1', action: 'credentials.write dexcom' },
    ])
    assertAuditShapes(t, rows)
    const [stored] = await app.db.sql<{ credentials: Buffer }[]>`SELECT credentials_encrypted AS credentials FROM cgm_connections WHERE id = ${connection.id}`
    const tokens = CredentialCipher.fromConfig(app.config.credentialKeys).decryptJson<Record<string, string>>(stored!.credentials, credentialContext(user.id, 'dexcom'))
    const text = JSON.stringify(await app.db.sql`SELECT * FROM audit_log WHERE subject_user_id = ${user.id}`)
    for (const secret of [tokens.accessToken!, tokens.refreshToken!, user.token]) t.notOk(text.includes(secret), 'no token in the audit rows')
  })

  t.test('a Nightscout upload is the site user\'s', async (t) => {
    const site = await createSite(app)
    t.equal((await upload(site, [{ type: 'sgv', sgv: 187, date: now - 60_000, direction: 'Flat' }])).status, 200)
    const rows = await waitForAudit(app.db, site.user.id, 'POST /ns/:siteId/api/v1/entries')
    t.match(rows.at(-1), { actor_kind: 'upload-site', actor_id: site.siteId, subject_user_id: site.user.id, status: 200 })
    t.notOk(JSON.stringify(rows).includes(site.secret) || JSON.stringify(rows).includes(site.apiSecretSha1), 'no upload secret')
    assertAuditShapes(t, rows)
  })

  t.test('operators only: GET /api/v1/admin/audit', async (t) => {
    const user = app.newUser()
    await user.request('GET', '/api/v1/glucose/latest')
    await waitForAudit(app.db, user.id, 'GET /api/v1/glucose/latest')
    const refused = await user.request('GET', `/api/v1/admin/audit?userId=${user.id}`)
    t.equal(refused.status, 403)
    t.match(refused.body.message, /admin/)
    await waitForAudit(app.db, user.id, 'GET /api/v1/admin/audit')
    t.equal((await request(app.url, undefined, 'GET', '/api/v1/admin/audit')).status, 401)
    const operatorId = randomUUID()
    const admin = signToken(app.config, operatorId, 600, 'admin')
    const answer = await request(app.url, admin, 'GET', `/api/v1/admin/audit?userId=${user.id}&limit=10`)
    t.equal(answer.status, 200)
    t.ok(answer.body.entries.every((e: { subjectUserId: string }) => e.subjectUserId === user.id), 'only that user')
    t.match(answer.body.entries.at(-1), { actorKind: 'user', action: 'GET /api/v1/glucose/latest', status: 404 }, 'no reading yet: 404, recorded as such')
    t.match(answer.body.entries[0], { action: 'GET /api/v1/admin/audit', status: 403, actorKind: 'user' }, 'the refused attempt is recorded, newest first')
    const page = await request(app.url, admin, 'GET', `/api/v1/admin/audit?userId=${user.id}&limit=1&beforeId=${answer.body.entries[0].id}`)
    t.same(page.body.entries.map((e: { id: string }) => e.id), [answer.body.entries[1].id], 'paging by beforeId')
    const rows = await waitForAudit(app.db, user.id, (r) => r.actor_kind === 'operator')
    t.match(rows.filter((r) => r.actor_kind === 'operator'), [{ actor_id: operatorId, action: 'GET /api/v1/admin/audit', status: 200 }],
      "the operator's reading of this user's log is itself in the log")
    const bad = await request(app.url, admin, 'GET', '/api/v1/admin/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z')
    t.equal(bad.status, 400)
  })

  t.test('the database refuses UPDATE, DELETE and TRUNCATE; only the subject\'s erasure removes rows', async (t) => {
    const user = app.newUser()
    const other = app.newUser()
    await user.request('GET', '/api/v1/glucose/latest')
    await other.request('GET', '/api/v1/glucose/latest')
    await waitForAudit(app.db, user.id, 'GET /api/v1/glucose/latest')
    await waitForAudit(app.db, other.id, 'GET /api/v1/glucose/latest')
    const { sql } = app.db
    await t.rejects(sql`UPDATE audit_log SET status = 200 WHERE subject_user_id = ${user.id}`, { code: '42501', message: /append-only: UPDATE/ })
    await t.rejects(sql`DELETE FROM audit_log WHERE subject_user_id = ${user.id}`, { code: '42501', message: /append-only: DELETE/ })
    await t.rejects(sql`TRUNCATE audit_log`, { code: '42501', message: /append-only: TRUNCATE/ })
    await t.rejects(sql`DELETE FROM users WHERE id = ${user.id}`, { code: '42501' }, "a user's row cannot be deleted around the erasure path")
    await t.rejects(sql.begin(async (tx) => {
      await tx`SELECT set_config('glucose.erasing_user', ${other.id}, true)`
      await tx`DELETE FROM users WHERE id = ${user.id}`
    }), { code: '42501' }, "erasing one user does not open another's rows")
    t.equal((await auditRows(app.db, user.id)).length, 1, 'nothing changed')
    await sql.begin(async (tx) => {
      await tx`SELECT set_config('glucose.erasing_user', ${user.id}, true)`
      await tx`DELETE FROM users WHERE id = ${user.id}`
    })
    t.equal((await auditRows(app.db, user.id)).length, 0, "the erased user's rows went with them")
    t.equal((await auditRows(app.db, other.id)).length, 1, "others' rows stay")
    await t.rejects(sql`DELETE FROM audit_log WHERE subject_user_id = ${other.id}`, { code: '42501' }, 'the setting was transaction-local')
  })

  t.test('an entry about a user who no longer exists is kept without identifying them (DELETE /api/v1/me)', async (t) => {
    const gone = randomUUID()
    const requestId = randomUUID()
    await insertAudit(app.db.sql, [{ requestId, actorKind: 'user', actorId: gone, subjectUserId: gone, action: 'DELETE /api/v1/me', status: 204 }])
    const [row] = await app.db.sql`SELECT actor_id, subject_user_id, action, status FROM audit_log WHERE request_id = ${requestId}`
    t.same(row, { actor_id: null, subject_user_id: null, action: 'DELETE /api/v1/me', status: 204 })
  })
})
