// sync_runs: one row per sync that held its connection's lock, for operators (rates, outcomes, durations) and for
// the tests that prove two workers never sync one connection at the same time.
import type { Sql } from '../db/connect.js'
import { countSyncRun } from '../metrics/registry.js'
import type { SyncOutcome } from './next-sync.js'

/** Who started a sync: the user's button (manual) or a worker's job (`worker` names the process, for operators). */
export type SyncTrigger = { kind: 'manual' } | { kind: 'scheduled'; worker: string }

// Long enough for "what happened this week"; the connection keeps its own last success and last error for ever.
export const SYNC_RUNS_KEPT_DAYS = 7

// Namespace of the per-connection advisory locks (any constant unique within this database's advisory locks).
const SYNC_LOCK_NAMESPACE = 7_411_903

/**
 * Takes the connection's sync lock (session-level, on `sql`: a reserved connection the whole sync runs on) and logs
 * the run's start, in one round trip. Null when another sync holds the lock: nothing is logged then.
 */
export async function lockAndStartRun(sql: Sql, connection: { id: string; provider: string }, trigger: SyncTrigger): Promise<string | null> {
  try {
    const [row] = await sql<{ runId: string | null }[]>`
      WITH lock AS (SELECT pg_try_advisory_lock(${SYNC_LOCK_NAMESPACE}, hashtext(${connection.id})) AS locked),
      run AS (
        INSERT INTO sync_runs (connection_id, provider, trigger, worker)
        SELECT ${connection.id}, ${connection.provider}, ${trigger.kind}, ${trigger.kind === 'scheduled' ? trigger.worker : null}
        FROM lock WHERE locked
        RETURNING id
      )
      SELECT (SELECT id::text FROM run) AS "runId"`
    return row!.runId
  } catch (error) {
    // A session lock outlives a failed statement: release it, or this pooled connection would keep it for good.
    await unlockConnection(sql, connection.id).catch(() => {})
    throw error
  }
}

export async function unlockConnection(sql: Sql, connectionId: string): Promise<void> {
  await sql`SELECT pg_advisory_unlock(${SYNC_LOCK_NAMESPACE}, hashtext(${connectionId}))`
}

export async function finishRun(sql: Sql, runId: string, outcome: SyncOutcome, readingsStored: number, error: string | null): Promise<void> {
  const [run] = await sql<{ provider: string; seconds: number }[]>`
    UPDATE sync_runs SET finished_at = clock_timestamp(), outcome = ${outcome}, readings_stored = ${readingsStored},
      error = ${error === null ? null : error.slice(0, 500)}
    WHERE id = ${runId}
    RETURNING provider, extract(epoch FROM finished_at - started_at)::float8 AS seconds`
  if (run) countSyncRun(run.provider, outcome, run.seconds) // the database's clock, as for GET /admin/sync
}

export async function pruneRuns(sql: Sql): Promise<number> {
  const rows = await sql`DELETE FROM sync_runs WHERE started_at < now() - make_interval(days => ${SYNC_RUNS_KEPT_DAYS})`
  return rows.count
}
