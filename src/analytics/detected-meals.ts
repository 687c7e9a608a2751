// Detected meal events (migrations/0016_detected_meals.sql): reconciling a detection run with what is stored, and
// what the user does with an event (list, confirm into a meal, dismiss). Detection itself: detect-meals.ts.
import type { Sql } from '../db/connect.js'
import { DETECTION, type DetectedRise } from './detect-meals.js'

export interface ReconcileCounts {
  inserted: number
  updated: number
  /** Pending events that a logged meal now explains: marked 'explained', no longer asked about. */
  explained: number
  /** Pending events whose rise is no longer there (revised or late readings): deleted. */
  removed: number
}

interface StoredEvent { id: string; onset_at: Date; status: string }
interface LoggedMeal { id: string; eaten_at: Date }

const MIN = 60_000

/** The logged meal that explains a rise with this onset, if any (window: DETECTION.explainBeforeMin/AfterMin). */
function explainer(meals: LoggedMeal[], onset: Date): LoggedMeal | undefined {
  const t = onset.getTime()
  return meals.find((m) => m.eaten_at.getTime() >= t - DETECTION.explainBeforeMin * MIN
    && m.eaten_at.getTime() <= t + DETECTION.explainAfterMin * MIN)
}

/**
 * Makes the stored events with onsets in [from, to) agree with `rises`, idempotently:
 * - a rise within DETECTION.sameEventMin of a stored event is that event: a pending one is updated in place (its id
 *   stays valid for a client that is asking about it), an answered one (confirmed, dismissed, explained) is left
 *   as the user or an earlier run left it — the user is never asked twice;
 * - a new rise is stored as pending, unless a logged meal explains it (then nothing is stored);
 * - a pending event that a logged meal now explains is marked 'explained' with that meal;
 * - a pending event no rise matches any more is deleted.
 * One transaction under a per-user advisory lock: two runs for one user (sync jobs overlapping) serialize instead
 * of both inserting the same new event.
 */
