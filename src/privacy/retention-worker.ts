// Runs the retention job (src/privacy/retention.ts) on a pg-boss cron schedule, where sync workers run: `npm run
// worker` processes, and `serve` with SYNC_WORKER on, on their pg-boss instance (whose scheduling is on there, as
// src/sync/queues.ts starts it). Any number of processes may run it: pg-boss sends one job per cron occurrence (its
// cron pass takes a database-wide turn), and the queue is a singleton, so two runs never overlap.
import type { FastifyBaseLogger } from 'fastify'
import type { PgBoss } from 'pg-boss'
import type { Config } from '../config.js'
import { connect } from '../db/connect.js'
import { runRetention } from './retention.js'

export const RETENTION_QUEUE = 'data-retention'
// Hourly (at minute 17, away from the top of the hour when other cron work clusters): data outlives its period by
// at most an hour.
export const RETENTION_CRON = '17 * * * *'

export interface RetentionWorker {
  stop(): Promise<void>
}

export async function startRetentionWorker(opts: { config: Config; boss: PgBoss; log: FastifyBaseLogger }): Promise<RetentionWorker> {
  const { config, boss, log } = opts
  const db = connect(config.databaseUrl, { max: 2 })
  try {
    // singleton: at most one run queued or active; a run deletes in per-user transactions, so a run that dies is
    // simply done again by the next one.
    await boss.createQueue(RETENTION_QUEUE, { policy: 'singleton', retryLimit: 2, retryDelay: 300, expireInSeconds: 3600, deleteAfterSeconds: 7 * 86400 })
    await boss.schedule(RETENTION_QUEUE, RETENTION_CRON, {}, { tz: 'UTC' })
    await boss.work(RETENTION_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async () => {
      const result = await runRetention(db.sql, { days: config.retentionDays, auditDays: config.auditRetentionDays })
      // Counts only: no user ids in the log.
      log.info({ retention: result }, 'retention run done')
      return result
    })
  } catch (error) {
    await db.close()
    throw error
  }
  return {
    async stop() {
      await boss.offWork(RETENTION_QUEUE, { wait: true })
      await db.close()
    },
  }
}
