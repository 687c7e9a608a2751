// The demo user: four weeks of a realistic CGM trace (src/simulators/realistic-trace.ts, the provider simulators'
// own) ending now, the trace's meals logged with food names, and their glucose responses computed — written
// through the same functions the API uses (storeReadings, createMeal, computeMealResponses), so the web view, the
// charts and the insights show what a real account would. Re-running tops the data up to now; nothing doubles.
import type { Db } from '../db/connect.js'
import { storeReadings, type StoreResult } from '../glucose/store-readings.js'
import type { Trend } from '../glucose/trends.js'
import type { ReadingRow } from '../glucose/validate-readings.js'
import { computeMealResponses } from '../analytics/meal-response.js'
import { createMeal } from '../meals/meals.js'
import { createTrace, DAY_MS, MINUTE_MS, type TraceMeal } from '../simulators/realistic-trace.js'
import { ensureUser, isKnownTimezone, updateUserSettings } from '../users/users.js'

/** A fixed id, so `npm run demo` finds the same user again and its token stays valid across runs. */
export const DEMO_USER_ID = '0000de70-0000-4000-8000-000000000001'
export const DEMO_DAYS = 28
const SEED = 'demo'

// Names by meal and carbohydrate tier (the trace's carbs per meal): the bigger portions get the starchier dishes,
// so a food's responses cluster the way a real person's do and the insights have problem foods to find.
const MENU: Record<TraceMeal['kind'], Array<[maxCarbs: number, name: string]>> = {
  breakfast: [[40, 'Greek yogurt with berries'], [50, 'Oatmeal with banana'], [Infinity, 'White toast with jam']],
  lunch: [[53, 'Chicken salad with bread'], [67, 'Burrito bowl'], [Infinity, 'Pasta bolognese']],
  snack: [[22, 'Apple'], [Infinity, 'Chocolate bar']],
  dinner: [[63, 'Salmon, potatoes and greens'], [77, 'Chicken curry with rice'], [Infinity, 'Pizza margherita']],
}

export const mealName = (meal: TraceMeal): string => MENU[meal.kind].find(([max]) => meal.carbs < max)![1]

/** Dexcom's trend bands (mg/dL per minute), the canonical trend names (src/glucose/trends.ts). */
function trendOf(rate: number): Trend {
  if (rate > 3) return 'doubleUp'
  if (rate > 2) return 'singleUp'
  if (rate > 1) return 'fortyFiveUp'
  if (rate >= -1) return 'flat'
  if (rate >= -2) return 'fortyFiveDown'
  if (rate >= -3) return 'singleDown'
  return 'doubleDown'
}

/** Minutes east of UTC of `timezone` at `at` (the trace places meals at local mealtimes with one fixed offset). */
function utcOffsetMinutes(timezone: string, at: number): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
  }).formatToParts(new Date(at)).map((p) => [p.type, Number(p.value)]))
  const local = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!)
  return Math.round((local - Math.floor(at / MINUTE_MS) * MINUTE_MS) / MINUTE_MS)
}

export interface DemoOptions {
  userId?: string
  days?: number
  now?: number
  /** IANA zone for the user (default: this machine's, if PostgreSQL knows it, else UTC). */
  timezone?: string
}

export interface DemoResult {
  userId: string
  timezone: string
  readings: StoreResult
  mealsAdded: number
  responses: number
}

export async function seedDemo(db: Db, options: DemoOptions = {}): Promise<DemoResult> {
  const userId = options.userId ?? DEMO_USER_ID
  const now = options.now ?? Date.now()
  const from = now - (options.days ?? DEMO_DAYS) * DAY_MS
  const wanted = options.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone
  const timezone = wanted && (await isKnownTimezone(db.kysely, wanted)) ? wanted : 'UTC'
  await ensureUser(db.kysely, userId)
  await updateUserSettings(db.kysely, userId, { timezone })

  // Someone without diabetes who watches their meals: moderate rises (0.75 mg/dL per g of carbohydrate, so meals
  // score across the whole 0–100 range instead of all near 0), little drift, a rare low, and a small share of
  // missing readings (signal loss), as real sensors have. The simulators' default is an insulin-treated person.
  const trace = createTrace({
    seed: SEED, utcOffsetMinutes: utcOffsetMinutes(timezone, now), baselineMgdl: 95, carbSensitivity: 0.75, driftMgdl: 12, lowChancePerDay: 0.08, gapRate: 0.004,
  })
  const rows: ReadingRow[] = trace.points(from, now).map((p) => ({
    time: new Date(p.time), valueMgDl: p.mgdl, trend: trendOf(p.rate), trendRate: p.rate, recordId: null,
  }))
  const readings = await storeReadings(db.sql, userId, 'IMPORT', rows)

  // Meals are not idempotent on their own (a meal has no natural key): skip instants already logged.
  const logged = new Set((await db.sql<{ t: string }[]>`
    SELECT to_json(eaten_at) #>> '{}' AS t FROM meals WHERE user_id = ${userId} AND eaten_at >= ${new Date(from)}`).map((r) => Date.parse(r.t)))
  let mealsAdded = 0
  for (const meal of trace.meals(from, now)) {
    const eatenAt = Math.floor(meal.time / 1000) * 1000
    if (logged.has(eatenAt)) continue
    const name = mealName(meal)
    await createMeal(db.kysely, userId, { eatenAt: new Date(eatenAt).toISOString(), name, items: [{ name, carbs: meal.carbs }] })
    mealsAdded++
  }
  const responses = await computeMealResponses(db.sql, { userId, from: new Date(from) }, { onlyStale: true })
  return { userId, timezone, readings, mealsAdded, responses }
}
