// The pg-boss instance and the queues of the sync engine. pg-boss keeps its tables in its own schema (`pgboss`) of
// the service's database; queues must exist before anything is sent (pg-boss >= 10: `send` to a missing queue
// returns null), so every process creates them at start-up (idempotent).
import { PgBoss, type Queue } from 'pg-boss'
import type { Config } from '../config.js'

export const BOSS_SCHEMA = 'pgboss'

/** Sync one connection: data { userId, connectionId }; at most one queued and one active per connection. */
export const SYNC_QUEUE = 'sync-connection'
/** Recompute what depends on readings in a span (meal responses, detected meals): data { userId, from, to }. */
export const ANALYSIS_QUEUE = 'analyze-readings'

export interface SyncJobData {
  userId: string
  connectionId: string
}

export interface AnalysisJobData {
  userId: string
  /** ISO 8601: the span of readings that were inserted or updated. */
  from: string
  to: string
}

/** A user's readings in [from, to] were inserted or updated: what an analysis job is about. */
export interface ChangedSpan {
  userId: string
  from: Date
  to: Date
}

/** The analysis job's data for a changed span (one shape for every path that enqueues one). */
export function analysisJobData(span: ChangedSpan): AnalysisJobData {
  return { userId: span.userId, from: span.from.toISOString(), to: span.to.toISOString() }
}

function queues(config: Config): Array<Omit<Queue, 'name'> & { name: string }> {
  return [
    {
      name: SYNC_QUEUE,
      // `stately`: one queued and one active job per singletonKey (the connection id). A connection already queued
      // is not queued twice, and the tick may queue the next sync while one runs. The per-connection advisory
      // lock in syncConnection is the other half: a manual sync and a job never run at once either.
      policy: 'stately',
      // Retries here are for crashes only (a worker killed mid-sync, the database gone): provider failures complete
      // the job and set the connection's next_sync_at with their own backoff (src/sync/next-sync.ts).
      retryLimit: 3,
      retryDelay: config.sync.retryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: 600,
      // A sync is seconds; a 90-day backfill is a few minutes. A worker that dies stops its heartbeats, and the job
      // goes back to the queue for another worker after heartbeatSeconds.
      expireInSeconds: 15 * 60,
      heartbeatSeconds: config.sync.heartbeatSeconds,
      // 10,000 connections every 5 minutes is 2.9 million jobs a day: completed ones are kept an hour.
      deleteAfterSeconds: 3600,
      // No NOTIFY: the tick enqueues jobs to start over the coming seconds (startAfter), which NOTIFY does not
      // announce, and a notify queue polls only every 30 s. Workers poll every 0.5 s instead (src/sync/worker.ts).
    },
    { name: ANALYSIS_QUEUE, policy: 'standard', retryLimit: 2, retryDelay: 60, retryBackoff: true, deleteAfterSeconds: 3600 },
  ]
}

/** A started pg-boss with the queues created. `supervise`: this process also runs maintenance (workers do). */
export async function startBoss(config: Config, options: { supervise: boolean; poolMax?: number }): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: config.databaseUrl,
    schema: BOSS_SCHEMA,
    application_name: 'glucose-service-jobs',
    max: options.poolMax ?? 4,
    supervise: options.supervise,
    // Cron only where maintenance runs (workers): the sync tick (src/sync/scheduler.ts) needs none, the hourly
    // retention job (src/privacy/retention-worker.ts) does.
    schedule: options.supervise,
    monitorIntervalSeconds: config.sync.monitorSeconds,
    superviseIntervalSeconds: config.sync.monitorSeconds,
  })
  await boss.start()
  // create_queue keeps an existing queue as it is (under pg-boss's advisory lock, so processes starting together
  // do not race). Changing an existing queue's options needs boss.updateQueue in a release note, not here.
  try {
    for (const { name, ...queue } of queues(config)) await boss.createQueue(name, queue)
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => {}) // no half-started instance left holding a pool
    throw error
  }
  return boss
}
