// Data retention on real data: a user's own period, the global period (drop_chunks on the Apache edition), and the
// job run through pg-boss. On a database of its own: the global period deletes every user's old rows, which on the
// shared test database would be other test files' fixtures.
import t from 'tap'
import type { Db } from '../../src/db/connect.js'
import { runRetention } from '../../src/privacy/retention.js'
import { RETENTION_CRON, RETENTION_QUEUE, startRetentionWorker } from '../../src/privacy/retention-worker.js'
import { startBoss } from '../../src/sync/queues.js'
import { startApp } from '../helpers.js'
import { privateDatabase, silentLog, waitFor } from '../sync/support.js'


/** Hourly readings from `days` days ago to now, meals 40 and 10 days ago, a detected meal and an alert 40 days ago. */
async function seed(db: Db, userId: string, days = 60) {
  await db.sql`
    INSERT INTO glucose_readings (time, user_id, source, value)
    SELECT t, ${userId}, 'DEXCOM', 100 + (extract(epoch FROM t)::bigint / 3600) % 50
    FROM generate_series(date_trunc('minute', now()) - make_interval(days => ${days}), now(), interval '1 hour') t`
  for (const ago of [40, 10]) {
    const [meal] = await db.sql<{ id: string }[]>`
      INSERT INTO meals (user_id, eaten_at, name) VALUES (${userId}, now() - make_interval(days => ${ago}), ${`meal ${ago}`}) RETURNING id`
    await db.sql`INSERT INTO meal_items (meal_id, position, name, carbs_g) VALUES (${meal!.id}, 0, 'rice', 40)`
    await db.sql`INSERT INTO meal_glucose_responses (meal_id, user_id, no_response_reason) VALUES (${meal!.id}, ${userId}, 'test')`
    await db.sql`
      INSERT INTO detected_meals (user_id, onset_at, peak_at, onset_mg_dl, peak_mg_dl, rise_mg_dl, max_rate_mg_dl_min, confidence, series_source)
      VALUES (${userId}, now() - make_interval(days => ${ago}), now() - make_interval(days => ${ago}) + interval '1 hour', 100, 160, 60, 2, 0.8, 'DEXCOM')`
    await db.sql`
      INSERT INTO alerts (user_id, kind, threshold, reading_time, value, last_seen_at, ended_at)
      VALUES (${userId}, 'high', 180, now() - make_interval(days => ${ago}), 200, now() - make_interval(days => ${ago}), now() - make_interval(days => ${ago}) + interval '1 hour')`
  }
}

async function snapshot(db: Db, userId: string, olderThanDays: number) {
  const [row] = await db.sql<{ old: number; recent: number; meals: string[]; items: number; responses: number; detected: number; alerts: number }[]>`
    SELECT (SELECT count(*)::int FROM glucose_readings WHERE user_id = ${userId} AND time < now() - make_interval(days => ${olderThanDays})) AS old,
           (SELECT count(*)::int FROM glucose_readings WHERE user_id = ${userId} AND time >= now() - make_interval(days => ${olderThanDays})) AS recent,
           (SELECT coalesce(array_agg(name ORDER BY name), '{}') FROM meals WHERE user_id = ${userId}) AS meals,
           (SELECT count(*)::int FROM meal_items i JOIN meals m ON m.id = i.meal_id WHERE m.user_id = ${userId}) AS items,
           (SELECT count(*)::int FROM meal_glucose_responses WHERE user_id = ${userId}) AS responses,
           (SELECT count(*)::int FROM detected_meals WHERE user_id = ${userId}) AS detected,
           (SELECT count(*)::int FROM alerts WHERE user_id = ${userId}) AS alerts`
  return row!
}

