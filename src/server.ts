// Starts the service: build the app, listen, and close gracefully on SIGINT/SIGTERM (in-flight requests finish,
// the pool drains) with a deadline so a stuck request cannot hold a deployment forever.
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import type { Config } from './config.js'

export async function startServer(config: Config) {
  const app = await buildApp(config)
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an uncaught error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })
  await app.listen({ host: config.host, port: config.port })
  return app
}
