// The engine end to end: a worker finds a new connection on its own, syncs it, and schedules the next sync; failure
// paths set the connection's state and next time, and never move the cursor past what was stored.
import t from 'tap'
import { countReadings } from '../helpers.js'
import { connectDexcom, startSimulator } from '../providers/helpers.js'
import { connectionRow, syncEnv, waitFor } from './support.js'

const MINUTE = 60_000

t.test('a new connection is synced by the worker without a button press, then scheduled a cadence later', async (t) => {
  const sim = await startSimulator(t)
  const env = await syncEnv(t, sim)
  const { user, connectionId } = await env.connect('SandboxUser1')
  await env.startWorker()

  const run = await waitFor(async () => {
    const [r] = await env.db.sql<{ outcome: string; trigger: string; readings_stored: number }[]>`
      SELECT outcome, trigger, readings_stored FROM sync_runs WHERE connection_id = ${connectionId} AND finished_at IS NOT NULL`
    return r
  }, 20_000, 'the first scheduled sync')
  t.match(run, { outcome: 'ok', trigger: 'scheduled' })
  const stored = await countReadings(env.app.db, user.id)
  t.ok(stored > 500, `two days of readings stored (${stored})`)
  t.equal(run.readings_stored, stored, 'the run logged what it stored')

  const row = await connectionRow(env.db, connectionId)
  t.equal(row.status, 'active')
  const inMs = row.next_sync_at!.getTime() - Date.now()
  t.ok(inMs > 4 * MINUTE && inMs <= 5.5 * MINUTE, `next sync in about 5 minutes ± 10 % (${Math.round(inMs / 1000)} s)`)
  t.ok(row.sync_cursor.lastSyncTime, 'cursor moved')
  t.notOk(row.sync_cursor.backfill, 'no history owed')

  // The readings changed a span: its meals' responses are recomputed by an analysis job.
  const [analysis] = await env.db.sql<{ data: { userId: string; from: string; to: string } }[]>`
    SELECT data FROM pgboss.job WHERE name = 'analyze-readings' AND data->>'userId' = ${user.id}`
  t.ok(analysis, 'an analysis job was enqueued for the user')
  t.ok(Date.parse(analysis!.data.to) - Date.parse(analysis!.data.from) > 24 * 3_600_000, 'covering the synced span')
})

