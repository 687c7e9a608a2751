// The analysts' queries (sql/analyst-*.sql), run as the `analyst` role on small fixtures with hand-checked numbers.
// The analyst views see every user of the test database, so the fixtures sit on a random day of 2001–2010, which no
// other test uses, the foods carry a random suffix, and the fixture users are deleted at the end.
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { connect } from '../../src/db/connect.js'
import { testConfig } from '../helpers.js'

const db = connect(testConfig().databaseUrl, { max: 2 })
const created: string[] = []
t.teardown(async () => {
  await db.sql`DELETE FROM users WHERE id = ANY(${created}::uuid[])` // readings and meals go with them
  await db.close()
})

/** Runs sql/<name>.sql with `params` as the analyst role (SET LOCAL: only inside this transaction). */
async function asAnalyst(name: string, params: unknown[]): Promise<any[]> {
  const text = await readFile(new URL(`../../sql/${name}.sql`, import.meta.url), 'utf8')
  return db.sql.begin(async (tx) => {
    await tx`SET LOCAL ROLE analyst`
    return [...(await tx.unsafe(text, params as never[]))]
  }) as Promise<any[]>
}

const FROM = new Date(Date.UTC(2001, 0, 1 + Math.floor(Math.random() * 3650))).toISOString()
const TO = new Date(Date.parse(FROM) + 2 * 3600_000).toISOString() // 2 hours: 24 five-minute slots
// [source, value(i) for the i-th 5-minute reading from FROM, count]
type Series = [string, (i: number) => number, number]

async function user(series: Series[], timezone = 'UTC'): Promise<string> {
  const id = randomUUID()
  created.push(id)
  await db.sql`INSERT INTO users (id, timezone) VALUES (${id}, ${timezone})`
  for (const [source, value, count] of series) {
    const rows = Array.from({ length: count }, (_, i) => ({
      time: new Date(Date.parse(FROM) + i * 300_000), user_id: id, source, value: value(i),
    }))
    await db.sql`INSERT INTO glucose_readings ${db.sql(rows)}`
  }
  return id
}

// A: 18 in range (90, 100, 110 repeating), then 6 at 200: TIR 75 %, coverage 100 %.
// B: DEXCOM 12 readings (TIR 50 %) and NIGHTSCOUT 24 readings of 300: NIGHTSCOUT is B's series (24 > 12), TIR 0 %.
// C: LIBRE 24 × 120, TIR 100 %, in Kolkata (UTC+5:30). D: 6 readings of 50: coverage 25 %.
t.before(async () => {
  await user([['DEXCOM', (i) => (i < 18 ? 90 + (i % 3) * 10 : 200), 24]])
  await user([['DEXCOM', (i) => (i < 6 ? 100 : 60), 12], ['NIGHTSCOUT', () => 300, 24]])
  await user([['LIBRE', () => 120, 24]], 'Asia/Kolkata')
  await user([['DEXCOM', () => 50, 6]])
})

t.test('population TIR: one series per user, users under the coverage minimum left out', async (t) => {
  const [row] = await asAnalyst('analyst-population-tir', [FROM, TO, 70])
  // A 75, B 0 (its NIGHTSCOUT series, not DEXCOM's 50), C 100; D has 6 of 24 slots (25 %) and is left out.
  // mean (75 + 0 + 100) / 3 = 58.33; percentile_cont over [0, 75, 100] at position q·2:
  // p10 = 0.2·75 = 15, p25 = 0.5·75 = 37.5, p50 = 75, p75 = 75 + 0.5·25 = 87.5, p90 = 75 + 0.8·25 = 95
  t.equal(row.users, 3)
  t.equal(Math.round(row.mean_tir_pct * 100) / 100, 58.33)
  t.same(row.tir_pct_p10_p25_p50_p75_p90, [15, 37.5, 75, 87.5, 95])
  t.equal(Math.round(row.pct_users_tir_over_70 * 10) / 10, 66.7, 'A and C meet TIR > 70 %')
  const [all] = await asAnalyst('analyst-population-tir', [FROM, TO, 0])
  t.equal(all.users, 4, 'with no coverage minimum D counts too (TIR 0: all 50 mg/dL)')
})

