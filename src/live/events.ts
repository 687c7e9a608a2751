// The live event log (migrations/0020_live_events.sql): written by every path that commits readings, alerts,
// connection changes and meal responses; read by the streams (src/live/stream.ts) after each NOTIFY.
import { transaction, type Sql, type Tx } from '../db/connect.js'

export const LIVE_CHANNEL = 'live_events'
/** The NOTIFY payload `<user id>:erased` (DELETE /api/v1/me): every process ends the user's streams and forgets them. */
export const ERASED = 'erased'
export type LiveEventType = 'reading' | 'meal-response' | 'connection' | 'alert'
/** Replay after a reconnect reaches this far back; older rows are pruned (pruneEvents). */
export const REPLAY_WINDOW_MS = 24 * 3_600_000

export interface LiveEvent {
  id: number
  type: LiveEventType
  payload: Record<string, unknown>
  createdAt: string
}

// Namespace of the per-user advisory locks taken by event writers (any constant unique within this database).
const EVENT_LOCK_NAMESPACE = 7_411_904

/**
 * Writers of one user's events take turns until they commit. Identity values are handed out at INSERT but become
 * visible at COMMIT, so without the lock a writer holding id 10 could commit after another committed id 11: a
 * stream that already sent 11 reads "id > 11" and never sees 10. Under the lock, ids of one user commit in order.
 */
export async function lockUserEvents(tx: Tx, userId: string): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(${EVENT_LOCK_NAMESPACE}, hashtext(${userId}))`
}

/**
 * Inserts the events and queues one NOTIFY each, both inside the caller's transaction (after lockUserEvents):
 * PostgreSQL delivers notifications at commit, so a listener never fetches a row it cannot see yet.
 * The notification carries ids only ('<user id>:<event id>'); the stream reads the row.
 */
export async function insertEvents(tx: Tx, userId: string, events: ReadonlyArray<{ type: LiveEventType; payload: object }>): Promise<number[]> {
  if (events.length === 0) return []
  const rows = await tx<{ id: string }[]>`
    -- Payloads travel as text and are cast here: postgres.js would JSON-encode the elements of a jsonb[] again.
    WITH inserted AS (
      INSERT INTO live_events (user_id, type, payload)
      SELECT ${userId}::uuid, e.type, e.payload::jsonb
      FROM unnest(${events.map((e) => e.type)}::text[], ${events.map((e) => JSON.stringify(e.payload))}::text[]) WITH ORDINALITY AS e(type, payload, n)
      ORDER BY e.n
      RETURNING id, type, payload
    ), outbox AS (
      -- Webhook deliveries are born with their events (same transaction: an outbox); src/live/webhooks/ sends them.
      INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload)
      SELECT w.id, i.id, i.type, i.payload FROM inserted i
      JOIN webhooks w ON w.user_id = ${userId} AND w.enabled AND i.type = ANY (w.event_types)
    )
    SELECT id, pg_notify(${LIVE_CHANNEL}, ${userId} || ':' || id) FROM inserted ORDER BY id`
  return rows.map((r) => Number(r.id))
}

/** Its own transaction: for callers that have nothing else to write with the events. */
export async function publishEvents(sql: Sql, userId: string, events: ReadonlyArray<{ type: LiveEventType; payload: object }>): Promise<number[]> {
  if (events.length === 0) return []
  return transaction(sql, async (tx) => {
    await lockUserEvents(tx, userId)
    return insertEvents(tx, userId, events)
  })
}

/** The user's events after `afterId`, oldest first, within the replay window. */
export async function eventsAfter(sql: Sql, userId: string, afterId: number, limit: number): Promise<LiveEvent[]> {
  const rows = await sql<{ id: string; type: LiveEventType; payload: Record<string, unknown>; created_at: Date }[]>`
    SELECT id, type, payload, created_at FROM live_events
    WHERE user_id = ${userId} AND id > ${afterId}
      AND created_at > now() - make_interval(secs => ${REPLAY_WINDOW_MS / 1000})
    ORDER BY id LIMIT ${limit}`
  return rows.map((r) => ({ id: Number(r.id), type: r.type, payload: r.payload, createdAt: r.created_at.toISOString() }))
}

/** Where a stream without Last-Event-ID starts: after the user's newest event (0 when none). */
export async function latestEventId(sql: Sql, userId: string): Promise<number> {
  const [row] = await sql<{ id: string | null }[]>`SELECT max(id) AS id FROM live_events WHERE user_id = ${userId}`
  return Number(row?.id ?? 0)
}

/** Deletes events past the replay window, and finished webhook deliveries after a week; returns the events deleted. */
export async function pruneEvents(sql: Sql): Promise<number> {
  const rows = await sql`DELETE FROM live_events WHERE created_at < now() - make_interval(secs => ${REPLAY_WINDOW_MS / 1000})`
  await sql`DELETE FROM webhook_deliveries WHERE finished_at < now() - interval '7 days'`
  return rows.count
}
