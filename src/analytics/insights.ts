// Insights: which foods give this user the largest glucose responses. The data are the stored meal responses
// (sql/meal-response.sql, refreshed here when stale) pulled by one query (sql/insights.sql); the statistics are
// TypeScript (src/analytics/statistics.ts), which SQL should not do.
import { readFile } from 'node:fs/promises'
import { mean, median } from 'simple-statistics'
import type { Sql } from '../db/connect.js'
import { computeMealResponses } from './meal-response.js'
import { benjaminiHochberg, meanInterval, permutationPValue, slope, type MeanInterval } from './statistics.js'

/** Rules of the insights, in one place. */
export const INSIGHTS = {
  /** A food is tested as a problem food from 3 meals on (the issue), against at least 3 other meals. */
  minProblemMeals: 3,
  /** Benjamini–Hochberg false discovery rate across the user's tested foods. */
  falseDiscoveryRate: 0.05,
  /** Trend slopes are per 30 days. */
  slopeDays: 30,
} as const

export interface InsightMeal {
  id: string
  food: string
  name: string
  eatenAt: Date
  month: string
  iauc2h: number | null
  score: number | null
  flags: string[]
  noResponseReason: string | null
  carbsG: number | null
}

/**
 * A meal counts when it has a response whose 2 h area is complete: no response (no baseline, no data after the
 * meal) has nothing to count, and a 'truncated_2h' area stops early and would pull a food's mean down.
 */
const usable = (m: InsightMeal) => m.noResponseReason === null && m.iauc2h !== null && m.score !== null && !m.flags.includes('truncated_2h')

const r1 = (v: number) => Math.round(v * 10) / 10
const interval = (i: MeanInterval) => ({
  n: i.n, mean: r1(i.mean), sd: i.sd === null ? null : r1(i.sd), ci95: i.ci95 && ([r1(i.ci95[0]), r1(i.ci95[1])] as [number, number]),
})
const p4 = (p: number) => Number(p.toPrecision(4))

/**
 * Personal glycemic index of a set of meals: 100 × mean(iAUC 2 h / carbohydrate g) of those meals relative to the
 * user's own median iAUC per gram over all their meals. The ISO 26642 glycemic index divides a food's iAUC by a
 * reference food's at equal carbohydrate; here the reference is the user's typical meal per gram, so 100 = a
 * typical response per gram for this user, 150 = half again as much. Meals without carbohydrate stated (or 0 g)
 * have no per-gram response: excluded, and counted.
 */
function perGram(meals: InsightMeal[]) {
  const withCarbs = meals.filter((m) => m.carbsG !== null && m.carbsG > 0)
  return { ratios: withCarbs.map((m) => m.iauc2h! / m.carbsG!), mealsWithoutCarbs: meals.length - withCarbs.length }
}

