// Meal glucose responses: computed in SQL (sql/meal-response.sql holds every definition and its source), stored in
// meal_glucose_responses, read back here. This module only chooses which meals to compute and shapes the result.
import { readFile } from 'node:fs/promises'
import type { Sql } from '../db/connect.js'

const QUERY_FILE = new URL('../../sql/meal-response.sql', import.meta.url)
let queryText: Promise<string> | undefined
// Read once per process, on first use (not at import, so a missing file fails the call that needs it, loudly).
const query = () => (queryText ??= readFile(QUERY_FILE, 'utf8'))

export interface MealScope {
  mealIds?: string[] | undefined
  userId?: string | undefined
  from?: Date | undefined // eaten_at >= from
  to?: Date | undefined // eaten_at < to
}

/**
 * Computes the responses of the meals in `scope` (an empty scope is every meal: the operator batch) in one
 * statement and upserts them. `onlyStale`: write only responses that are missing or whose inputs changed (the
 * input digest differs: late, revised or deleted readings, a moved meal, new definitions); GET and the sync engine
 * use this, an explicit recompute rewrites all. Deciding staleness needs the same readings as computing, so the
 * statement computes and then skips unchanged rows. Returns the number of responses written.
 */
export async function computeMealResponses(sql: Sql, scope: MealScope, options: { onlyStale: boolean }): Promise<number> {
  const text = await query()
  const ids = scope.mealIds ?? null
  const userId = scope.userId ?? null
  const from = scope.from ?? null
  const to = scope.to ?? null
  const rows = await sql.begin(async (tx) => {
    // No JIT for this statement: the planner overestimates its rows and would compile hundreds of functions first
    // (measured on a user-year with the earlier form: 4.0 s of JIT in a 4.85 s statement).
    await tx`SET LOCAL jit = off`
    // A fresh plan each time: it depends on the values read below (which chunks to scan), and postgres.js prepares
    // statements, so after five runs on a connection PostgreSQL could switch to a generic plan without them.
    await tx`SET LOCAL plan_cache_mode = force_custom_plan`
    // Which users and time span the meals cover, as values the statement's planner can see (see `series` in the
    // SQL). As text: a JS Date would drop the microseconds and miss a meal at the edge.
    const [span] = await tx<{ users: string | null; first: string | null; last: string | null }[]>`
      SELECT array_agg(DISTINCT user_id)::text AS users, min(eaten_at)::text AS first, max(eaten_at)::text AS last
      FROM meals
      WHERE (${ids}::uuid[] IS NULL OR id = ANY (${ids}::uuid[]))
        AND (${userId}::uuid IS NULL OR user_id = ${userId}::uuid)
        AND (${from}::timestamptz IS NULL OR eaten_at >= ${from}::timestamptz)
        AND (${to}::timestamptz IS NULL OR eaten_at < ${to}::timestamptz)`
    if (!span?.users) return []
    // sql.unsafe only because the text comes from our own file; every value travels as a bind parameter.
    return tx.unsafe(text, [ids, userId, from, to, options.onlyStale, span.users, span.first, span.last] as never[])
  })
  return rows.length
}

export interface MealResponse {
  mealId: string
  eatenAt: string
  computedAt: string
  /** Null when there is a response; otherwise why there is none (then every metric is null). */
  noResponseReason: string | null
  /** The one reading source the metrics were computed from (see glucose_series_source). */
  source: string | null
  baselineMgDl: number | null
  peakMgDl: number | null
  peakRiseMgDl: number | null
  timeToPeakMin: number | null
  returnToBaselineMin: number | null
  iauc2hMgDlMin: number | null
  iauc3hMgDlMin: number | null
  coveragePct: number
  largestGapMin: number | null
  score: number | null
  flags: string[]
}

/** The meal's response, computed first when missing or stale. Undefined when the meal is not this user's. */
export async function getMealResponse(sql: Sql, userId: string, mealId: string): Promise<MealResponse | undefined> {
  await computeMealResponses(sql, { mealIds: [mealId], userId }, { onlyStale: true })
  const [row] = await sql<StoredRow[]>`
    SELECT r.*, m.eaten_at
    FROM meal_glucose_responses r JOIN meals m ON m.id = r.meal_id
    WHERE r.meal_id = ${mealId} AND m.user_id = ${userId}`
  return row && toResponse(row)
}

/** Recomputes every meal of the user eaten in [from, to), stale or not. */
export async function recomputeMealResponses(sql: Sql, userId: string, from: Date, to: Date): Promise<number> {
  return computeMealResponses(sql, { userId, from, to }, { onlyStale: false })
}

interface StoredRow {
  meal_id: string
  eaten_at: Date
  computed_at: Date
  baseline_mg_dl: number | null
  peak_mg_dl: number | null
  peak_rise_mg_dl: number | null
  time_to_peak_min: number | null
  return_to_baseline_min: number | null
  iauc_2h: number | null
  iauc_3h: number | null
  coverage_pct: number | null
  largest_gap_min: number | null
  score: number | null
  flags: string[]
  no_response_reason: string | null
  series_source: string | null
}

// One decimal: a CGM reading is itself within about ±10 % of blood glucose, further digits would be noise. The
// columns are real (float4), whose last digits are binary noise anyway.
const round1 = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10)

function toResponse(row: StoredRow): MealResponse {
  return {
    mealId: row.meal_id,
    eatenAt: row.eaten_at.toISOString(),
    computedAt: row.computed_at.toISOString(),
    noResponseReason: row.no_response_reason,
    source: row.series_source,
    baselineMgDl: round1(row.baseline_mg_dl),
    peakMgDl: round1(row.peak_mg_dl),
    peakRiseMgDl: round1(row.peak_rise_mg_dl),
    timeToPeakMin: round1(row.time_to_peak_min),
    returnToBaselineMin: round1(row.return_to_baseline_min),
    iauc2hMgDlMin: round1(row.iauc_2h),
    iauc3hMgDlMin: round1(row.iauc_3h),
    coveragePct: round1(row.coverage_pct) ?? 0,
    largestGapMin: round1(row.largest_gap_min),
    score: row.score,
    flags: row.flags,
  }
}
