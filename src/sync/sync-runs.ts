// sync_runs: one row per sync that held its connection's lock, for operators (rates, outcomes, durations) and for
// the tests that prove two workers never sync one connection at the same time.
import type { Sql } from '../db/connect.js'
import type { SyncOutcome } from './next-sync.js'

/** Who started a sync: the user's button (manual) or a worker's job (`worker` names the process, for operators). */
export type SyncTrigger = { kind: 'manual' } | { kind: 'scheduled'; worker: string }

// Long enough for "what happened this week"; the connection keeps its own last success and last error for ever.
export const SYNC_RUNS_KEPT_DAYS = 7

export async function startRun(sql: Sql, connection: { id: string; provider: string }, trigger: SyncTrigger): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO sync_runs (connection_id, provider, trigger, worker)
    VALUES (${connection.id}, ${connection.provider}, ${trigger.kind}, ${trigger.kind === 'scheduled' ? trigger.worker : null})
    RETURNING id::text`
  return row!.id
}

export async function finishRun(sql: Sql, runId: string, outcome: SyncOutcome, readingsStored: number, error: string | null): Promise<void> {
  await sql`
    UPDATE sync_runs SET finished_at = clock_timestamp(), outcome = ${outcome}, readings_stored = ${readingsStored},
      error = ${error === null ? null : error.slice(0, 500)}
    WHERE id = ${runId}`
}

export async function pruneRuns(sql: Sql): Promise<number> {
  const rows = await sql`DELETE FROM sync_runs WHERE started_at < now() - make_interval(days => ${SYNC_RUNS_KEPT_DAYS})`
  return rows.count
}
