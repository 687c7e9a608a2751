// Everything a worker process runs on pg-boss, started and stopped in one place for both hosts: `npm run worker`
// (src/cli/worker.ts) and `serve` with SYNC_WORKER on (src/plugins/jobs.ts). Syncs and their analysis jobs,
// webhook deliveries (src/live/webhooks/) and the hourly retention job (src/privacy/).
import type { FastifyBaseLogger } from 'fastify'
import type { PgBoss } from 'pg-boss'
import type { Config } from '../config.js'
import type { Sql } from '../db/connect.js'
import { DEFAULT_WEBHOOK_OPTIONS, startWebhookWorker } from '../live/webhooks/worker.js'
import { startRetentionWorker } from '../privacy/retention-worker.js'
import { CredentialCipher } from '../providers/crypto.js'
import { startSyncWorker } from './worker.js'

export interface BackgroundWork {
  /** Stops taking jobs and waits for those in flight; pg-boss itself is the caller's to stop afterwards. */
  stop(): Promise<void>
}

/** `sql`: the pool webhook deliveries read and log with (syncs have pools of their own). */
export async function startBackgroundWork(deps: { config: Config; boss: PgBoss; sql: Sql; log: FastifyBaseLogger }): Promise<BackgroundWork> {
  const { config, boss, sql, log } = deps
  const sync = await startSyncWorker({ config, boss, log })
  const webhooks = await startWebhookWorker({
    boss, sql, cipher: CredentialCipher.fromConfig(config.credentialKeys), log,
    options: { ...DEFAULT_WEBHOOK_OPTIONS, allowPrivateHosts: config.providerAllowPrivateHosts },
  })
  const retention = await startRetentionWorker({ config, boss, log })
  return {
    async stop() {
      await sync.stop()
      await webhooks.stop()
      await retention.stop()
    },
  }
}