export async function storeDetectedMeals(sql: Sql, userId: string, from: Date, to: Date, rises: DetectedRise[]): Promise<ReconcileCounts> {
  const counts: ReconcileCounts = { inserted: 0, updated: 0, explained: 0, removed: 0 }
  if (rises.length === 0) {
    // Nothing found (the usual answer for a sync's newest minutes): all the reconciliation below would do is delete
    // the pending events inside the span, so it is one statement (1 round trip instead of 5) under the same lock,
    // taken by an uncorrelated subquery that runs once before any row is deleted. Answered events stay, as below.
    counts.removed = (await sql`
      DELETE FROM detected_meals
      WHERE (SELECT true FROM pg_advisory_xact_lock(hashtextextended(${`detect-meals:${userId}`}, 0)))
        AND user_id = ${userId} AND status = 'pending' AND onset_at >= ${from} AND onset_at < ${to}`).count
    return counts
  }
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`detect-meals:${userId}`}, 0))`
    // Events up to sameEventMin outside the span are matched too (an onset that moved across an edge of the span
    // between two runs is the same event), but only those inside it are deleted when nothing matches them.
    const margin = DETECTION.sameEventMin * MIN
    const stored = await tx<StoredEvent[]>`
      SELECT id, onset_at, status FROM detected_meals
      WHERE user_id = ${userId} AND onset_at >= ${new Date(from.getTime() - margin)} AND onset_at < ${new Date(to.getTime() + margin)}
      ORDER BY onset_at`
    const meals = await tx<LoggedMeal[]>`
      SELECT id, eaten_at FROM meals
      WHERE user_id = ${userId}
        AND eaten_at >= ${new Date(from.getTime() - DETECTION.explainBeforeMin * MIN)}
        AND eaten_at <= ${new Date(to.getTime() + DETECTION.explainAfterMin * MIN)}
      ORDER BY eaten_at`
    const matched = new Set<string>()
    for (const rise of rises) {
      const same = closest(stored.filter((e) => !matched.has(e.id)), rise.onsetAt)
      const meal = explainer(meals, rise.onsetAt)
      if (same) matched.add(same.id)
      if (same && same.status !== 'pending') continue
      if (same && meal) {
        await tx`UPDATE detected_meals SET status = 'explained', meal_id = ${meal.id}, answered_at = now() WHERE id = ${same.id}`
        counts.explained++
      } else if (same) {
        await tx`UPDATE detected_meals SET ${tx(columns(rise))}, detected_at = now() WHERE id = ${same.id}`
        counts.updated++
      } else if (!meal) {
        await tx`INSERT INTO detected_meals ${tx({ user_id: userId, ...columns(rise) })}`
        counts.inserted++
      }
    }
    const inside = (e: StoredEvent) => e.onset_at >= from && e.onset_at < to
    const gone = stored.filter((e) => e.status === 'pending' && !matched.has(e.id) && inside(e)).map((e) => e.id)
    if (gone.length) counts.removed = (await tx`DELETE FROM detected_meals WHERE id = ANY(${gone}::uuid[])`).count
  })
  return counts
}

function closest(events: StoredEvent[], onset: Date): StoredEvent | undefined {
  let best: StoredEvent | undefined
  for (const e of events) {
    const d = Math.abs(e.onset_at.getTime() - onset.getTime())
    if (d <= DETECTION.sameEventMin * MIN && (!best || d < Math.abs(best.onset_at.getTime() - onset.getTime()))) best = e
  }
  return best
}

const columns = (r: DetectedRise) => ({
  onset_at: r.onsetAt, peak_at: r.peakAt, onset_mg_dl: r.onsetMgDl, peak_mg_dl: r.peakMgDl, rise_mg_dl: r.riseMgDl,
  max_rate_mg_dl_min: r.maxRateMgDlMin, confidence: r.confidence, series_source: r.source,
})

export const DETECTED_STATUSES = ['pending', 'confirmed', 'dismissed', 'explained'] as const
export type DetectedStatus = (typeof DETECTED_STATUSES)[number]

/** A stored event as the API shows it: the rise's numbers (rounded), ISO times, and what became of it. */
export interface DetectedMeal extends Omit<DetectedRise, 'onsetAt' | 'peakAt'> {
  id: string
  onsetAt: string
  /** Onset as HH:MM in the user's time zone: what a client puts in "did you eat around 13:10?". */
  onsetLocalTime: string
  peakAt: string
  status: DetectedStatus
  mealId: string | null
}

const round1 = (v: number) => Math.round(v * 10) / 10

/**
 * The user's events with onsets in [from, to), oldest first. A pending event that a meal logged since the last
 * detection run explains is not listed as pending (the next run marks it): the client never asks about a meal
 * the user has already logged.
 */
export async function listDetectedMeals(sql: Sql, userId: string, from: Date, to: Date, status: DetectedStatus | 'all'): Promise<DetectedMeal[]> {
  const rows = await sql`
    SELECT d.*, to_char(d.onset_at AT TIME ZONE u.timezone, 'HH24:MI') AS local_time,
           CASE WHEN d.status = 'pending' AND EXISTS (
             SELECT 1 FROM meals m WHERE m.user_id = d.user_id
               AND m.eaten_at BETWEEN d.onset_at - ${DETECTION.explainBeforeMin} * interval '1 minute'
                                  AND d.onset_at + ${DETECTION.explainAfterMin} * interval '1 minute')
             THEN 'explained' ELSE d.status END AS shown_status
    FROM detected_meals d JOIN users u ON u.id = d.user_id
    WHERE d.user_id = ${userId} AND d.onset_at >= ${from} AND d.onset_at < ${to}
    ORDER BY d.onset_at`
  return rows.filter((r) => status === 'all' || r.shown_status === status).map(toApi)
}

function toApi(r: Record<string, any>): DetectedMeal {
  return {
    id: r.id, onsetAt: r.onset_at.toISOString(), onsetLocalTime: r.local_time, peakAt: r.peak_at.toISOString(),
    onsetMgDl: round1(r.onset_mg_dl), peakMgDl: round1(r.peak_mg_dl), riseMgDl: round1(r.rise_mg_dl),
    maxRateMgDlMin: Math.round(r.max_rate_mg_dl_min * 100) / 100, confidence: Math.round(r.confidence * 100) / 100,
    source: r.series_source, status: r.shown_status ?? r.status, mealId: r.meal_id,
  }
}

export type AnswerResult = { event: DetectedMeal } | { conflict: string } | undefined

/**
 * The user says yes: a meal with source 'detected' is logged at the onset (or at `eatenAt` when the user knows
 * better) and the event points to it. Its source_record_id is the event id, so confirming twice cannot log two
 * meals (unique index meals_user_source_record). Undefined when the event is not this user's.
 */
export async function confirmDetectedMeal(sql: Sql, userId: string, id: string, input: { name?: string | undefined; eatenAt?: string | undefined }): Promise<AnswerResult> {
  return sql.begin(async (tx) => {
    const [event] = await tx`SELECT * FROM detected_meals WHERE id = ${id} AND user_id = ${userId} FOR UPDATE`
    if (!event) return undefined
    if (event.status === 'dismissed') return { conflict: 'this detected meal was dismissed; log a meal instead' }
    if (event.status === 'pending') {
      const [meal] = await tx`
        INSERT INTO meals (user_id, eaten_at, name, source, source_record_id)
        VALUES (${userId}, ${input.eatenAt ? new Date(input.eatenAt) : event.onset_at}, ${input.name ?? 'Detected meal'}, 'detected', ${id})
        RETURNING id`
      await tx`UPDATE detected_meals SET status = 'confirmed', meal_id = ${meal!.id}, answered_at = now() WHERE id = ${id}`
    }
    return { event: (await answered(tx as unknown as Sql, userId, id))! }
  })
}

/** The user says no: the event is kept as dismissed so re-detection does not ask again. */
export async function dismissDetectedMeal(sql: Sql, userId: string, id: string): Promise<AnswerResult> {
  const [event] = await sql`
    UPDATE detected_meals SET status = 'dismissed', answered_at = now()
    WHERE id = ${id} AND user_id = ${userId} AND status IN ('pending', 'dismissed') RETURNING id`
  if (event) return { event: (await answered(sql, userId, id))! }
  const [other] = await sql`SELECT status FROM detected_meals WHERE id = ${id} AND user_id = ${userId}`
  return other && { conflict: `this detected meal is ${other.status} already; delete its meal instead` }
}

async function answered(sql: Sql, userId: string, id: string): Promise<DetectedMeal | undefined> {
  const [row] = await sql`
    SELECT d.*, to_char(d.onset_at AT TIME ZONE u.timezone, 'HH24:MI') AS local_time
    FROM detected_meals d JOIN users u ON u.id = d.user_id WHERE d.id = ${id} AND d.user_id = ${userId}`
  return row && toApi(row)
}
