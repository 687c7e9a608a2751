// The read-only `analyst` role (migrations/0019_analyst_role.sql): as that role (SET LOCAL ROLE; the test
// user is a superuser), the analyst views answer with pseudonymous keys, and nothing else is readable.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { connect, type Tx } from '../../src/db/connect.js'
import { testConfig } from '../helpers.js'

const db = connect(testConfig().databaseUrl, { max: 2 })
t.teardown(() => db.close())

const asAnalyst = <T>(fn: (tx: Tx) => Promise<T>) =>
  db.sql.begin(async (tx) => {
    await tx`SET LOCAL ROLE analyst`
    return fn(tx)
  }) as Promise<T>

t.test('a NOLOGIN role reading only the analyst schema', async (t) => {
  const [role] = await db.sql`SELECT rolcanlogin, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = 'analyst'`
  t.same(role, { rolcanlogin: false, rolsuper: false, rolcreaterole: false })
  // Base data, the rollups outside the schema, credentials, tokens, consents and the pseudonym key: refused.
  // Qualified: for this role an unqualified glucose_readings is analyst.glucose_readings (search_path "$user").
  const refused = ['glucose_readings', 'users', 'cgm_connections', 'oauth_states', 'consents', 'meals', 'meal_items',
    'meal_glucose_responses', 'glucose_hourly', 'glucose_daily'].map((name) => `public.${name}`).concat('analyst_private.pseudonym_key')
  for (const relation of refused) {
    // the relation names are this list's literals, not input
    await t.rejects(asAnalyst((tx) => tx.unsafe(`SELECT 1 FROM ${relation} LIMIT 1`)), { code: '42501' }, `${relation} is refused`)
  }
  const [writes] = await db.sql`SELECT bool_or(has_table_privilege('analyst', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) AS any
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'analyst'`
  t.equal(writes!.any, false, 'read only')
  // What the schema offers, column by column: no user id, no notes, names, credentials or provider ids.
  const columns = await asAnalyst((tx) => tx<{ table_name: string; columns: string[] }[]>`
    SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position) AS columns
    FROM information_schema.columns WHERE table_schema = 'analyst' GROUP BY table_name ORDER BY table_name`)
  const rollup = ['user_key', 'source', 'bucket', 'readings', 'mean_mg_dl', 'min_mg_dl', 'max_mg_dl', 'sum_mg_dl', 'sum_sq_mg_dl',
    'readings_very_low', 'readings_low', 'readings_in_range', 'readings_high', 'readings_very_high', 'slots_5min', 'risk_low_sum', 'risk_high_sum']
  t.same([...columns], [
    { table_name: 'glucose_daily', columns: rollup },
    { table_name: 'glucose_hourly', columns: rollup },
    { table_name: 'glucose_readings', columns: ['user_key', 'source', 'time', 'local_time', 'value_mg_dl'] },
    { table_name: 'meal_responses', columns: ['user_key', 'food', 'iauc_2h', 'iauc_3h', 'score', 'peak_rise_mg_dl', 'no_response_reason'] },
  ])
})

t.test('the views show a keyed pseudonym, never the user id', async (t) => {
  const id = randomUUID()
  const random = (n: number) => Math.floor(Math.random() * n)
  const at = new Date(Date.UTC(2011 + random(10), 0, 1 + random(28), random(24))) // a January hour no other test uses
  await db.sql`INSERT INTO users (id, timezone) VALUES (${id}, 'Europe/Berlin')`
  t.teardown(() => db.sql`DELETE FROM users WHERE id = ${id}`)
  await db.sql`INSERT INTO glucose_readings (time, user_id, source, value) VALUES (${at}, ${id}, 'DEXCOM', 123)`
  // A food name no one else logs: the view shows a food only once 3 people have logged it, across the database.
  const food = `toast ${randomUUID()}`
  const [meal] = await db.sql`INSERT INTO meals (user_id, eaten_at, name, notes) VALUES (${id}, ${at}, ${food}, 'secret note') RETURNING id`
  await db.sql`INSERT INTO meal_glucose_responses (meal_id, user_id, iauc_2h, score) VALUES (${meal!.id}, ${id}, 777.5, 42)`

  const day = new Date(Math.floor(at.getTime() / 86_400_000) * 86_400_000)
  const seen = await asAnalyst(async (tx) => {
    const readings = [...await tx`SELECT * FROM analyst.glucose_readings WHERE time = ${at}`]
    const key = readings[0]?.user_key ?? ''
    return {
      readings,
      hourly: [...await tx`SELECT * FROM analyst.glucose_hourly WHERE bucket = ${at} AND user_key = ${key}`],
      daily: [...await tx`SELECT * FROM analyst.glucose_daily WHERE bucket = ${day} AND user_key = ${key}`],
      meals: [...await tx`SELECT * FROM analyst.meal_responses WHERE user_key = ${key}`],
    }
  })
  t.match(seen.readings, [{ source: 'DEXCOM', value_mg_dl: 123 }])
  // Berlin is UTC+1 in winter: the local clock time of the reading
  t.equal(seen.readings[0]!.local_time.toISOString(), new Date(at.getTime() + 3600_000).toISOString())
  t.match(seen.hourly, [{ readings: '1', sum_mg_dl: '123' }])
  const key = seen.readings[0]!.user_key
  t.match(key, /^[0-9a-f]{64}$/)
  t.same([seen.hourly.length, seen.daily.length, seen.meals.length], [1, 1, 1], 'one stable key across views')
  t.match(seen.meals, [{ iauc_2h: 777.5, score: 42, food: null }], 'a food fewer than 3 people logged is not shown')
  t.notOk(JSON.stringify(seen).includes(id), 'the user id appears nowhere')
  t.notOk(JSON.stringify(seen).includes('secret note'), 'notes are not exposed')
  // Not a plain hash of the id either: without the per-database key nobody can recompute it from a known id.
  const [plain] = await db.sql`SELECT encode(sha256(convert_to(${id}::text, 'UTF8')), 'hex') AS sha, md5(${id}::text) AS md5`
  t.not(key, plain!.sha)
  t.not(key, plain!.md5)
})
