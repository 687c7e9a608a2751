// Batch meal-response throughput: sql/meal-response.sql (one statement computes and upserts every meal of the scope)
// beside the same metrics computed in Node from pulled readings (src/analytics/meal-response-in-node.ts, pull +
// compute + upsert), for (1) one user-year: 365 days × 288 readings, 3 meals a day; (2) 1,000 users over a shorter
// span each (BENCH_MEAL_USER_DAYS, default 3: a year for each would be 105 M readings, hours of seeding here).
// Both paths write meal_glucose_responses, so both pay for the upsert. Best of BENCH_MEAL_ROUNDS (2) per path;
// the two paths' results are compared meal by meal before any figure is trusted.
// Knobs: BENCH_MEAL_YEAR_DAYS (365), BENCH_MEAL_USERS (1000), BENCH_MEAL_USER_DAYS (3), BENCH_MEAL_ROUNDS (2).
import { loadavg } from 'node:os'
import { computeMealResponses } from '../../src/analytics/meal-response.js'
import { responseInNode, type NodeResponse, type WindowReading } from '../../src/analytics/meal-response-in-node.js'
import type { Sql } from '../../src/db/connect.js'
import { table } from '../lib/table.js'
import { round, timed } from '../lib/timing.js'
import { benchUserIds, createUsers } from '../lib/users.js'
import type { BenchSection, SectionContext } from './section.js'

const TARGET_MEALS_PER_SEC = 20_000
const TARGET_RATIO = 5
const START = Date.parse('2024-01-01T00:00:00.000Z')
const MIN = 60_000

/**
 * Readings every 5 min for `days` days per user: a daily rhythm, a rise after each of 3 meals (07:30, 12:30, 19:00,
 * peak 45 min after), a slow wave and ±3 mg/dL noise; the meals themselves. Seeded (setseed) so runs compare.
 */
async function seed(sql: Sql, users: string[], days: number): Promise<string[]> {
  await createUsers(sql, users)
  await sql`SELECT setseed(0.42)`
  await sql`
    INSERT INTO glucose_readings (user_id, time, source, value)
    SELECT u, ${new Date(START)}::timestamptz + i * interval '5 minutes', 'DEXCOM',
           round(105 + 12 * sin(i / 45.8) + 6 * sin(i / 7.3)
             + (SELECT coalesce(sum(55 * (d / 9.0) * exp(1 - d / 9.0)), 0)
                FROM (VALUES (90), (150), (228)) m (slot), LATERAL (SELECT (i % 288) - m.slot AS d) x WHERE x.d BETWEEN 0 AND 48)
             + (random() * 6 - 3))::smallint
    FROM unnest(${users}::uuid[]) u, generate_series(0, ${days * 288 - 1}) i`
  const rows = await sql<{ id: string }[]>`
    INSERT INTO meals (user_id, eaten_at, name)
    SELECT u, ${new Date(START)}::timestamptz + d * interval '1 day' + m.minute * interval '1 minute', m.name
    FROM unnest(${users}::uuid[]) u, generate_series(0, ${days - 1}) d,
         (VALUES (450, 'Breakfast'), (750, 'Lunch'), (1140, 'Dinner')) m (minute, name)
    RETURNING id`
  await sql`ANALYZE glucose_readings`
  await sql`ANALYZE meals`
  return rows.map((r) => r.id)
}