t.test('population AGP in each user\'s local time; one user by key', async (t) => {
  const bins = await asAnalyst('analyst-agp', [FROM, TO, null])
  // 00:00 local holds A (90, 100, 110), B's series (300 × 3) and D (50 × 3); C's 00:00 UTC is 05:30 in Kolkata.
  // sorted [50 50 50 90 100 110 300 300 300], position q·8: p5 = 50, p25 = 50, p50 = 100, p75 = 300, p95 = 300
  t.same(bins[0], { minute_of_day: 0, n: 9, users: 3, p5_p25_p50_p75_p95: [50, 50, 100, 300, 300] })
  t.same(bins.map((b) => b.minute_of_day), [0, 15, 30, 45, 60, 75, 90, 105, 330, 345, 360, 375, 390, 405, 420, 435])
  const c = bins.find((b) => b.minute_of_day === 330)
  t.same(c, { minute_of_day: 330, n: 3, users: 1, p5_p25_p50_p75_p95: [120, 120, 120, 120, 120] })

  // one person: A's key, computed here with the database's pseudonym key (the analyst role cannot read it)
  const [key] = await db.sql`
    SELECT user_pseudonym(r.user_id, k.key) AS user_key FROM glucose_readings r CROSS JOIN analyst_private.pseudonym_key k
    WHERE r.time = ${FROM} AND r.value = 90 LIMIT 1`
  const a = await asAnalyst('analyst-agp', [FROM, TO, key!.user_key])
  // A's 01:30 bin: 01:30, 01:35, 01:40 are readings 18–20, all 200
  t.equal(a.length, 8)
  t.same(a[0], { minute_of_day: 0, n: 3, users: 1, p5_p25_p50_p75_p95: [91, 95, 100, 105, 109] })
  t.same(a[6], { minute_of_day: 90, n: 3, users: 1, p5_p25_p50_p75_p95: [200, 200, 200, 200, 200] })
})

t.test('food ranking: per food_key, rare names hidden, too few meals left out', async (t) => {
  const tag = randomUUID().slice(0, 8)
  const people = [randomUUID(), randomUUID(), randomUUID()]
  created.push(...people)
  for (const id of people) await db.sql`INSERT INTO users (id) VALUES (${id})`
  // [person, meal name, 2 h iAUC, score]; names differ in case and spaces but share a food_key
  const meals: Array<[number, string, number | null, number | null]> = [
    [0, `Oats ${tag}`, 1000, 80], [0, ` oats  ${tag}`, 2000, 60], [1, `OATS ${tag}`, 3000, 40], [2, `oats ${tag}`, 1500, 70],
    [0, `Pizza ${tag}`, 4000, 20], [1, `pizza ${tag}`, 5000, 10], [2, `pizza ${tag}`, 6000, 5],
    [0, `Rice ${tag}`, 2500, 50], [1, `rice ${tag}`, 2600, 50], [2, `rice ${tag}`, null, null], // no response: 2 meals
    [0, `Secret ${tag}`, 100, 99], [0, `secret ${tag}`, 100, 99], [0, `secret ${tag}`, 100, 99], // one person only
  ]
  for (const [person, name, iauc, score] of meals) {
    const [meal] = await db.sql`INSERT INTO meals (user_id, eaten_at, name) VALUES (${people[person]!}, ${FROM}, ${name}) RETURNING id`
    await db.sql`INSERT INTO meal_glucose_responses (meal_id, user_id, iauc_2h, score, no_response_reason)
      VALUES (${meal!.id}, ${people[person]!}, ${iauc}, ${score}, ${iauc === null ? 'no readings' : null})`
  }
  const ranked = (await asAnalyst('analyst-food-ranking', [3])).filter((r) => r.food.endsWith(tag))
  // Oats: per person 1500, 3000, 1500 → 2000; per meal 7500 / 4 = 1875; scores per person 70, 40, 70 → 60,
  // per meal 250 / 4 = 62.5. Pizza: 5000 either way, scores 35 / 3 = 11.67. Rice: 2 meals < 3. Secret: hidden.
  t.same(ranked.map((r) => r.food), [`oats ${tag}`, `pizza ${tag}`])
  t.ok(Number(ranked[0].rank) < Number(ranked[1].rank), 'gentler response ranks first')
  t.match(ranked[0], { users: 3, meals: 4, mean_iauc_2h_per_user: 2000, mean_score_per_user: 60, mean_iauc_2h_per_meal: 1875, mean_score_per_meal: 62.5 })
  t.match(ranked[1], { users: 3, meals: 3, mean_iauc_2h_per_user: 5000, mean_iauc_2h_per_meal: 5000 })
  t.equal(Math.round(ranked[1].mean_score_per_meal * 100) / 100, 11.67)
  // the one-person food's rows are there, without their name
  const [key] = await db.sql`SELECT user_pseudonym(${people[0]!}, key) AS user_key FROM analyst_private.pseudonym_key`
  const secret = await db.sql.begin(async (tx) => {
    await tx`SET LOCAL ROLE analyst`
    return tx`SELECT food FROM analyst.meal_responses WHERE user_key = ${key!.user_key} AND score = 99`
  })
  t.same([...secret], [{ food: null }, { food: null }, { food: null }])
})