t.test('retention', async (t) => {
  const { url, db } = await privateDatabase(t)
  const app = await startApp(t, { databaseUrl: url, retentionDays: null })

  t.test('a user sets their own period; PATCH validates it', async (t) => {
    const user = app.newUser()
    t.equal((await user.request('GET', '/api/v1/me')).body.retentionDays, null)
    for (const bad of [0, -5, 36501, 1.5, '30', true]) {
      const res = await user.request('PATCH', '/api/v1/me', { retentionDays: bad })
      t.equal(res.status, 400, `retentionDays ${JSON.stringify(bad)} is refused`)
      t.match(res.body.message, /retentionDays/)
    }
    const set = await user.request('PATCH', '/api/v1/me', { retentionDays: 30 })
    t.equal(set.status, 200)
    t.same({ retentionDays: set.body.retentionDays, effectiveRetentionDays: set.body.effectiveRetentionDays }, { retentionDays: 30, effectiveRetentionDays: 30 })
    t.equal((await user.request('GET', '/api/v1/me')).body.retentionDays, 30)
    const cleared = await user.request('PATCH', '/api/v1/me', { retentionDays: null, timezone: 'Europe/Berlin' })
    t.same([cleared.body.retentionDays, cleared.body.timezone], [null, 'Europe/Berlin'])
  })

  t.test("a user's period deletes only that user's old data", async (t) => {
    const short = app.newUser()
    const other = app.newUser()
    await short.request('PATCH', '/api/v1/me', { retentionDays: 30 })
    await other.request('GET', '/api/v1/me')
    await seed(db, short.id)
    await seed(db, other.id)
    const before = await snapshot(db, short.id, 30)
    const otherBefore = await snapshot(db, other.id, 30)
    t.ok(before.old > 700 && before.recent > 700, `seeded ${before.old} old and ${before.recent} recent readings`)

    const result = await runRetention(db.sql, { days: null, auditDays: null })
    t.equal(result.global, null, 'no global period configured')
    t.equal(result.users, 1)
    t.equal(result.perUser.readings, before.old)

    const after = await snapshot(db, short.id, 30)
    t.same(after, { ...before, old: 0, meals: ['meal 10'], items: 1, responses: 1, detected: 1, alerts: 1 },
      'readings, meals (with items and responses), detected meals and alerts older than 30 days are gone; newer kept')
    t.same(await snapshot(db, other.id, 30), otherBefore, "another user's data is untouched")
  })

  t.test('the global period drops old chunks for everyone and cuts the straddling chunk exactly', async (t) => {
    const a = app.newUser()
    const b = app.newUser()
    await a.request('GET', '/api/v1/me')
    await b.request('GET', '/api/v1/me')
    await seed(db, a.id, 90)
    await seed(db, b.id, 90)
    const chunksBefore = await chunkCount(db)
    const before = [await snapshot(db, a.id, 20), await snapshot(db, b.id, 20)]

    const result = await runRetention(db.sql, { days: 20, auditDays: null })
    t.equal(result.global?.mode, 'job', 'Apache edition: the job drops chunks (no retention policies)')
    t.ok(result.global!.chunksDropped >= 8, `drop_chunks dropped ${result.global!.chunksDropped} chunks`)
    t.equal(await chunkCount(db), chunksBefore - result.global!.chunksDropped)
    const [oldest] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM glucose_readings WHERE time < now() - interval '20 days'`
    t.equal(oldest!.n, 0, 'no reading of anyone is older than 20 days')
    for (const [i, user] of [a, b].entries()) {
      const after = await snapshot(db, user.id, 20)
      t.same(after, { ...before[i]!, old: 0, meals: ['meal 10'], items: 1, responses: 1, detected: 1, alerts: 1 })
    }
  })

  t.test('audit rows: kept for ever by default, past AUDIT_RETENTION_DAYS deleted; younger than a year never', async (t) => {
    const user = app.newUser()
    await user.request('GET', '/api/v1/me')
    const audit = (daysAgo: number, action: string) => db.sql`
      INSERT INTO audit_log (at, actor_kind, actor_id, subject_user_id, action, status)
      VALUES (now() - make_interval(days => ${daysAgo}), 'user', ${user.id}, ${user.id}, ${action}, 200)`
    await audit(800, 'old-800')
    await audit(500, 'old-500')
    await audit(300, 'recent-300')
    const kept = async () => (await db.sql<{ action: string }[]>`
      SELECT action FROM audit_log WHERE subject_user_id = ${user.id} AND action LIKE '%-%0' ORDER BY action`).map((r) => r.action)

    t.equal((await runRetention(db.sql, { days: null, auditDays: null })).auditRows, null, 'unset: not pruned')
    t.same(await kept(), ['old-500', 'old-800', 'recent-300'])
    t.equal((await runRetention(db.sql, { days: null, auditDays: 730 })).auditRows, 1, 'one row past 730 days')
    t.same(await kept(), ['old-500', 'recent-300'])

    // The door in the trigger opens only for a cutoff a year or more back, and only with the setting.
    const prune = (cutoff: string) => db.sql.begin(async (tx) => {
      await tx`SELECT set_config('glucose.audit_prune_before', ${cutoff}, true)`
      await tx`DELETE FROM audit_log WHERE subject_user_id = ${user.id}`
    })
    await t.rejects(db.sql`DELETE FROM audit_log WHERE subject_user_id = ${user.id}`, /append-only/, 'no setting: refused')
    await t.rejects(prune(new Date(Date.now() - 100 * 86_400_000).toISOString()), /append-only/, 'a cutoff 100 days back: refused')
    await t.rejects(prune(new Date(Date.now() - 400 * 86_400_000).toISOString()), /append-only/, 'a year back: the 300-day row blocks the statement')
    t.same(await kept(), ['old-500', 'recent-300'], 'nothing was deleted by the refused statements')
  })

  t.test('the job runs from its pg-boss queue, on an hourly cron schedule', async (t) => {
    const user = app.newUser()
    await user.request('PATCH', '/api/v1/me', { retentionDays: 5 })
    await seed(db, user.id, 15)
    const config = { ...app.config, databaseUrl: url, retentionDays: null }
    const boss = await startBoss(config, { supervise: true }) // as a worker process starts it: scheduling on
    const worker = await startRetentionWorker({ config, boss, log: silentLog })
    t.teardown(async () => {
      await worker.stop()
      await boss.stop({ graceful: false })
    })
    const schedules = await boss.getSchedules(RETENTION_QUEUE)
    t.same(schedules.map((s) => s.cron), [RETENTION_CRON])
    t.ok((await snapshot(db, user.id, 5)).old > 0)
    await boss.send(RETENTION_QUEUE, {})
    await waitFor(async () => ((await snapshot(db, user.id, 5)).old === 0 ? true : undefined), 20_000, 'the queued retention run')
    const after = await snapshot(db, user.id, 5)
    t.ok(after.recent >= 5 * 24, `the last 5 days are kept (${after.recent} readings)`)
  })
})

async function chunkCount(db: Db): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'glucose_readings'`
  return row!.n
}
