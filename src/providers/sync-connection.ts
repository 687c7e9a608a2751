// Pulls one connection's new data now: provider batches (one provider-sized window each) are stored as they
// arrive, so a failure half-way keeps what was stored, and the cursor moves only after its batch's readings are
// committed (never ahead of them). Called by the sync job (src/sync/) and by POST /connections/:id/sync; both end
// by setting when the connection is next due (src/sync/next-sync.ts) and log a sync_runs row.
import { insertAudit } from '../audit/audit-log.js'
import type { Sql } from '../db/connect.js'
import { changedSpan, storeReadings } from '../glucose/store-readings.js'
import { connectionChanged } from '../live/changes.js'
import { readingsCommitted } from '../live/readings-committed.js'
import { deleteProviderMeals, upsertProviderMeals } from '../meals/provider-meals.js'
import { credentialContext, saveCursor, updateCredentials, type ConnectionForSync } from './connections.js'
import type { CredentialCipher } from './crypto.js'
import { ProviderError, type CgmProvider, type Credentials } from './provider.js'
import type { ProviderRegistry } from './registry.js'
import { nextSyncAt as nextSyncTime, outcomeOf, type SyncOutcome } from '../sync/next-sync.js'
import { endRun, startRun, unlockConnection, type CredentialActor, type SyncEnd, type SyncTrigger } from '../sync/sync-runs.js'
import type { ChangedSpan } from '../sync/queues.js'

export interface SyncDeps {
  sql: Sql
  cipher: CredentialCipher
  providers: ProviderRegistry
}

export interface SyncResult {
  readings: { received: number; inserted: number; updated: number; unchanged: number; skipped: Record<string, number> }
  meals: { inserted: number; updated: number; deleted: number }
  /** The time span of the readings this sync inserted or updated (null: none), for the analysis it triggers. */
  changed: ChangedSpan | null
}

/** Why a sync did not start; the route turns each into a status code. */
export class SyncRefused extends Error {
  override name = 'SyncRefused'
  constructor(readonly reason: 'reauth_required' | 'busy' | 'unknown_provider', message: string) {
    super(message)
  }
}

/** Undefined when the connection is not this user's (or does not exist): the caller cannot tell which. */
export async function syncConnection(
  deps: SyncDeps, userId: string, connectionId: string, trigger: SyncTrigger = { kind: 'manual' },
): Promise<SyncResult | undefined> {
  // One sync per connection at a time: two would both refresh the token, and the second refresh would present an
  // already-rotated refresh token and be told invalid_grant. A session-level lock, on a connection reserved for the
  // whole sync, which also runs every query of the sync: a sync needs exactly one pooled connection, so syncs beyond
  // the pool size wait for one instead of holding locks while waiting for a second (a deadlock).
  const reserved = await deps.sql.reserve()
  try {
    const actor = credentialActor(userId, trigger)
    const started = await startRun(reserved, { userId, connectionId, providers: [...deps.providers.keys()], trigger, actor })
    if (!started) return undefined
    const { connection, runId } = started
    const provider = deps.providers.get(connection.provider)
    if (!provider) throw new SyncRefused('unknown_provider', `provider "${connection.provider}" is not available in this service`)
    // No call to the provider with credentials it has already refused: only the user can fix this, by reconnecting.
    if (!started.syncable) {
      throw new SyncRefused('reauth_required', `this ${provider.name} connection needs to be authorized again: connect ${provider.name} again`)
    }
    if (runId === null) throw new SyncRefused('busy', 'a sync of this connection is already running; try again when it ends')
    let unlocked = false
    const unlock = () => {
      unlocked = true
      return unlockConnection(reserved, connection.id)
    }
    try {
      return await run({ ...deps, sql: reserved }, connection, provider, runId, actor, unlock)
    } finally {
      if (!unlocked) await unlockConnection(reserved, connection.id)
    }
  } finally {
    reserved.release()
  }
}