/** The insights of one user's meals (oldest first). Pure: the tests feed it hand-computed numbers. */
export function buildInsights(all: InsightMeal[]) {
  const meals = all.filter(usable)
  const reference = perGram(meals)
  const referenceMedian = reference.ratios.length ? median(reference.ratios) : null
  const byFood = new Map<string, InsightMeal[]>()
  for (const m of all) byFood.set(m.food, [...(byFood.get(m.food) ?? []), m])

  const foods = [...byFood].map(([food, list]) => {
    const ok = list.filter(usable)
    const own = perGram(ok)
    const others = meals.filter((m) => m.food !== food).map((m) => m.iauc2h!)
    const tested = ok.length >= INSIGHTS.minProblemMeals && others.length >= INSIGHTS.minProblemMeals
    return {
      food,
      name: list.at(-1)!.name, // the latest spelling the user used
      meals: list.length,
      responses: ok.length,
      iauc2h: ok.length ? interval(meanInterval(ok.map((m) => m.iauc2h!))) : null,
      score: ok.length ? interval(meanInterval(ok.map((m) => m.score!))) : null,
      problem: tested
        ? { pValue: permutationPValue(ok.map((m) => m.iauc2h!), others, food), adjustedP: 1, meanAboveOthers: r1(mean(ok.map((m) => m.iauc2h!)) - mean(others)), isProblem: false }
        : null,
      personalGlycemicIndex: own.ratios.length && referenceMedian
        ? { value: r1((100 * mean(own.ratios)) / referenceMedian), n: own.ratios.length, mealsWithoutCarbs: own.mealsWithoutCarbs }
        : null,
    }
  })
  // Multiple comparisons: every tested food of the user is one family, adjusted together.
  const tested = foods.filter((f) => f.problem)
  benjaminiHochberg(tested.map((f) => f.problem!.pValue)).forEach((adjusted, i) => {
    const problem = tested[i]!.problem!
    problem.adjustedP = p4(adjusted)
    problem.pValue = p4(problem.pValue)
    problem.isProblem = adjusted <= INSIGHTS.falseDiscoveryRate && problem.meanAboveOthers > 0
  })
  foods.sort((a, b) => b.responses - a.responses || a.food.localeCompare(b.food))

  return {
    meals: all.length,
    responses: meals.length,
    excluded: { noResponse: all.filter((m) => m.noResponseReason !== null).length, truncated2h: all.filter((m) => m.noResponseReason === null && !usable(m)).length },
    typical: meals.length
      ? { n: meals.length, medianIauc2h: r1(median(meals.map((m) => m.iauc2h!))), meanIauc2h: r1(mean(meals.map((m) => m.iauc2h!))), meanScore: r1(mean(meals.map((m) => m.score!))) }
      : null,
    personalGlycemicIndexReference: {
      medianIaucPerGram: referenceMedian === null ? null : r1(referenceMedian), n: reference.ratios.length, mealsWithoutCarbs: reference.mealsWithoutCarbs,
    },
    foods,
    problemFoods: foods.filter((f) => f.problem?.isProblem).map((f) => f.food),
    trends: trends(meals),
  }
}

/** Mean response per calendar month (user's time zone) with n, and least-squares slopes per 30 days. */
function trends(meals: InsightMeal[]) {
  const months = new Map<string, InsightMeal[]>()
  for (const m of meals) months.set(m.month, [...(months.get(m.month) ?? []), m])
  const first = meals[0]?.eatenAt.getTime() ?? 0
  const x = (m: InsightMeal) => (m.eatenAt.getTime() - first) / (INSIGHTS.slopeDays * 86_400_000)
  const rounded = (v: number | null) => (v === null ? null : r1(v))
  return {
    monthly: [...months].map(([month, list]) => ({
      month, n: list.length, meanIauc2h: r1(mean(list.map((m) => m.iauc2h!))), meanScore: r1(mean(list.map((m) => m.score!))),
    })),
    n: meals.length,
    iauc2hSlopePer30Days: rounded(slope(meals.map((m) => [x(m), m.iauc2h!]))),
    scoreSlopePer30Days: rounded(slope(meals.map((m) => [x(m), m.score!]))),
  }
}

export type Insights = ReturnType<typeof buildInsights>

const QUERY_FILE = new URL('../../sql/insights.sql', import.meta.url)
let queryText: Promise<string> | undefined
const query = () => (queryText ??= readFile(QUERY_FILE, 'utf8'))

/** The user's insights over meals eaten in [from, to); stale or missing responses are computed first. */
export async function glucoseInsights(sql: Sql, userId: string, from: Date, to: Date): Promise<Insights> {
  await computeMealResponses(sql, { userId, from, to }, { onlyStale: true })
  // sql.unsafe only because the text comes from our own file; every value travels as a bind parameter.
  const rows = await sql.unsafe(await query(), [userId, from, to] as never[])
  return buildInsights(rows.map((r) => ({
    id: r.id, food: r.food, name: r.name, eatenAt: r.eaten_at, month: r.month,
    iauc2h: r.iauc_2h, score: r.score, flags: r.flags, noResponseReason: r.no_response_reason, carbsG: r.carbs_g,
  })))
}
