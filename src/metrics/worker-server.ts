// GET /metrics of a separate `npm run worker` (WORKER_METRICS_PORT): the syncs, their outcomes and durations, the
// readings they stored and the process's own figures are counted in that process, which serves no API. The same
// route and access rule as the API's (METRICS_TOKEN, else loopback only); queue depths and database connections
// are read at scrape time by the API's /metrics (they are the same for every process).
import Fastify, { type FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import { metricsRoute } from '../plugins/metrics.js'

export async function startWorkerMetrics(config: Config, port: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  metricsRoute(app, config.metricsToken)
  await app.listen({ host: config.host, port })
  return app
}
