// DELETE /api/v1/me: after it, no table of the database holds the user's id or the ids of their rows (the tables
// are listed from information_schema, so a table added later is walked too), another user's data is untouched,
// and the same token afterwards finds a new, empty account. On a database of its own, so the walk is complete.
import t from 'tap'
import type { Sql } from '../../src/db/connect.js'
import { startApp } from '../helpers.js'
import { privateDatabase, waitFor } from '../sync/support.js'
import { fillAccount } from './fixture.js'

// TimescaleDB's own catalogs name no user data; the chunks of hypertables (_timescaledb_internal) are walked.
const SKIPPED_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast', '_timescaledb_catalog', '_timescaledb_config', '_timescaledb_cache']

/** `schema.table.column` of every stored value (any text form: uuid, text, json, arrays) containing a needle. */
async function findEverywhere(sql: Sql, needles: string[]): Promise<{ hits: string[]; walked: number }> {
  const columns = await sql<{ schema: string; table: string; column: string }[]>`
    SELECT c.table_schema AS schema, c.table_name AS table, c.column_name AS column
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE t.table_type = 'BASE TABLE' AND c.table_schema <> ALL(${SKIPPED_SCHEMAS})
      AND c.data_type IN ('uuid', 'text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea', 'USER-DEFINED')
    ORDER BY 1, 2, 3`
  const hits: string[] = []
  for (const c of columns) {
    // Identifiers from information_schema, not input: safe to quote with sql().
    const [row] = await sql<{ found: boolean }[]>`
      SELECT EXISTS (
        SELECT 1 FROM ${sql(c.schema)}.${sql(c.table)} x
        WHERE EXISTS (SELECT 1 FROM unnest(${needles}::text[]) n WHERE strpos(lower(x.${sql(c.column)}::text), lower(n)) > 0)
      ) AS found`
    if (row!.found) hits.push(`${c.schema}.${c.table}.${c.column}`)
  }
  return { hits, walked: columns.length }
}

const tablesOf = (hits: string[]) => [...new Set(hits.map((h) => h.split('.').slice(0, 2).join('.')))].filter((t) => !t.startsWith('_timescaledb'))

t.test('DELETE /api/v1/me', async (t) => {
  const { url, db } = await privateDatabase(t)
  const app = await startApp(t, { databaseUrl: url })
  const alice = await fillAccount(app, app.newUser(), { readings: 3000, tag: 'alice' })
  const bob = await fillAccount(app, app.newUser(), { readings: 500, tag: 'bob' })
  await alice.user.request('PATCH', '/api/v1/me', { timezone: 'Europe/Berlin', retentionDays: 400 })
  const aliceNeedles = [alice.user.id, ...alice.ids]
  const bobNeedles = [bob.user.id, ...bob.ids]

  // Every table the fixture reaches holds Alice's ids before: the walk sees them (so its "nothing" below means it).
  const expected = ['public.users', 'public.glucose_readings', 'public.meals', 'public.meal_items', 'public.meal_glucose_responses',
    'public.detected_meals', 'public.consents', 'public.cgm_connections', 'public.sync_runs', 'public.oauth_states',
    'public.alert_settings', 'public.alerts', 'public.webhooks', 'public.webhook_deliveries', 'public.live_events',
    'public.nightscout_upload_sites', 'pgboss.job']
  // The audit log (migration 0022, append-only: its rows go only with their user's erasure) is written after each
  // response, in batches: wait for Alice's entries, so the erasure is shown to get through its trigger.
  const [audit] = await db.sql<{ exists: boolean }[]>`SELECT to_regclass('public.audit_log') IS NOT NULL AS exists`
  if (audit!.exists) {
    expected.push('public.audit_log')
    await waitFor(async () => ((await db.sql`SELECT 1 FROM audit_log WHERE subject_user_id = ${alice.user.id} LIMIT 1`).length > 0 ? true : undefined),
      10_000, "Alice's audit entries")
  }
  const before = await findEverywhere(db.sql, aliceNeedles)
  t.ok(before.walked > 100, `walked ${before.walked} columns`)
  for (const table of expected) t.ok(tablesOf(before.hits).includes(table), `before: Alice's data is in ${table}`)
  const bobBefore = await findEverywhere(db.sql, bobNeedles)
  const bobCounts = await counts(db.sql, bob.user.id)

  const res = await alice.user.request('DELETE', '/api/v1/me')
  t.equal(res.status, 200)
  t.match(res.body.deleted, { readings: 3000, meals: 1, detectedMeals: 1, connections: 1, consents: 1, alerts: 1, webhooks: 1 })
  t.ok(res.body.deleted.jobs >= 2, `deleted ${res.body.deleted.jobs} pg-boss jobs (a sync and an analysis at least)`)

  const after = await findEverywhere(db.sql, aliceNeedles)
  t.same(after.hits, [], `no column of ${after.walked} holds Alice's id or the ids of her rows`)
  const bobAfter = await findEverywhere(db.sql, bobNeedles)
  t.same(bobBefore.hits.filter((h) => !bobAfter.hits.includes(h)), [], "Bob's data is where it was")
  t.same(await counts(db.sql, bob.user.id), bobCounts, "Bob's row counts are unchanged")
  t.equal((await bob.user.request('GET', '/api/v1/glucose/latest')).status, 200)

  t.test('the same token afterwards: a new, empty account, nothing of the old one', async (t) => {
    const me = await alice.user.request('GET', '/api/v1/me')
    t.equal(me.status, 200)
    t.same([me.body.id, me.body.timezone, me.body.retentionDays], [alice.user.id, 'UTC', null], 'default settings: the old ones are gone')
    t.same((await alice.user.request('GET', '/api/v1/meals')).body.meals, [])
    t.same((await alice.user.request('GET', '/api/v1/connections')).body.connections ?? [], [])
    const exported = await fetch(`${app.url}/api/v1/me/export`, { headers: { authorization: `Bearer ${alice.user.token}` } })
    const doc = await exported.json() as { counts: Record<string, number> }
    t.same(Object.entries(doc.counts).filter(([name, n]) => name !== 'user' && n > 0), [], 'the export of the new account is empty')
    // Writing works (the account exists again), and only what is written now is there.
    const ingest = await alice.user.request('POST', '/api/v1/glucose/readings', { readings: [{ time: new Date().toISOString(), value: 111 }] })
    t.equal(ingest.status, 200)
    t.same(await counts(db.sql, alice.user.id), { readings: 1, meals: 0, connections: 0, webhooks: 0 })
  })

  t.test('deleting twice is harmless', async (t) => {
    const again = await alice.user.request('DELETE', '/api/v1/me')
    t.equal(again.status, 200)
    t.equal(again.body.deleted.readings, 1, 'the reading written since')
  })
})

async function counts(sql: Sql, userId: string) {
  const [row] = await sql<{ readings: number; meals: number; connections: number; webhooks: number }[]>`
    SELECT (SELECT count(*)::int FROM glucose_readings WHERE user_id = ${userId}) AS readings,
           (SELECT count(*)::int FROM meals WHERE user_id = ${userId}) AS meals,
           (SELECT count(*)::int FROM cgm_connections WHERE user_id = ${userId}) AS connections,
           (SELECT count(*)::int FROM webhooks WHERE user_id = ${userId}) AS webhooks`
  return row!
}
