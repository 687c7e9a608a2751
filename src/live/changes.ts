// `connection` and `meal-response` events: the sync (src/providers/sync-connection.ts) and the analysis job
// (src/sync/jobs.ts) call these after their own writes. Ids and states only, never credentials or error texts
// (a provider's message can carry account details); GET /api/v1/connections has the rest.
import type { FastifyBaseLogger } from 'fastify'
import type { Sql } from '../db/connect.js'
import { publishEvents } from './events.js'
import { logFailure } from './readings-committed.js'

export interface ConnectionChange {
  userId: string
  connectionId: string
  provider: string
  previous: string
  status: string
}

/** A connection's status changed (e.g. to reauth_required or error, or active again): one event; no change, none. */
export async function connectionChanged(sql: Sql, change: ConnectionChange, log?: Pick<FastifyBaseLogger, 'error'>): Promise<void> {
  if (change.previous === change.status) return
  const { userId, connectionId, provider, previous, status } = change
  try {
    await publishEvents(sql, userId, [{ type: 'connection', payload: { connectionId, provider, status, previous } }])
  } catch (error) {
    logFailure(log, 'could not publish a connection event', error)
  }
}

// An analysis over months of readings may recompute hundreds of responses: the event lists this many ids at most,
// with the total in `count`; GET /api/v1/meals lists them all.
const MAX_MEAL_IDS = 100

/** Meal responses computed or updated since `since` (the database's clock): one event with their meal ids. */
export async function mealResponsesChanged(sql: Sql, userId: string, since: Date, log?: Pick<FastifyBaseLogger, 'error'>): Promise<void> {
  try {
    const rows = await sql<{ meal_id: string }[]>`
      SELECT meal_id FROM meal_glucose_responses WHERE user_id = ${userId} AND computed_at >= ${since} ORDER BY computed_at DESC, meal_id`
    if (rows.length === 0) return
    await publishEvents(sql, userId, [{ type: 'meal-response', payload: { mealIds: rows.slice(0, MAX_MEAL_IDS).map((r) => r.meal_id), count: rows.length } }])
  } catch (error) {
    logFailure(log, 'could not publish a meal-response event', error)
  }
}
