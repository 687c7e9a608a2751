// The live hub for the app: listens once per process, closes every open stream before Fastify closes the server
// (preClose: a hijacked SSE response is an open request the server's close would otherwise wait for), and prunes
// events past the replay window.
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { pruneEvents } from './events.js'
import { LiveHub } from './hub.js'

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
    // Erased through any process: this one's auth cache must not keep treating the user as existing.
    const hub = new LiveHub(config.databaseUrl, { ...config.live, log: app.log, onErased: (userId) => app.forgetUser(userId) })
    app.decorate('live', hub)
    app.addHook('onReady', async () => hub.start())
    const prune = setInterval(() => {
      pruneEvents(app.db.sql).catch((error: Error) => app.log.warn({ err: { message: error.message } }, 'live: pruning events failed'))
    }, PRUNE_EVERY_MS)
    prune.unref()
    app.addHook('preClose', async () => {
      clearInterval(prune)
      await hub.close()
    })
  },
  { name: 'live', dependencies: ['db', 'auth', 'jobs'] },
)
