// Runs the retention job (src/privacy/retention.ts) on a pg-boss cron schedule, where sync workers run: `npm run
// worker` processes, and `serve` with SYNC_WORKER on. Any number of processes may run it: pg-boss sends one job per
// cron occurrence (its cron pass takes a database-wide turn), and the queue is a singleton, so two runs never
// overlap.
//
// Its own small pg-boss instance: the sync engine's (src/sync/queues.ts) runs with `schedule: false` because the
// sync tick needs no cron, and a cron schedule only fires where an instance has scheduling on.
import type { FastifyBaseLogger } from 'fastify'
import { PgBoss } from 'pg-boss'
import type { Config } from '../config.js'
import { connect } from '../db/connect.js'
import { BOSS_SCHEMA } from '../sync/queues.js'
import { runRetention } from './retention.js'

export const RETENTION_QUEUE = 'data-retention'
// Hourly (at minute 17, away from the top of the hour when other cron work clusters): data outlives its period by
// at most an hour.
export const RETENTION_CRON = '17 * * * *'

export interface RetentionWorker {
  boss: PgBoss
  stop(): Promise<void>
}

export async function startRetentionWorker(opts: { config: Config; log: FastifyBaseLogger }): Promise<RetentionWorker> {
  const { config, log } = opts
  const boss = new PgBoss({
    connectionString: config.databaseUrl,
    schema: BOSS_SCHEMA,
    application_name: 'glucose-service-retention',
    max: 2,
    supervise: false, // the sync engine's instance maintains the schema
    schedule: true,
  })
  boss.on('error', (error: Error) => log.error({ err: { message: error.message } }, 'pg-boss (retention) error'))
  await boss.start()
  const db = connect(config.databaseUrl, { max: 2 })
  try {
    // singleton: at most one run queued or active; a run deletes in per-user transactions, so a run that dies is
    // simply done again by the next one.
    await boss.createQueue(RETENTION_QUEUE, { policy: 'singleton', retryLimit: 2, retryDelay: 300, expireInSeconds: 3600, deleteAfterSeconds: 7 * 86400 })
    await boss.schedule(RETENTION_QUEUE, RETENTION_CRON, {}, { tz: 'UTC' })
    await boss.work(RETENTION_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async () => {
      const result = await runRetention(db.sql, config.retentionDays)
      // Counts only: no user ids in the log.
      log.info({ retention: result }, 'retention run done')
      return result
    })
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => {})
    await db.close()
    throw error
  }
  return {
    boss,
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000 })
      await db.close()
    },
  }
}
