// The database goes away in the middle of a provider sync and comes back, while the API keeps being called. The
// app and the worker reach the database through a TCP proxy the test cuts (support.ts: every open connection
// destroyed, new ones refused), so the shared cluster never stops. Expected: the API answers 503 with Retry-After
// quickly (never hangs) and serves again by itself once the database is back; the sync job fails, is retried,
// and every reading the provider served ends up stored exactly once; nothing is left holding locks.
import t from 'tap'
import type { PgBoss } from 'pg-boss'
import type { Config } from '../../src/config.js'
import { startBoss } from '../../src/sync/queues.js'
import { startSyncWorker } from '../../src/sync/worker.js'
import { countReadings, series, startApp, testConfig } from '../helpers.js'
import { connectDexcom, REDIRECT_URI, servedEgvs, startSimulator } from '../providers/helpers.js'
import { connectionRow, FAST_SYNC, privateDatabase, silentLog, waitFor } from '../sync/support.js'
import { DbProxy } from './support.js'

const OUTAGE_MS = 4000

t.test('database down mid-sync: 503 with Retry-After, recovery without restart, the sync retried, readings exactly once', async (t) => {
  const t0 = Date.now()
  const sim = await startSimulator(t, { users: [{ username: 'user1', historyDays: 90 }] })
  const { url: directUrl, db } = await privateDatabase(t)
  const migratedMs = Date.now() - t0
  const { proxy, url: proxiedUrl } = await DbProxy.start(directUrl)
  t.teardown(() => proxy.cut())
  const base = testConfig()
  const config: Config = {
    ...base,
    databaseUrl: proxiedUrl,
    dexcom: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', redirectUri: REDIRECT_URI, baseUrl: sim.baseUrl },
    sync: { ...base.sync, ...FAST_SYNC, worker: false },
  }
  const app = await startApp(t, config)
  const user = app.newUser()
  const connection = await connectDexcom(app, user, sim, 'user1')
  // Readings through the API before the outage: the app's own pg-boss (analysis jobs) is running when it is cut.
  const before = series(12, { endMinutesAgo: 60 * 24 * 100 })
  t.equal((await user.request('POST', '/api/v1/glucose/readings', { source: 'MANUAL', readings: before })).status, 200, 'ingest works before the outage')

  sim.setLatency(250) // a 90-day backfill is 4 windows, about 2 s: time enough to cut the database half-way
  const bossErrors: string[] = []
  const boss: PgBoss = await startBoss(config, { supervise: true })
  boss.on('error', (error: Error) => bossErrors.push(error.message)) // a worker logs these (src/cli/worker.ts)
  const worker = await startSyncWorker({ config, boss, log: silentLog })
  t.teardown(async () => {
    await worker.stop()
    await boss.stop({ graceful: false, timeout: 5_000 })
  })
  await waitFor(async () => ((await connectionRow(db, connection.id)).sync_cursor.backfill ? true : undefined), 30_000, 'the sync to store a first window')
  const openAtCut = await proxy.cut()
  const cutAt = Date.now()
  const syncStartedMs = cutAt - t0 - migratedMs

  // While it is down: every API call that needs the database is a quick 503 with Retry-After, liveness stays up.
  const during = series(6, { endMinutesAgo: 60 * 24 * 99 })
  const answers: Array<{ path: string; status: number; retryAfter: string | null; ms: number }> = []
  while (Date.now() - cutAt < OUTAGE_MS) {
    for (const [method, path, payload] of [['POST', '/api/v1/glucose/readings', { source: 'MANUAL', readings: during }], ['GET', '/api/v1/glucose/latest', undefined]] as const) {
      const started = Date.now()
      const r = await user.request(method, path, payload)
      answers.push({ path, status: r.status, retryAfter: r.headers.get('retry-after'), ms: Date.now() - started })
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  const slowest = Math.max(...answers.map((a) => a.ms))
  t.same(answers.filter((a) => a.status !== 503).map((a) => `${a.path}: ${a.status}`), [], `all ${answers.length} API calls during the outage answered 503`)
  t.ok(answers.every((a) => a.retryAfter !== null && Number(a.retryAfter) > 0), 'each with a Retry-After')
  // Answered while the database is still away (a call that hung until it returned would have got a 200 above).
  t.ok(slowest < OUTAGE_MS - 500, `within bounded time (slowest ${slowest} ms)`)
  t.equal((await user.request('GET', '/health')).status, 200, 'liveness still answers 200')
  const ready = await user.request('GET', '/ready')
  t.equal(ready.status, 503, `readiness says unavailable (${ready.body?.reason})`)

  await proxy.restore()
  const restoredAt = Date.now()
  // The client re-sends its batch until it is accepted; the app recovers on its own (same process, same pool).
  const accepted = await waitFor(async () => {
    const r = await user.request('POST', '/api/v1/glucose/readings', { source: 'MANUAL', readings: during })
    return r.status === 200 ? r : undefined
  }, 15_000, 'the API to accept readings again')
  const recoveryMs = Date.now() - restoredAt
  t.equal(accepted.body.inserted, during.length, `the API accepts again ${recoveryMs} ms after the database is back`)
  t.equal((await user.request('GET', '/ready')).status, 200, 'readiness is back')
  const latest = await user.request('GET', '/api/v1/glucose/latest')
  t.equal(latest.status, 200, 'reads work again')

  // The sync: its job failed or lost its heartbeat while the database was away, pg-boss retried it, and the
  // retry resumed from the cursor.
  const done = await waitFor(async () => {
    const [run] = await db.sql<{ id: string }[]>`SELECT id FROM sync_runs WHERE connection_id = ${connection.id} AND outcome = 'ok'`
    return run
  }, 45_000, 'the retried sync to finish')
  t.ok(done, `the sync finished ${Math.round((Date.now() - restoredAt) / 1000)} s after the database came back`)
  // The run is logged ok just before the handler returns and pg-boss marks its job completed: wait for that too.
  const firstJob = async () => (await db.sql<{ state: string; retry_count: number }[]>`
    SELECT state, retry_count FROM pgboss.job WHERE name = 'sync-connection' AND singleton_key = ${connection.id} ORDER BY created_on LIMIT 1`)[0]
  const job = await waitFor(async () => { const j = await firstJob(); return j?.state === 'completed' ? j : undefined }, 5_000, 'the job to be marked completed')
    .catch(() => firstJob())
  t.equal(job?.state, 'completed', 'the job that was running at the cut completed')
  t.ok(job!.retry_count >= 1, `after ${job!.retry_count} retry`)
  const served = await servedEgvs(sim, 'user1', sim.requests('/v3/users/self/egvs').filter((r) => r.statusCode === 200).map((r) => r.url))
  const distinct = new Set(served.filter((r) => r.value !== null).map((r) => r.systemTime)).size
  const [dexcom] = await db.sql<{ n: number; instants: number }[]>`
    SELECT count(*)::int AS n, count(DISTINCT time)::int AS instants FROM glucose_readings WHERE user_id = ${user.id} AND source = 'DEXCOM'`
  t.equal(dexcom!.n, distinct, `every reading served is stored (${distinct})`)
  t.equal(dexcom!.instants, dexcom!.n, 'none twice')
  t.equal(await countReadings({ sql: db.sql } as never, user.id), distinct + before.length + during.length, 'and the API batches exactly once')
  t.notOk((await connectionRow(db, connection.id)).sync_cursor.backfill, 'no history owed any more')

  // Nothing left behind by the sessions that were cut: no advisory lock held, no transaction left open. (A live
  // event writer or a pg-boss statement may hold a transaction lock for milliseconds: wait for a quiet moment.)
  const leftovers = () => db.sql<{ kind: string; app: string; state: string; query: string }[]>`
    SELECT 'advisory ' || l.classid || ':' || l.objid AS kind, a.application_name AS app, a.state, left(a.query, 80) AS query
    FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND a.datname = current_database()
    UNION ALL
    SELECT 'open transaction', application_name, state, left(query, 80) FROM pg_stat_activity
    WHERE datname = current_database() AND state LIKE 'idle in transaction%'`
  const quiet = await waitFor(async () => ((await leftovers()).length === 0 ? [] : undefined), 5_000, 'no lock or transaction left').catch(() => undefined)
  t.same(quiet ?? await leftovers(), [], 'no advisory lock held, no transaction left open')
  t.comment(`phases: fresh database ${migratedMs} ms, connect and first window ${syncStartedMs} ms, down ${OUTAGE_MS} ms, sync done ${Date.now() - restoredAt} ms after`)
  t.comment(`cut ${openAtCut} open connections; ${answers.length} calls during ${OUTAGE_MS} ms down; ${bossErrors.length} pg-boss errors reported; ${proxy.connections} connections through the proxy in all`)
})
