// What the live stream and alerts hear about readings, called right after each commit of readings by every
// writer: bulk ingest, Nightscout upload, CSV import (per batch) and provider sync (per provider batch).
//
// One `reading` event per commit, never one per reading: a 90-day backfill of 26,000 readings is a few commits
// (a sync's provider windows, an import's batches), so a few events, each carrying the commit's newest stored
// reading (value, trend, time), `count` (readings inserted or updated) and the span `from`–`to`: a client shows the
// newest value and, when count > 1, re-reads the span through GET /api/v1/glucose/readings if it cares.
import type { FastifyBaseLogger } from 'fastify'
import { transaction, type Sql } from '../db/connect.js'
import { changedSpan } from '../glucose/store-readings.js'
import type { ReadingSource } from '../glucose/trends.js'
import type { AlertReading } from './alert-rules.js'
import { evaluateAlerts } from './alerts.js'
import { insertEvents, lockUserEvents } from './events.js'

export interface CommittedReadings {
  userId: string
  source: ReadingSource
  /** The readings of the commit (their times are enough). */
  readings: ReadonlyArray<{ time: Date }>
  stored: { inserted: number; updated: number }
}

// The newest readings of a commit that alerts look at: enough for a phone catching up after a short outage.
const ALERT_READINGS = 12

/**
 * Writes the `reading` event (and any `alert` events) for a commit of readings. Reads the stored rows back, so the
 * event shows what is stored whatever the path. Never throws: the readings are committed already, and the caller's
 * answer must not turn into an error because the live side failed; the failure is logged (no values).
 */
export async function readingsCommitted(sql: Sql, committed: CommittedReadings, log?: Pick<FastifyBaseLogger, 'error'>): Promise<void> {
  const { userId, source, readings, stored } = committed
  const count = stored.inserted + stored.updated
  const span = changedSpan(userId, readings, stored)
  if (!span) return
  // The commit's own newest readings: alerts judge what just arrived, never stored neighbours judged before.
  // Whole seconds, floored, as stored (src/glucose/validate-readings.ts): a caller may hand over the times it was sent.
  const newestTimes = newestSeconds(readings, ALERT_READINGS).map((ms) => new Date(ms).toISOString())
  try {
    await transaction(sql, async (tx) => {
      await lockUserEvents(tx, userId)
      const newest = await tx<{ time: Date; value: number; trend: string | null; trend_rate: number | null }[]>`
        SELECT time, value, trend, trend_rate FROM glucose_readings
        WHERE user_id = ${userId} AND source = ${source}::reading_source
          AND time = ANY (${newestTimes}::timestamptz[])
          -- The range repeats what ANY says, for the planner: TimescaleDB excludes chunks by a range on time, not by
          -- an array. Without it every chunk of the hypertable is planned (150 chunks: 23–53 ms per commit).
          AND time BETWEEN ${newestTimes[newestTimes.length - 1]!}::timestamptz AND ${newestTimes[0]!}::timestamptz
        ORDER BY time DESC LIMIT ${ALERT_READINGS}`
      const latest = newest[0]
      if (!latest) return // deleted meanwhile (account deletion): nothing to tell
      const forAlerts: AlertReading[] = newest.reverse().map((r) => ({ time: r.time, value: r.value, trendRate: r.trend_rate }))
      const raised = await evaluateAlerts(tx, userId, forAlerts)
      await insertEvents(tx, userId, [
        {
          type: 'reading',
          payload: {
            time: latest.time.toISOString(), value: latest.value, unit: 'mg/dL', trend: latest.trend, trendRate: latest.trend_rate,
            source, count, from: span.from.toISOString(), to: span.to.toISOString(),
          },
        },
        ...raised.map((a) => ({ type: 'alert' as const, payload: a })),
      ])
    })
  } catch (error) {
    logFailure(log, 'could not publish the live event of new readings', error)
  }
}

/**
 * The `n` newest distinct whole-second times (epoch ms), newest first. One pass keeping the n best (a 10,000-reading
 * commit was sorted whole before); walked from the end, as readings come oldest first, so most are skipped at once.
 */
export function newestSeconds(readings: ReadonlyArray<{ time: Date }>, n: number): number[] {
  const best: number[] = [] // descending
  for (let i = readings.length - 1; i >= 0; i--) {
    const ms = Math.floor(readings[i]!.time.getTime() / 1000) * 1000
    if (best.length === n && ms <= best[n - 1]!) continue
    let at = best.length
    while (at > 0 && best[at - 1]! < ms) at--
    if (at > 0 && best[at - 1] === ms) continue // already kept
    best.splice(at, 0, ms)
    if (best.length > n) best.pop()
  }
  return best
}

export function logFailure(log: Pick<FastifyBaseLogger, 'error'> | undefined, message: string, error: unknown): void {
  const err = { message: error instanceof Error ? error.message : String(error) }
  if (log) log.error({ err }, message)
  else console.error(JSON.stringify({ level: 'error', msg: message, err }))
}
