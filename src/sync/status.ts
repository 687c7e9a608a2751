// What operators see of the sync engine (GET /api/v1/admin/sync and the workers' tick log): queue depths, sync
// outcomes and durations per provider, connections by state, and the connections failing the longest.
import type { PgBoss } from 'pg-boss'
import type { Sql } from '../db/connect.js'
import { ANALYSIS_QUEUE, SYNC_QUEUE } from './queues.js'

export interface QueueDepth {
  name: string
  queued: number
  active: number
  deferred: number
  failed: number
}

export interface RunFigures {
  provider: string
  outcome: string
  runs: number
  readingsStored: number
  p50Ms: number | null
  p99Ms: number | null
}

export async function syncStatus(sql: Sql, boss: PgBoss, window: { minutes: number }) {
  const [queues, runs] = await Promise.all([queueDepths(boss), runFigures(sql, window.minutes)])
  return { queues, runs }
}

export async function queueDepths(boss: PgBoss): Promise<QueueDepth[]> {
  const queues = await boss.getQueues([SYNC_QUEUE, ANALYSIS_QUEUE])
  return queues.map((q) => ({ name: q.name, queued: q.queuedCount, active: q.activeCount, deferred: q.deferredCount, failed: q.failedCount }))
}

/** Runs finished in the last `minutes`, per provider and outcome, with their durations. */
export async function runFigures(sql: Sql, minutes: number): Promise<RunFigures[]> {
  return sql<RunFigures[]>`
    SELECT provider, outcome, count(*)::int AS runs, coalesce(sum(readings_stored), 0)::int AS "readingsStored",
           round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000))::int AS "p50Ms",
           round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000))::int AS "p99Ms"
    FROM sync_runs
    WHERE finished_at > now() - make_interval(mins => ${minutes})
    GROUP BY provider, outcome ORDER BY provider, outcome`
}

export interface FailingConnection {
  id: string
  userId: string
  provider: string
  status: string
  consecutiveFailures: number
  lastError: string | null
  lastSuccessAt: Date | null
  nextSyncAt: Date | null
}

export async function connectionFigures(sql: Sql) {
  const [byState, failing, unfinished] = await Promise.all([
    sql<{ provider: string; status: string; connections: number; due: number; scheduled: number }[]>`
      SELECT provider, status, count(*)::int AS connections,
             count(*) FILTER (WHERE next_sync_at <= now())::int AS due,
             count(*) FILTER (WHERE next_sync_at IS NOT NULL)::int AS scheduled
      FROM cgm_connections GROUP BY provider, status ORDER BY provider, status`,
    // Ids and states only: the operator can find the user; errors are our own messages, never provider payloads.
    sql<FailingConnection[]>`
      SELECT id, user_id AS "userId", provider, status, consecutive_failures AS "consecutiveFailures", last_error AS "lastError",
             last_success_at AS "lastSuccessAt", next_sync_at AS "nextSyncAt"
      FROM cgm_connections WHERE consecutive_failures > 0
      ORDER BY consecutive_failures DESC, last_success_at NULLS FIRST LIMIT 20`,
    // A run that never finished is a worker that died mid-sync (its job is retried after the heartbeat timeout).
    sql<{ n: number }[]>`SELECT count(*)::int AS n FROM sync_runs WHERE finished_at IS NULL AND started_at < now() - interval '15 minutes'`,
  ])
  return { byState, failing, unfinishedRuns: unfinished[0]!.n }
}