/** The Node path for some users: pull their readings and meals, compute each meal, upsert the results. */
async function nodePath(sql: Sql, users: string[], days: number, priority: string[]): Promise<Map<string, NodeResponse | undefined>> {
  const out = new Map<string, NodeResponse | undefined>()
  const from = new Date(START - 60 * MIN)
  const to = new Date(START + days * 86_400_000 + 240 * MIN)
  for (let c = 0; c < users.length; c += 100) {
    const chunk = users.slice(c, c + 100)
    const readings = await sql<{ user_id: string; source: string; time: Date; value: number }[]>`
      SELECT user_id, source, time, value FROM glucose_readings
      WHERE user_id = ANY(${chunk}::uuid[]) AND time BETWEEN ${from} AND ${to} ORDER BY user_id, time`
    const meals = await sql<{ id: string; user_id: string; eaten_at: Date }[]>`
      SELECT id, user_id, eaten_at FROM meals WHERE user_id = ANY(${chunk}::uuid[]) ORDER BY user_id, eaten_at`
    type Reading = (typeof readings)[number]
    const byUser = new Map<string, Reading[]>()
    for (const r of readings) (byUser.get(r.user_id) ?? byUser.set(r.user_id, []).get(r.user_id)!).push(r)
    const rows = []
    let first = 0 // meals are in time order per user: the window's first reading only moves forward
    let user = ''
    for (const meal of meals) {
      const own = byUser.get(meal.user_id) ?? []
      if (meal.user_id !== user) [user, first] = [meal.user_id, 0]
      const t0 = meal.eaten_at.getTime()
      while (first < own.length && own[first]!.time.getTime() < t0 - 60 * MIN) first++
      const window: WindowReading[] = []
      for (let i = first; i < own.length && own[i]!.time.getTime() <= t0 + 240 * MIN; i++) {
        window.push({ source: own[i]!.source, t: (own[i]!.time.getTime() - t0) / MIN, g: own[i]!.value })
      }
      const r = responseInNode(window, priority)
      out.set(meal.id, r)
      rows.push({
        meal_id: meal.id, user_id: meal.user_id, baseline_mg_dl: r?.baseline ?? null, peak_mg_dl: r?.peak ?? null,
        peak_rise_mg_dl: r ? r.peak - r.baseline : null, time_to_peak_min: r?.timeToPeak ?? null, return_to_baseline_min: r?.back ?? null,
        iauc_2h: r?.iauc2h ?? null, iauc_3h: r?.iauc3h ?? null, coverage_pct: r?.coveragePct ?? 0, largest_gap_min: r?.largestGap ?? null,
        score: r?.score ?? null, flags: r?.flags ?? [], no_response_reason: r ? null : 'no data', series_source: r?.source ?? null,
      })
    }
    for (let i = 0; i < rows.length; i += 2000) {
      await sql`
        INSERT INTO meal_glucose_responses ${sql(rows.slice(i, i + 2000))}
        ON CONFLICT (meal_id) DO UPDATE SET (computed_at, baseline_mg_dl, peak_mg_dl, peak_rise_mg_dl, time_to_peak_min,
          return_to_baseline_min, iauc_2h, iauc_3h, coverage_pct, largest_gap_min, score, flags, no_response_reason, series_source) =
          (now(), EXCLUDED.baseline_mg_dl, EXCLUDED.peak_mg_dl, EXCLUDED.peak_rise_mg_dl, EXCLUDED.time_to_peak_min,
           EXCLUDED.return_to_baseline_min, EXCLUDED.iauc_2h, EXCLUDED.iauc_3h, EXCLUDED.coverage_pct, EXCLUDED.largest_gap_min,
           EXCLUDED.score, EXCLUDED.flags, EXCLUDED.no_response_reason, EXCLUDED.series_source)`
    }
  }
  return out
}

/**
 * Meals whose SQL and Node results differ: iAUC 2 h beyond float4 precision, flags, or the score by more than 1 (a
 * score is rounded from a float8 sum in both paths; at an exact .5 the last bit of summation order can tip it).
 */
async function disagreements(sql: Sql, ids: string[], node: Map<string, NodeResponse | undefined>): Promise<string[]> {
  const stored = await sql<{ meal_id: string; iauc_2h: number | null; score: number | null; flags: string[] }[]>`
    SELECT meal_id, iauc_2h, score, flags FROM meal_glucose_responses WHERE meal_id = ANY(${ids}::uuid[])`
  return stored.filter((s) => {
    const n = node.get(s.meal_id)
    if (!n) return s.iauc_2h !== null
    return s.iauc_2h === null || Math.abs(s.iauc_2h - n.iauc2h) > 0.1 + 1e-5 * n.iauc2h || Math.abs(s.score! - n.score) > 1 || s.flags.join() !== n.flags.join()
  }).map((s) => `${s.meal_id}: SQL ${JSON.stringify(s)}, Node ${JSON.stringify(node.get(s.meal_id))}`)
}