async function run(
  deps: SyncDeps, connection: ConnectionForSync, provider: CgmProvider, runId: string, actor: CredentialActor, unlock: () => Promise<void>,
): Promise<SyncResult> {
  const { sql } = deps
  const result: SyncResult = {
    readings: { received: 0, inserted: 0, updated: 0, unchanged: 0, skipped: {} },
    meals: { inserted: 0, updated: 0, deleted: 0 },
    changed: null,
  }
  let lastReadingAt: Date | null = null
  // Each batch's cursor is sent without waiting for its answer: it goes out with the next statement on this one
  // connection, which runs it first (after the batch's commits, so never ahead of the readings), and its answer is
  // awaited there. The run's end and the unlock go out with it too (one round trip): the unlock runs after the
  // end's commit.
  let cursorSaved: Promise<void> | undefined
  const end = (e: SyncEnd) =>
    Promise.all([cursorSaved, endRun(sql, connection.id, runId, e, result.readings.inserted + result.readings.updated), unlock()])
  try {
    // The audit log's credentials.read was written with the run (startRun); refreshed ones are audited as written.
    const credentials = deps.cipher.decryptJson<Credentials>(connection.credentialsEncrypted!, credentialContext(connection.userId, connection.provider))
    const batches = provider.fetchSince({
      credentials,
      cursor: connection.syncCursor,
      saveCredentials: async (next) => {
        await updateCredentials(sql, deps.cipher, connection, next)
        await insertAudit(sql, [{ ...actor, subjectUserId: connection.userId, requestId: `sync-run:${runId}`, action: `credentials.write ${connection.provider}` }])
      },
    })
    for await (const batch of batches) {
      await cursorSaved // the previous batch's, answered long ago (a provider call came between)
      const stored = await storeReadings(sql, connection.userId, provider.source, batch.readings)
      await readingsCommitted(sql, { userId: connection.userId, source: provider.source, readings: batch.readings, stored })
      result.readings.received += batch.readings.length
      result.readings.inserted += stored.inserted
      result.readings.updated += stored.updated
      result.readings.unchanged += stored.unchanged
      for (const [reason, n] of Object.entries(batch.skipped)) result.readings.skipped[reason] = (result.readings.skipped[reason] ?? 0) + n
      for (const r of batch.readings) if (!lastReadingAt || r.time > lastReadingAt) lastReadingAt = r.time
      result.changed = widen(result.changed, changedSpan(connection.userId, batch.readings, stored))
      const meals = await upsertProviderMeals(sql, connection.userId, batch.meals)
      result.meals.inserted += meals.inserted
      result.meals.updated += meals.updated
      result.meals.deleted += await deleteProviderMeals(sql, connection.userId, batch.deletedMealRecordIds)
      cursorSaved = saveCursor(sql, connection.id, batch.cursor)
      cursorSaved.catch(() => {}) // awaited above or in end(); an early failure is not an unhandled rejection meanwhile
    }
  } catch (error) {
    const outcome = outcomeOf(error)
    const failures = connection.consecutiveFailures + 1
    const nextSyncAt = nextSyncTime({
      outcome, now: Date.now(), cadenceMs: provider.limits.cadenceMs, failures,
      retryAfterSeconds: error instanceof ProviderError ? error.retryAfterSeconds : undefined,
    })
    // Transient kinds keep the status; action_required is 'error', not reauth_required: once the user has acted
    // at the provider (accepted its terms), the next sync works with the same credentials.
    const status = outcome === 'reauth_required' ? 'reauth_required' : outcome === 'error' ? 'error' : null
    const message = error instanceof ProviderError ? error.message : 'internal error during sync; see the service log'
    await end({ outcome: outcome as Exclude<SyncOutcome, 'ok'>, status, message, nextSyncAt })
    await connectionChanged(sql, { ...changeOf(connection), status: status ?? connection.status })
    throw error
  }
  const nextSyncAt = nextSyncTime({ outcome: 'ok', now: Date.now(), cadenceMs: provider.limits.cadenceMs, failures: 0 })
  await end({ outcome: 'ok', lastReadingAt, nextSyncAt })
  await connectionChanged(sql, { ...changeOf(connection), status: 'active' })
  return result
}

function credentialActor(userId: string, trigger: SyncTrigger): CredentialActor {
  return trigger.kind === 'scheduled'
    ? { actorKind: 'system', actorId: `sync-worker:${trigger.worker}` }
    : { actorKind: 'user', actorId: userId }
}

function changeOf(c: ConnectionForSync) {
  return { userId: c.userId, connectionId: c.id, provider: c.provider, previous: c.status }
}

function widen(a: SyncResult['changed'], b: SyncResult['changed']): SyncResult['changed'] {
  if (!a || !b) return a ?? b
  return { userId: a.userId, from: a.from < b.from ? a.from : b.from, to: a.to > b.to ? a.to : b.to }
}
