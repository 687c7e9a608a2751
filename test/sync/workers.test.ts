// Several workers at once, and a worker killed mid-sync: no connection is ever synced twice at the same time, and
// every reading ends up stored exactly once.
import { spawn } from 'node:child_process'
import t from 'tap'
import { countReadings } from '../helpers.js'
import { servedEgvs, startSimulator } from '../providers/helpers.js'
import { connectionRow, syncEnv, waitFor } from './support.js'

const users = (n: number, historyDays: number) => Array.from({ length: n }, (_, i) => ({ username: `user${i + 1}`, historyDays }))

t.test('two workers running at once never sync one connection concurrently', async (t) => {
  const sim = await startSimulator(t, { users: users(12, 2) })
  sim.setLatency(20)
  const env = await syncEnv(t, sim)
  const connections = await Promise.all(sim.usernames.map((name) => env.connect(name)))
  await env.startWorker()
  await env.startWorker()

  // Six rounds: every connection due again each second, while the users also press "sync now".
  for (let round = 0; round < 6; round++) {
    await env.db.sql`UPDATE cgm_connections SET next_sync_at = now()`
    await Promise.all(connections.slice(0, 4).map(({ user, connectionId }) => user.request('POST', `/api/v1/connections/${connectionId}/sync`)))
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  await waitFor(async () => {
    const [busy] = await env.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'sync-connection' AND state IN ('created', 'retry', 'active') AND start_after < now()`
    return busy!.n === 0 ? true : undefined
  }, 30_000, 'the queue to drain')

  const [runs] = await env.db.sql<{ finished: number; ok: number; workers: number; scheduled: number }[]>`
    SELECT count(*) FILTER (WHERE finished_at IS NOT NULL)::int AS finished, count(*) FILTER (WHERE outcome = 'ok')::int AS ok,
           count(DISTINCT worker)::int AS workers, count(*) FILTER (WHERE trigger = 'scheduled')::int AS scheduled
    FROM sync_runs`
  t.ok(runs!.finished >= 36, `many syncs ran (${runs!.finished}, ${runs!.scheduled} scheduled)`)
  t.equal(runs!.ok, runs!.finished, 'every one of them succeeded')
  t.equal(runs!.workers, 2, 'both workers ran syncs')
  const [overlaps] = await env.db.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM sync_runs a JOIN sync_runs b
      ON a.connection_id = b.connection_id AND a.id < b.id
     AND a.started_at < coalesce(b.finished_at, 'infinity') AND b.started_at < coalesce(a.finished_at, 'infinity')`
  t.equal(overlaps!.n, 0, 'no two runs of one connection overlap in time')
  const [dupes] = await env.db.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (SELECT user_id, time FROM glucose_readings GROUP BY 1, 2 HAVING count(*) > 1) d`
  t.equal(dupes!.n, 0, 'no reading stored twice')
  for (const { user } of connections) t.ok((await countReadings(env.app.db, user.id)) > 500, 'each user has two days of readings')
})

t.test('a worker killed mid-sync: its job is retried by another and the readings end up exactly once', async (t) => {
  const sim = await startSimulator(t, { users: users(1, 90) })
  const env = await syncEnv(t, sim)
  const { user, connectionId } = await env.connect('user1')
  sim.setLatency(400) // a 90-day backfill is 7 requests: about 3 s, time enough to kill it half-way

  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/worker.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: env.config.databaseUrl,
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: process.env.SYNC_TEST_CHILD_LOG ? 'info' : 'silent',
      DEXCOM_CLIENT_ID: 'sim-client-id',
      DEXCOM_CLIENT_SECRET: 'sim-client-secret',
      DEXCOM_BASE_URL: sim.baseUrl,
      SYNC_TICK_SECONDS: '1',
      SYNC_MONITOR_SECONDS: '1',
      SYNC_JOB_HEARTBEAT_SECONDS: '10',
      SYNC_RETRY_DELAY_SECONDS: '1',
    },
    stdio: process.env.SYNC_TEST_CHILD_LOG ? 'inherit' : 'ignore',
  })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  // Killed once the first (newest) window is stored and the sync is still running: its cursor then owes the rest.
  await waitFor(async () => ((await connectionRow(env.db, connectionId)).sync_cursor.backfill ? true : undefined), 30_000, 'the child worker to store a first window')
  child.kill('SIGKILL')
  t.equal(await exited, 'SIGKILL')
  const partial = await countReadings(env.app.db, user.id)
  const [unfinished] = await env.db.sql`SELECT count(*)::int AS n FROM sync_runs WHERE finished_at IS NULL`
  t.equal(unfinished!.n, 1, 'the killed sync never finished')
  t.ok((await connectionRow(env.db, connectionId)).sync_cursor.backfill, 'the cursor says which history is still owed')

  sim.setLatency(0)
  await env.startWorker()
  const done = await waitFor(async () => {
    const [run] = await env.db.sql<{ outcome: string; worker: string }[]>`SELECT outcome, worker FROM sync_runs WHERE outcome = 'ok'`
    return run
  }, 40_000, 'the retried job to finish (heartbeat timeout 10 s)')
  t.ok(done, 'another worker finished the sync')
  const total = await countReadings(env.app.db, user.id)
  t.ok(total > partial, `the rest was fetched (${partial} before the kill, ${total} after)`)
  const served = await servedEgvs(sim, 'user1', sim.requests('/v3/users/self/egvs').filter((r) => r.statusCode === 200).map((r) => r.url))
  const distinct = new Set(served.filter((r) => r.value !== null).map((r) => r.systemTime)).size
  t.equal(total, distinct, 'every reading served is stored exactly once')
  const row = await connectionRow(env.db, connectionId)
  t.notOk(row.sync_cursor.backfill, 'nothing owed any more')
  const [job] = await env.db.sql<{ state: string; retry_count: number }[]>`SELECT state, retry_count FROM pgboss.job WHERE singleton_key = ${connectionId} ORDER BY created_on LIMIT 1`
  t.match(job, { state: 'completed', retry_count: 1 }, 'the same job, retried once')
})
