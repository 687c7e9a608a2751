// Account deletion (issue 6, DELETE /api/v1/me): every row of the user, in every table, in one transaction.
//
// How "every table" is kept true: the user's row is deleted last, and every table that holds a user's data
// references users (directly, or through a parent such as meals, cgm_connections or webhooks) with ON DELETE
// CASCADE, so a table added later is covered by its foreign key; test/privacy/erase.test.ts walks every table of
// the database (from information_schema) for the user's id after a deletion, so a table without one fails it.
// The explicit DELETEs below come first only to report counts.
//
// Outside the foreign keys: pg-boss jobs (schema pgboss) carry a user id or connection id in their data and the
// sync queue's singleton key; they are deleted here, so no queued sync or analysis runs for the deleted user.
//
// Revoking provider access: the stored tokens and passwords (cgm_connections.credentials_encrypted) are deleted
// with the connection, which stops every sync at once (a sync in flight fails on its next write: the user row is
// locked here first, then gone). Dexcom's API documents no token revocation endpoint (shared/reference/PROVIDERS.md
// lists only /v2/oauth2/login and /v2/oauth2/token), so the grant at Dexcom lapses when its refresh token expires;
// the user can withdraw it in their Dexcom account. LibreLinkUp and Nightscout have no grant to revoke: we held
// the user's password or API secret, now deleted.
import type { Sql } from '../db/connect.js'
import { ERASED, LIVE_CHANNEL } from '../live/events.js'

export interface ErasureCounts {
  readings: number
  meals: number
  detectedMeals: number
  connections: number
  consents: number
  alerts: number
  webhooks: number
  liveEvents: number
  jobs: number
}

/**
 * Deletes the user and everything of theirs; undefined when there is no such user. `glucose.erasing_user` is set
 * for the transaction: the audit log (migration 0022) refuses to delete its rows about a user unless that user is
 * the one being erased.
 */
export async function eraseUser(sql: Sql, userId: string): Promise<ErasureCounts | undefined> {
  let connectionIds: string[] = []
  const counts = await sql.begin(async (tx) => {
    // Locked first: a concurrent write for this user (its foreign-key check takes a share lock on this row) waits
    // for this transaction and then fails, instead of committing rows after the DELETEs below have run.
    const [user] = await tx`SELECT id FROM users WHERE id = ${userId} FOR UPDATE`
    if (!user) return undefined
    await tx`SELECT set_config('glucose.erasing_user', ${userId}, true)`

    const connections = await tx<{ id: string }[]>`DELETE FROM cgm_connections WHERE user_id = ${userId} RETURNING id`
    connectionIds = connections.map((c) => c.id)
    const jobs = await deleteJobs(tx as unknown as Sql, userId, connectionIds)
    const count = async (query: Promise<{ count: number }>) => (await query).count
    const deleted: ErasureCounts = {
      readings: await count(tx`DELETE FROM glucose_readings WHERE user_id = ${userId}`),
      meals: await count(tx`DELETE FROM meals WHERE user_id = ${userId}`),
      detectedMeals: await count(tx`DELETE FROM detected_meals WHERE user_id = ${userId}`),
      connections: connectionIds.length,
      consents: await count(tx`DELETE FROM consents WHERE user_id = ${userId}`),
      alerts: await count(tx`DELETE FROM alerts WHERE user_id = ${userId}`),
      webhooks: await count(tx`DELETE FROM webhooks WHERE user_id = ${userId}`),
      liveEvents: await count(tx`DELETE FROM live_events WHERE user_id = ${userId}`),
      jobs,
    }
    // Everything else (meal items and responses, oauth states, sync runs, alert settings, webhook deliveries, the
    // Nightscout upload site, the audit log, and any table added later) goes by ON DELETE CASCADE.
    await tx`DELETE FROM users WHERE id = ${userId}`
    // Delivered at commit to every process (src/live/hub.ts): they end the user's live streams and drop the user
    // from their cache of known users, so their next request with the old token starts the new, empty account.
    await tx`SELECT pg_notify(${LIVE_CHANNEL}, ${`${userId}:${ERASED}`})`
    return deleted
  })
  // Once more after the commit: a job enqueued meanwhile by a request or sync that committed just before the lock
  // (the analysis of its readings is queued after its commit) would otherwise keep the user's id in pg-boss until
  // its retention. Later writers fail on the missing user row, so they enqueue nothing.
  if (counts) counts.jobs += await deleteJobs(sql, userId, connectionIds)
  return counts
}

/** pg-boss jobs about the user (analysis: data.userId) or their connections (sync: data.connectionId, singleton key). */
async function deleteJobs(tx: Sql, userId: string, connectionIds: string[]): Promise<number> {
  const [schema] = await tx<{ exists: boolean }[]>`SELECT to_regclass('pgboss.job') IS NOT NULL AS exists`
  if (!schema?.exists) return 0 // pg-boss never started on this database
  const deleted = await tx`
    DELETE FROM pgboss.job
    WHERE data ->> 'userId' = ${userId}
       OR data ->> 'connectionId' = ANY(${connectionIds}::text[])
       OR singleton_key = ANY(${connectionIds}::text[]) OR singleton_key = ${userId}`
  return deleted.count
}
