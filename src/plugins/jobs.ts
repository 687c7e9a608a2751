// pg-boss for the app: `app.jobs.boss()` starts it on first use (the API only sends jobs and reads queue depths),
// and when SYNC_WORKER is on (the default for `serve`) the background work (syncs, webhook deliveries, retention)
// starts with the app and stops with it.
import fp from 'fastify-plugin'
import type { PgBoss } from 'pg-boss'
import type { Config } from '../config.js'
import { changedSpan } from '../glucose/store-readings.js'
import { enqueueAnalysis } from '../sync/jobs.js'
import { startBoss } from '../sync/queues.js'
import { startBackgroundWork, type BackgroundWork } from '../sync/background.js'

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
    app.decorate('jobs', { boss, readingsChanged })

    // Syncs, webhook deliveries and the retention job, where SYNC_WORKER is on (src/sync/background.ts).
    let background: BackgroundWork | undefined
    if (config.sync.worker) {
      app.addHook('onReady', async () => {
        background = await startBackgroundWork({ config, boss: await boss(), sql: app.db.sql, log: app.log })
      })
    }
    // After the routes have drained (Fastify closes the server first), before the db plugin's pool closes.
    app.addHook('onClose', async () => {
      await background?.stop()
      const running = await started?.catch(() => undefined)
      await running?.stop({ graceful: true, timeout: 10_000 })
    })
  },
  { name: 'jobs', dependencies: ['db'] },
)
