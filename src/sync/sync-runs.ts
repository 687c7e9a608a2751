// sync_runs: one row per sync that held its connection's lock, for operators (rates, outcomes, durations) and for
// the tests that prove two workers never sync one connection at the same time.
import type { Sql } from '../db/connect.js'
import type { ConnectionForSync } from '../providers/connections.js'
import { countSyncRun } from '../metrics/registry.js'
import type { SyncOutcome } from './next-sync.js'

/** Who started a sync: the user's button (manual) or a worker's job (`worker` names the process, for operators). */
export type SyncTrigger = { kind: 'manual' } | { kind: 'scheduled'; worker: string }

// Long enough for "what happened this week"; the connection keeps its own last success and last error for ever.
export const SYNC_RUNS_KEPT_DAYS = 7

// Namespace of the per-connection advisory locks (any constant unique within this database's advisory locks).
const SYNC_LOCK_NAMESPACE = 7_411_903

/** Who the audit log names for a sync's use of the stored credentials: the worker, or the user's sync-now. */
export interface CredentialActor {
  actorKind: 'system' | 'user'
  actorId: string
}

export interface StartedRun {
  connection: ConnectionForSync
  /** Null: not started (another sync holds the lock, or the connection cannot sync: see `syncable`). */
  runId: string | null
  /** Known provider, not refused by it, credentials present: only then was the lock tried. */
  syncable: boolean
}

/**
 * The start of a sync in one round trip (it was three): reads the connection (this user's only), and when it can
 * sync takes its lock (session-level, on `sql`: a reserved connection the whole sync runs on), logs the run and the
 * audit log's `credentials.read` (src/audit/: the row insertAudit would write; the sync decrypts them next).
 * Undefined when the connection is not this user's. A refused or busy connection is neither locked nor logged.
 */
export async function startRun(
  sql: Sql, input: { userId: string; connectionId: string; providers: string[]; trigger: SyncTrigger; actor: CredentialActor },
): Promise<StartedRun | undefined> {
  const { userId, connectionId, providers, trigger, actor } = input
  try {
    const [row] = await sql<(ConnectionForSync & { runId: string | null; syncable: boolean })[]>`
      WITH c AS (
        SELECT id, user_id, provider, status, credentials_encrypted, sync_cursor, consecutive_failures,
               provider = ANY (${providers}::text[]) AND status <> 'reauth_required' AND credentials_encrypted IS NOT NULL AS syncable
        FROM cgm_connections WHERE id = ${connectionId} AND user_id = ${userId}
      ),
      -- Volatile, so evaluated once, and only for a connection that can sync.
      lock AS (SELECT pg_try_advisory_lock(${SYNC_LOCK_NAMESPACE}, hashtext(c.id::text)) AS locked FROM c WHERE c.syncable),
      run AS (
        INSERT INTO sync_runs (connection_id, provider, trigger, worker)
        SELECT c.id, c.provider, ${trigger.kind}, ${trigger.kind === 'scheduled' ? trigger.worker : null}
        FROM c, lock WHERE lock.locked
        RETURNING id
      ),
      audit AS (
        INSERT INTO audit_log (at, request_id, actor_kind, actor_id, subject_user_id, action)
        SELECT now(), 'sync-run:' || run.id, ${actor.actorKind}, ${actor.actorId}, c.user_id, left('credentials.read ' || c.provider, 200)
        FROM c, run
      )
      SELECT c.id, c.user_id AS "userId", c.provider, c.status, c.credentials_encrypted AS "credentialsEncrypted",
             c.sync_cursor AS "syncCursor", c.consecutive_failures AS "consecutiveFailures", c.syncable,
             (SELECT id::text FROM run) AS "runId"
      FROM c`
    if (!row) return undefined
    const { runId, syncable, ...connection } = row
    return { connection, runId, syncable }
  } catch (error) {
    // A session lock outlives a failed statement: release it, or this pooled connection would keep it for good.
    await unlockConnection(sql, connectionId).catch(() => {})
    throw error
  }
}

export async function unlockConnection(sql: Sql, connectionId: string): Promise<void> {
  // ::uuid::text: the lock is taken on the stored id's text, whatever case the caller spelled it in.
  await sql`SELECT pg_advisory_unlock(${SYNC_LOCK_NAMESPACE}, hashtext(${connectionId}::uuid::text))`
}

/** How a sync ended, for its connection row: the next time it is due, and on failure the error to show. */
export type SyncEnd =
  | { outcome: 'ok'; lastReadingAt: Date | null; nextSyncAt: Date | null }
  | { outcome: Exclude<SyncOutcome, 'ok'>; status: 'reauth_required' | 'error' | null; message: string; nextSyncAt: Date | null }

/**
 * The end of a sync in one statement (it was two): the connection's state and the run's row. On success the status
 * is active, the error cleared and lastReadingAt kept if newer; on failure `status` null keeps the current status (a
 * transient failure: the next sync may well succeed), and `nextSyncAt` null stops scheduling until the user
 * reconnects.
 */
export async function endRun(sql: Sql, connectionId: string, runId: string, end: SyncEnd, readingsStored: number): Promise<void> {
  const error = end.outcome === 'ok' ? null : end.message.slice(0, 500)
  const connectionUpdate = end.outcome === 'ok'
    ? sql`
      UPDATE cgm_connections
      SET status = 'active', last_sync_at = now(), last_success_at = now(), last_error = NULL, consecutive_failures = 0,
          last_reading_at = GREATEST(last_reading_at, ${end.lastReadingAt}::timestamptz), next_sync_at = ${end.nextSyncAt},
          updated_at = now()
      WHERE id = ${connectionId}`
    : sql`
      UPDATE cgm_connections
      SET status = COALESCE(${end.status}::text, status), last_sync_at = now(), last_error = ${error},
          consecutive_failures = consecutive_failures + 1, next_sync_at = ${end.nextSyncAt}, updated_at = now()
      WHERE id = ${connectionId}`
  const [run] = await sql<{ provider: string; seconds: number }[]>`
    WITH conn AS (${connectionUpdate})
    UPDATE sync_runs SET finished_at = clock_timestamp(), outcome = ${end.outcome}, readings_stored = ${readingsStored}, error = ${error}
    WHERE id = ${runId}
    RETURNING provider, extract(epoch FROM finished_at - started_at)::float8 AS seconds`
  if (run) countSyncRun(run.provider, end.outcome, run.seconds) // the database's clock, as for GET /admin/sync
}

export async function pruneRuns(sql: Sql): Promise<number> {
  const rows = await sql`DELETE FROM sync_runs WHERE started_at < now() - make_interval(days => ${SYNC_RUNS_KEPT_DAYS})`
  return rows.count
}
