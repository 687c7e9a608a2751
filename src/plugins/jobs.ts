// pg-boss for the app: `app.jobs.boss()` starts it on first use (the API only sends jobs and reads queue depths),
// and when SYNC_WORKER is on (the default for `serve`) a sync worker starts with the app and stops with it.
import fp from 'fastify-plugin'
import type { PgBoss } from 'pg-boss'
import type { Config } from '../config.js'
import { changedSpan } from '../glucose/store-readings.js'
import { startRetentionWorker, type RetentionWorker } from '../privacy/retention-worker.js'
import { enqueueAnalysis } from '../sync/jobs.js'
import { startBoss } from '../sync/queues.js'
import { startSyncWorker, type SyncWorker } from '../sync/worker.js'

declare module 'fastify' {
  interface FastifyInstance {
    jobs: {
      boss(): Promise<PgBoss>
      /**
       * Readings of `userId` were inserted or updated: enqueue the analysis of what depends on them (meal
       * responses, detected meals). Best effort and not awaited: a failure is logged and the request still succeeds,
       * as responses are also brought up to date when read.
       */
      readingsChanged(userId: string, readings: ReadonlyArray<{ time: Date }>, stored: { inserted: number; updated: number }): void
      /** The worker running in this process, if SYNC_WORKER is on. */
      worker: SyncWorker | undefined
    }
  }
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    let started: Promise<PgBoss> | undefined
    const boss = () => (started ??= startBoss(config, { supervise: config.sync.worker }).then(
      (b) => {
        b.on('error', (error: Error) => app.log.error({ err: { message: error.message } }, 'pg-boss error'))
        return b
      },
      (error: unknown) => {
        started = undefined // the database may be back next time: try again then, not never
        throw error
      },
    ))
    const readingsChanged = (userId: string, readings: ReadonlyArray<{ time: Date }>, stored: { inserted: number; updated: number }) => {
      const changed = changedSpan(userId, readings, stored)
      if (!changed) return
      boss()
        .then((b) => enqueueAnalysis(b, changed))
        .catch((error: Error) => app.log.error({ err: { message: error.message } }, 'could not enqueue the analysis of new readings'))
    }
    app.decorate('jobs', { boss, readingsChanged, worker: undefined })

    let retention: RetentionWorker | undefined
    if (config.sync.worker) {
      app.addHook('onReady', async () => {
        const started = await boss()
        app.jobs.worker = await startSyncWorker({ config, boss: started, log: app.log })
        // The hourly data-retention job runs where sync workers run (src/privacy/retention-worker.ts).
        retention = await startRetentionWorker({ config, boss: started, log: app.log })
      })
    }
    // After the routes have drained (Fastify closes the server first), before the db plugin's pool closes.
    app.addHook('onClose', async () => {
      await app.jobs.worker?.stop()
      await retention?.stop()
      const running = await started?.catch(() => undefined)
      await running?.stop({ graceful: true, timeout: 10_000 })
    })
  },
  { name: 'jobs', dependencies: ['db'] },
)