t.test('the analysis job computes the responses of meals whose window the sync touched', async (t) => {
  const sim = await startSimulator(t)
  const env = await syncEnv(t, sim)
  const { user, connectionId } = await env.connect('SandboxUser2')
  const meal = await user.request('POST', '/api/v1/meals', { eatenAt: new Date(sim.now() - 6 * 3_600_000).toISOString(), name: 'porridge' })
  t.equal(meal.status, 201)
  await env.startWorker()
  const response = await waitFor(async () => {
    const [r] = await env.db.sql<{ peak_mg_dl: number | null }[]>`SELECT peak_mg_dl FROM meal_glucose_responses WHERE meal_id = ${meal.body.id}`
    return r
  }, 20_000, 'the meal response')
  t.type(response.peak_mg_dl, 'number', 'computed from the synced readings')
  t.ok((await connectionRow(env.db, connectionId)).last_success_at)
  const job = await waitFor(async () => {
    const [j] = await env.db.sql<{ output: { responses: number; detected: number; newDetectedMeals: number } }[]>`
      SELECT output FROM pgboss.job WHERE name = 'analyze-readings' AND state = 'completed' AND data->>'userId' = ${user.id}`
    return j
  }, 10_000, 'the analysis job to complete')
  t.ok(job.output.responses >= 1, 'it wrote the response')
  const [detected] = await env.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM detected_meals WHERE user_id = ${user.id}`
  t.equal(job.output.newDetectedMeals, detected!.n, 'and ran meal detection over the synced days: what it stored is there')
  t.ok(job.output.detected >= job.output.newDetectedMeals, `rises found ${job.output.detected}, unexplained and stored ${detected!.n}`)
})

t.test('a 500 moves nothing forward and backs off; the next sync after it succeeds', async (t) => {
  const sim = await startSimulator(t)
  const env = await syncEnv(t, sim)
  sim.injectFailures({ status: 500, pathPrefix: '/v3/users/self/egvs' })
  const { user, connectionId } = await env.connect('SandboxUser3')
  const before = Date.now()
  await env.startWorker()
  const failed = await waitFor(async () => {
    const row = await connectionRow(env.db, connectionId)
    return row.consecutive_failures > 0 ? row : undefined
  }, 20_000, 'the failed sync')
  t.equal(failed.status, 'active', 'a transient failure keeps the status')
  t.same(failed.sync_cursor, {}, 'the cursor did not move')
  t.match(failed.last_error, /answered 500; retry later/)
  // Backoff after the first failure: between half and all of one minute (src/sync/next-sync.ts).
  const inMs = failed.next_sync_at!.getTime() - before
  t.ok(inMs >= 29_000 && inMs <= 62_000, `next try in 30–60 s (${Math.round(inMs / 1000)} s)`)
  t.equal(await countReadings(env.app.db, user.id), 0)
  const [run] = await env.db.sql`SELECT outcome FROM sync_runs WHERE connection_id = ${connectionId}`
  t.equal(run?.outcome, 'unavailable')

  // Due again (as if the backoff had passed): the next tick syncs it and clears the failure.
  await env.db.sql`UPDATE cgm_connections SET next_sync_at = now() WHERE id = ${connectionId}`
  const recovered = await waitFor(async () => {
    const row = await connectionRow(env.db, connectionId)
    return row.consecutive_failures === 0 ? row : undefined
  }, 20_000, 'the retried sync')
  t.equal(recovered.last_error, null)
  t.ok(await countReadings(env.app.db, user.id) > 500)
})

t.test('429 waits for Retry-After', async (t) => {
  const sim = await startSimulator(t)
  const env = await syncEnv(t, sim)
  sim.injectFailures({ status: 429, pathPrefix: '/v3/users/self/dataRange', retryAfterSeconds: 120 })
  const limited = await env.connect('SandboxUser4')
  const before = Date.now()
  await env.startWorker()
  const row = await waitFor(async () => {
    const r = await connectionRow(env.db, limited.connectionId)
    return r.consecutive_failures > 0 ? r : undefined
  }, 20_000, 'the rate-limited sync')
  const wait = row.next_sync_at!.getTime() - before
  t.ok(wait >= 119_000 && wait <= 135_000, `next try after Retry-After 120 s, plus up to 10 % (${Math.round(wait / 1000)} s)`)
  t.equal(row.status, 'active')
  t.match(row.last_error, /rate limit/)
  t.same(row.sync_cursor, {}, 'the cursor did not move')
})

t.test('invalid_grant stops scheduling until the user reconnects', async (t) => {
  const sim = await startSimulator(t)
  const env = await syncEnv(t, sim)
  const revoked = await env.connect('SandboxUser5')
  sim.revokeRefreshTokens('SandboxUser5')
  sim.expireAccessTokens('SandboxUser5')
  await env.startWorker()
  const row = await waitFor(async () => {
    const r = await connectionRow(env.db, revoked.connectionId)
    return r.status === 'reauth_required' ? r : undefined
  }, 20_000, 'reauth_required')
  t.equal(row.next_sync_at, null, 'not scheduled any more')
  const listed = await revoked.user.request('GET', '/api/v1/connections')
  t.match(listed.body.connections[0], { status: 'reauth_required', lastError: /again/ }, 'visible in the status endpoint')

  // The user reconnects: the same connection is scheduled again and synced.
  const again = await connectDexcom(env.app, revoked.user, sim, 'SandboxUser5')
  t.equal(again.id, revoked.connectionId, 'the same connection')
  const synced = await waitFor(async () => {
    const r = await connectionRow(env.db, revoked.connectionId)
    return r.last_success_at ? r : undefined
  }, 20_000, 'the sync after reconnecting')
  t.equal(synced.status, 'active')
  t.ok(await countReadings(env.app.db, revoked.user.id) > 500)
})

t.test('readings that arrive over the API or a Nightscout upload enqueue their analysis too', async (t) => {
  const sim = await startSimulator(t)
  const env = await syncEnv(t, sim)
  const user = env.app.newUser()
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 60 * MINUTE
  const readings = [0, 5, 10].map((m) => ({ time: new Date(t0 + m * MINUTE).toISOString(), value: 120 + m }))
  t.equal((await user.request('POST', '/api/v1/glucose/readings', { readings })).status, 200)
  const site = await user.request('POST', '/api/v1/me/nightscout-upload')
  t.equal(site.status, 201)
  const upload = await fetch(`${env.app.url}/ns/${site.body.siteId}/api/v1/entries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-secret': site.body.apiSecretSha1 },
    body: JSON.stringify([{ type: 'sgv', sgv: 140, date: t0 + 20 * MINUTE, direction: 'Flat' }]),
  })
  t.equal(upload.status, 200)
  const spans = await waitFor(async () => {
    // The API starts pg-boss on first use, which creates its schema: until then there is nothing to read.
    const [ready] = await env.db.sql`SELECT to_regclass('pgboss.job') IS NOT NULL AS ok`
    if (!ready!.ok) return undefined
    const jobs = await env.db.sql<{ data: { from: string; to: string } }[]>`
      SELECT data FROM pgboss.job WHERE name = 'analyze-readings' AND data->>'userId' = ${user.id} ORDER BY data->>'from'`
    return jobs.length === 2 ? jobs.map((j) => [j.data.from, j.data.to]) : undefined
  }, 10_000, 'two analysis jobs')
  t.same(spans, [
    [new Date(t0).toISOString(), new Date(t0 + 10 * MINUTE).toISOString()],
    [new Date(t0 + 20 * MINUTE).toISOString(), new Date(t0 + 20 * MINUTE).toISOString()],
  ], 'each for the span its readings changed (sent concurrently: ordered by span)')
  // A re-send changes nothing, so it enqueues nothing.
  t.equal((await user.request('POST', '/api/v1/glucose/readings', { readings })).status, 200)
  await new Promise((resolve) => setTimeout(resolve, 500))
  const [count] = await env.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'analyze-readings' AND data->>'userId' = ${user.id}`
  t.equal(count!.n, 2)
})
