// Each chart from the same domain functions its JSON endpoint calls (one computation, two outputs):
//   agp.svg            ← glucoseReport()         as GET /api/v1/glucose/report
//   trend.svg          ← readReadings(), listMeals() as GET /api/v1/glucose/readings and GET /api/v1/meals
//   meal-response.svg  ← getMealResponse()       as GET /api/v1/glucose/meal-response/:mealId
// plus the user's settings (unit, time zone). Every read is scoped to the caller.
import { glucoseReport } from '../analytics/glucose-report.js'
import { getMealResponse } from '../analytics/meal-response.js'
import type { Db } from '../db/connect.js'
import { readReadings } from '../glucose/read-readings.js'
import { getMeal, listMeals } from '../meals/meals.js'
import { getUserSettings, type UserSettings } from '../users/users.js'
import { renderAgp } from './agp.js'
import { READ_MARGIN_MIN, renderMealResponse, WINDOW_AFTER_MIN } from './meal-response.js'
import type { Size } from './svg.js'
import { renderTrend, type TrendReading } from './trend.js'

// More meals than a 31-day trend can hold (listMeals' own default is 100).
const MAX_TREND_MEALS = 2000

async function settings(db: Db, userId: string): Promise<UserSettings> {
  // The row exists: authentication created it. Defaults only if it was deleted mid-request.
  return (await getUserSettings(db.kysely, userId)) ?? { id: userId, timezone: 'UTC', preferredUnit: 'mg/dL' }
}

/** Readings in [from, to) in mg/dL, as GET /glucose/readings returns them (the charts position in mg/dL). */
async function readingsMgDl(db: Db, userId: string, from: Date, to: Date): Promise<TrendReading[]> {
  const { json } = await readReadings(db.sql, { userId, from, to, unit: 'mg/dL' })
  return JSON.parse(json) as TrendReading[]
}

export async function agpChart(db: Db, userId: string, from: Date, to: Date, size: Size): Promise<string> {
  const [user, report] = await Promise.all([settings(db, userId), glucoseReport(db.sql, userId, from, to)])
  return renderAgp({ report, unit: user.preferredUnit, timezone: user.timezone, size })
}

export async function trendChart(db: Db, userId: string, from: Date, to: Date, size: Size): Promise<string> {
  const [user, readings, meals] = await Promise.all([
    settings(db, userId),
    readingsMgDl(db, userId, from, to),
    listMeals(db.kysely, userId, { from: from.toISOString(), to: to.toISOString(), limit: MAX_TREND_MEALS }),
  ])
  return renderTrend({ from, to, readings, meals, unit: user.preferredUnit, timezone: user.timezone, size })
}

/** The meal's chart, or undefined when the meal is not this user's. */
export async function mealResponseChart(db: Db, userId: string, mealId: string, size: Size): Promise<string | undefined> {
  const meal = await getMeal(db.kysely, userId, mealId)
  if (!meal) return undefined
  const response = await getMealResponse(db.sql, userId, mealId)
  if (!response) return undefined // deleted between the two reads
  const t0 = Date.parse(response.eatenAt)
  const window = await readingsMgDl(db, userId, new Date(t0 - READ_MARGIN_MIN * 60_000), new Date(t0 + (WINDOW_AFTER_MIN + READ_MARGIN_MIN) * 60_000 + 1))
  // The one series the response was computed from; with no response, the source with the most readings there.
  const counts = new Map<string, number>()
  for (const r of window) counts.set(r.source, (counts.get(r.source) ?? 0) + 1)
  const source = response.source ?? [...counts].sort((a, b) => b[1] - a[1])[0]?.[0]
  const points = window.filter((r) => r.source === source).map((r) => ({ t: (Date.parse(r.time) - t0) / 60_000, g: r.value }))
  const user = await settings(db, userId)
  return renderMealResponse({ mealName: meal.name, response, points, unit: user.preferredUnit, timezone: user.timezone, size })
}
