// The live hub for the app: listens once per process, closes every open stream before Fastify closes the server
// (preClose: a hijacked SSE response is an open request the server's close would otherwise wait for), and prunes
// events past the replay window.
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { pruneEvents } from './events.js'
import { LiveHub } from './hub.js'
import { CredentialCipher } from '../providers/crypto.js'
import { DEFAULT_WEBHOOK_OPTIONS, startWebhookWorker } from './webhooks/worker.js'

declare module 'fastify' {
  interface FastifyInstance {
    live: LiveHub
  }
}

// Every API process prunes on this timer: a DELETE by the created_at index, cheap when there is nothing to do, and
// harmless when several processes run it at once. Rows live 24 h to a little over (this period).
const PRUNE_EVERY_MS = 10 * 60_000

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const hub = new LiveHub(config.databaseUrl, { ...config.live, log: app.log })
    app.decorate('live', hub)
    app.addHook('onReady', async () => hub.start())
    // Webhook deliveries run where sync workers run (SYNC_WORKER on): they are pg-boss jobs like syncs.
    let webhookWorker: { stop(): Promise<void> } | undefined
    if (config.sync.worker) {
      app.addHook('onReady', async () => {
        webhookWorker = await startWebhookWorker({
          boss: await app.jobs.boss(), sql: app.db.sql, cipher: CredentialCipher.fromConfig(config.credentialKeys), log: app.log,
          options: { ...DEFAULT_WEBHOOK_OPTIONS, allowPrivateHosts: config.providerAllowPrivateHosts },
        })
      })
      // Before the jobs plugin stops pg-boss (onClose hooks run in reverse order of registration).
      app.addHook('onClose', async () => webhookWorker?.stop())
    }
    const prune = setInterval(() => {
      pruneEvents(app.db.sql).catch((error: Error) => app.log.warn({ err: { message: error.message } }, 'live: pruning events failed'))
    }, PRUNE_EVERY_MS)
    prune.unref()
    app.addHook('preClose', async () => {
      clearInterval(prune)
      await hub.close()
    })
  },
  { name: 'live', dependencies: ['db', 'jobs'] },
)
