// Migrations on the Apache edition (the one these machines run), each on a database of its own made for the test.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { connect, type Db } from '../../src/db/connect.js'
import { listMigrations, migrate, MIGRATIONS_DIR, timescaleLicense } from '../../src/db/migrate.js'
import { TYPED_COLUMNS } from '../../src/db/schema.js'
import { freshDatabase as freshDb, testConfig } from '../helpers.js'

const freshDatabase = async (t: Test): Promise<Db> => (await freshDb(t, 'glucose_migrate')).db

t.test('an empty database migrates on the Apache edition to the full relation set', async (t) => {
  const db = await freshDatabase(t)
  const first = await migrate(db.sql)
  t.equal(first.edition, 'apache')
  // The edition is decided by this value ('timescale' = full); it once read as undefined, which sent every server,
  // the full edition too, down the Apache path.
  t.equal(await timescaleLicense(db.sql), 'apache', 'the server\'s license setting is read')
  t.same(first.applied, (await listMigrations()).map((m) => m.id))
  t.same(first.applied.slice(0, 3), ['0001_timescaledb', '0002_users', '0003_glucose_readings'])

  const [hypertable] = await db.sql`SELECT hypertable_name, num_dimensions FROM timescaledb_information.hypertables`
  t.match(hypertable, { hypertable_name: 'glucose_readings', num_dimensions: 1 })
  // Same relation names as the full edition's continuous aggregates, here as plain views with the same columns.
  const views = await db.sql<{ table_name: string; columns: string[] }[]>`
    SELECT c.table_name, array_agg(c.column_name::text ORDER BY c.ordinal_position) AS columns
    FROM information_schema.columns c JOIN information_schema.views v USING (table_schema, table_name)
    WHERE c.table_schema = 'public' GROUP BY c.table_name ORDER BY c.table_name`
  // Per source, with everything that sums (migrations/0018_glucose_rollups_summable.*.sql).
  const rollup = ['user_id', 'source', 'bucket', 'readings', 'mean_mg_dl', 'min_mg_dl', 'max_mg_dl', 'sum_mg_dl', 'sum_sq_mg_dl',
    'readings_very_low', 'readings_low', 'readings_in_range', 'readings_high', 'readings_very_high', 'slots_5min', 'risk_low_sum', 'risk_high_sum']
  t.same(views, [{ table_name: 'glucose_daily', columns: rollup }, { table_name: 'glucose_hourly', columns: rollup }])
  const analystViews = await db.sql`SELECT table_name FROM information_schema.views WHERE table_schema = 'analyst' ORDER BY 1`
  t.same(analystViews.map((r) => r.table_name), ['glucose_daily', 'glucose_hourly', 'glucose_readings', 'meal_responses'])
  const tables = await db.sql<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`
  t.same(tables.map((r) => r.table_name), [
    'alert_settings', 'alerts', 'audit_log', 'cgm_connections', 'consents', 'detected_meals', 'glucose_readings', 'live_events', 'meal_glucose_responses',
    'meal_items', 'meals', 'nightscout_upload_sites', 'oauth_states', 'schema_migrations', 'sync_runs', 'users', 'webhook_deliveries', 'webhooks',
  ])
  const recorded = await db.sql`SELECT DISTINCT edition FROM schema_migrations`
  t.same(recorded, [{ edition: 'apache' }])

  const again = await migrate(db.sql)
  t.same(again.applied, [], 'a second run applies nothing')
})

t.test('the rollup views compute hourly means from readings', async (t) => {
  const db = await freshDatabase(t)
  await migrate(db.sql)
  const user = '00000000-0000-4000-8000-000000000001'
  await db.sql`INSERT INTO users (id) VALUES (${user})`
  await db.sql`INSERT INTO glucose_readings (time, user_id, source, value)
    VALUES ('2025-01-01T10:05Z', ${user}, 'DEXCOM', 100), ('2025-01-01T10:35Z', ${user}, 'DEXCOM', 130),
           ('2025-01-01T11:00Z', ${user}, 'DEXCOM', 90)`
  const hourly = await db.sql`SELECT bucket, readings::int, mean_mg_dl, min_mg_dl, max_mg_dl FROM glucose_hourly ORDER BY bucket`
  t.same(hourly.map((r) => ({ ...r, bucket: r.bucket.toISOString() })), [
    { bucket: '2025-01-01T10:00:00.000Z', readings: 2, mean_mg_dl: 115, min_mg_dl: 100, max_mg_dl: 130 },
    { bucket: '2025-01-01T11:00:00.000Z', readings: 1, mean_mg_dl: 90, min_mg_dl: 90, max_mg_dl: 90 },
  ])
})

t.test('an applied migration that changed is refused; a half edition pair is refused', async (t) => {
  const db = await freshDatabase(t)
  const dir = await mkdtemp(join(tmpdir(), 'migrations-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await cp(MIGRATIONS_DIR, dir, { recursive: true })
  await migrate(db.sql, dir)
  await writeFile(join(dir, '0002_users.sql'), '-- edited after the fact\nSELECT 1;\n')
  await t.rejects(migrate(db.sql, dir), /migrations\/0002_users.sql changed after it was applied/)

  await rm(join(dir, '0008_readings_compression.apache.sql'))
  await t.rejects(listMigrations(dir), /migration 0008_readings_compression: needs both/)
  await writeFile(join(dir, 'notes.txt'), '')
  await t.rejects(listMigrations(dir), /notes.txt: name must be NNNN_name.sql/)
})

t.test('a failing migration names its file and leaves nothing half applied', async (t) => {
  const db = await freshDatabase(t)
  const dir = await mkdtemp(join(tmpdir(), 'migrations-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await cp(MIGRATIONS_DIR, dir, { recursive: true })
  await writeFile(join(dir, '9999_broken.sql'), 'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n')
  await t.rejects(migrate(db.sql, dir), /migrations\/9999_broken.sql failed: function no_such_function\(\) does not exist/)
  const [row] = await db.sql`SELECT to_regclass('half_done') AS half, (SELECT count(*)::int FROM pg_tables WHERE tablename = 'users') AS users`
  t.same(row, { half: null, users: 0 }, 'the whole run rolled back')
})

t.test('the Kysely table types match the migrated columns', async (t) => {
  const db = connect(testConfig().databaseUrl, { max: 1 })
  t.teardown(() => db.close())
  for (const [table, columns] of Object.entries(TYPED_COLUMNS)) {
    const rows = await db.sql<{ column_name: string }[]>`
      SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ${table}
      ORDER BY ordinal_position`
    t.same(rows.map((r) => r.column_name), columns, table)
  }
})