async function measure(sql: Sql, label: string, users: string[], days: number, rounds: number, priority: string[]) {
  const seeded = await timed(() => seed(sql, users, days))
  const ids = seeded.value
  const best = { sql: Infinity, node: Infinity }
  let node = new Map<string, NodeResponse | undefined>()
  for (let r = 0; r < rounds; r++) {
    const s = await timed(() => computeMealResponses(sql, { mealIds: ids }, { onlyStale: false }))
    if (s.value !== ids.length) throw new Error(`${label}: the SQL path wrote ${s.value} responses for ${ids.length} meals`)
    best.sql = Math.min(best.sql, s.ms)
    const n = await timed(() => nodePath(sql, users, days, priority))
    best.node = Math.min(best.node, n.ms)
    node = n.value
  }
  await computeMealResponses(sql, { mealIds: ids }, { onlyStale: false }) // SQL results back in the table
  const differ = await disagreements(sql, ids, node)
  await sql`DELETE FROM users WHERE id = ANY(${users}::uuid[])` // their readings, meals and responses go with them
  if (differ.length > 0) throw new Error(`${label}: SQL and Node disagree on ${differ.length} of ${ids.length} meals, e.g. ${differ[0]}`)
  return {
    users: users.length, days, meals: ids.length, readings: users.length * days * 288, seedMs: round(seeded.ms, 0),
    sqlMs: round(best.sql, 1), sqlMealsPerSec: Math.round((ids.length / best.sql) * 1000),
    nodeMs: round(best.node, 1), nodeMealsPerSec: Math.round((ids.length / best.node) * 1000),
    ratio: round(best.node / best.sql, 2), disagreements: differ.length,
  }
}

async function run({ sql, env }: SectionContext) {
  const loadBefore = loadavg()[0]!
  const rounds = Number(env.BENCH_MEAL_ROUNDS ?? 2)
  const [row] = await sql<{ priority: string[] }[]>`SELECT series_source_priority()::text[] AS priority`
  const priority = row!.priority
  const year = await measure(sql, 'user-year', benchUserIds(1), Number(env.BENCH_MEAL_YEAR_DAYS ?? 365), rounds, priority!)
  const many = await measure(sql, '1,000 users', benchUserIds(Number(env.BENCH_MEAL_USERS ?? 1000)), Number(env.BENCH_MEAL_USER_DAYS ?? 3), rounds, priority!)
  const loadAfter = loadavg()[0]!
  const figures = { userYear: year, users: many, loadAverage: { before: round(loadBefore), after: round(loadAfter) } }
  const targets = [year, many].flatMap((f, i) => {
    const name = i === 0 ? 'meal responses, user-year' : `meal responses, ${f.users} users`
    return [
      { name: `${name}: SQL meals/s`, value: f.sqlMealsPerSec, target: `>= ${TARGET_MEALS_PER_SEC}`, pass: f.sqlMealsPerSec >= TARGET_MEALS_PER_SEC },
      { name: `${name}: SQL / Node`, value: f.ratio, target: `>= ${TARGET_RATIO}`, pass: f.ratio >= TARGET_RATIO },
    ]
  })
  const rows = [year, many].map((f, i) => [
    i === 0 ? `1 user × ${f.days} d` : `${f.users} users × ${f.days} d`, f.meals, f.sqlMealsPerSec, f.nodeMealsPerSec, f.ratio, f.disagreements,
  ])
  const text = `Meal responses (best of ${rounds}; load average ${round(loadBefore)} → ${round(loadAfter)})\n`
    + table(['scope', 'meals', 'SQL meals/s', 'Node meals/s', 'SQL / Node', 'differ'], rows)
  return { figures, targets, table: text }
}

export const mealResponsesSection: BenchSection = { name: 'meal-responses', run }
