// What the workers do with each job. A sync job runs syncConnection and completes whatever the provider answered:
// provider failures are the connection's state, and its next_sync_at carries their backoff (src/sync/next-sync.ts).
// Only a crash (our bug, the database gone) fails the job, so pg-boss retries it.
import type { PgBoss } from 'pg-boss'
import type { FastifyBaseLogger } from 'fastify'
import { detectMeals } from '../analytics/detect-meals.js'
import { computeMealResponses } from '../analytics/meal-response.js'
import type { Sql } from '../db/connect.js'
import type { AnalysisBatcher } from './analysis-batcher.js'
import { mealResponsesChanged } from '../live/changes.js'
import { ProviderError } from '../providers/provider.js'
import { SyncRefused, syncConnection, type SyncDeps } from '../providers/sync-connection.js'
import { ANALYSIS_QUEUE, analysisJobData, type AnalysisJobData, type ChangedSpan, type SyncJobData } from './queues.js'

export type SyncJobOutcome =
  | { outcome: 'ok'; inserted: number; updated: number }
  | { outcome: 'gone' | 'busy' | 'reauth_required' | 'unknown_provider' }
  | { outcome: 'provider_error'; kind: string }

export async function runSyncJob(deps: SyncDeps & { analysis: AnalysisBatcher; worker: string }, data: SyncJobData): Promise<SyncJobOutcome> {
  try {
    const result = await syncConnection(deps, data.userId, data.connectionId, { kind: 'scheduled', worker: deps.worker })
    if (!result) return { outcome: 'gone' } // disconnected since it was enqueued
    if (result.changed) await deps.analysis.enqueue(result.changed)
    return { outcome: 'ok', inserted: result.readings.inserted, updated: result.readings.updated }
  } catch (error) {
    if (error instanceof SyncRefused) {
      // busy: the sync holding the lock sets the next time itself. The others need the user: stop scheduling.
      if (error.reason !== 'busy') await stopScheduling(deps.sql, data.connectionId)
      return { outcome: error.reason }
    }
    if (error instanceof ProviderError) return { outcome: 'provider_error', kind: error.kind }
    throw error
  }
}

/**
 * Readings in [from, to] changed: recompute what they feed. A meal's response reads [eaten_at − 30 min,
 * eaten_at + 3 h] (sql/meal-response.sql), so the meals eaten from 3 h before `from` to 30 min after `to`; only
 * stale responses are rewritten (their input digest changed). A detected rise is judged on the readings up to 3 h
 * after its onset (DETECTION.peakSearchMin in src/analytics/detect-meals.ts), so onsets from 3 h before `from`.
 */
export async function runAnalysisJob(sql: Sql, data: AnalysisJobData): Promise<{ responses: number; detected: number; newDetectedMeals: number }> {
  const from = new Date(Date.parse(data.from) - 3 * 3_600_000)
  const to = new Date(Date.parse(data.to) + 30 * 60_000 + 1)
  // The database's clock, as computed_at is: the responses written from here on are the ones the event lists. And
  // whether any meal was eaten in the span: most spans (a sync's newest 5 minutes) touch none, and then the
  // meal-response statement, which computes only for meals in the span and is planned afresh at each call (~30 ms
  // of PostgreSQL CPU, measured in the sync-scale bench), would write nothing.
  const [state] = await sql<{ since: Date; meals: boolean }[]>`
    SELECT now() AS since,
           EXISTS (SELECT 1 FROM meals WHERE user_id = ${data.userId} AND eaten_at >= ${from} AND eaten_at < ${to}) AS meals`
  const responses = state!.meals ? await computeMealResponses(sql, { userId: data.userId, from, to }, { onlyStale: true }) : 0
  if (responses > 0) await mealResponsesChanged(sql, data.userId, state!.since)
  const detection = await detectMeals(sql, data.userId, from, new Date(Date.parse(data.to) + 1))
  return { responses, detected: detection.detected, newDetectedMeals: detection.inserted }
}

export async function enqueueAnalysis(boss: PgBoss, changed: ChangedSpan): Promise<void> {
  await boss.send(ANALYSIS_QUEUE, analysisJobData(changed))
}

async function stopScheduling(sql: Sql, connectionId: string): Promise<void> {
  await sql`UPDATE cgm_connections SET next_sync_at = NULL WHERE id = ${connectionId}`
}

export function logJobFailure(log: FastifyBaseLogger, queue: string, error: unknown): void {
  // Messages only: a crash's stack is for the service log, and no job data (user ids aside) is logged.
  log.error({ queue, err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) }, 'job failed; pg-boss will retry it')
}
