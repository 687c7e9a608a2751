// GET /metrics (Prometheus text format) and the per-request histogram. The counters themselves live in
// src/metrics/registry.ts; this plugin adds what is read at scrape time (queue depths, database connections) and
// decides who may scrape.
//
// Who may read it: not health data, but operational detail (routes, volumes, queue backlogs) that strangers should
// not see. With METRICS_TOKEN set, a scraper sends `Authorization: Bearer <token>` from anywhere. Without it only
// loopback clients are answered, and not when the request carries a proxy's forwarding header: a reverse proxy on
// the same host would otherwise make every outside request look local.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Gauge } from 'prom-client'
import { withTimeout } from '../http/with-timeout.js'
import { queueDepths } from '../sync/status.js'
import { httpRequestDuration, registry } from '../metrics/registry.js'
import { errors } from '../routes/schemas.js'

export interface MetricsOptions {
  token: string | undefined
}

export default fp<MetricsOptions>(
  async (app, opts) => {
    // One observe per response, on Fastify's own timer. A hijacked reply (the live event stream) bypasses
    // Fastify's response hooks, so hours-long streams never land in the latency histogram.
    app.addHook('onResponse', async (request, reply) => {
      httpRequestDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
        reply.elapsedTime / 1000,
      )
    })

    const gauges = scrapeGauges(app)
    app.addHook('onClose', async () => {
      // Only this app's: another app of the process (tests) may have replaced them since.
      for (const gauge of gauges) if (registry.getSingleMetric(gauge.name) === gauge.metric) registry.removeSingleMetric(gauge.name)
    })

    metricsRoute(app, opts.token)
  },
  { name: 'metrics', dependencies: ['db', 'jobs'] },
)

/** GET /metrics: this process's registry, to whoever `token` (or, without one, loopback) lets in. */
export function metricsRoute(app: FastifyInstance, token: string | undefined): void {
  const allowed = access(token)
  app.get('/metrics', {
    logLevel: 'warn', // scraped every 15 s: not worth an info line each time
    schema: {
      description: 'Prometheus metrics (text exposition format). Bearer METRICS_TOKEN when set; otherwise loopback clients only.',
      response: {
        200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
        ...errors(401, 403),
      },
    },
  }, async (request, reply) => {
    const refusal = allowed(request)
    if (refusal) return refuse(reply, refusal)
    const text = await registry.metrics()
    return reply.type(registry.contentType).send(text)
  })
}

/**
 * Gauges read when Prometheus scrapes (nothing runs between scrapes). pg-boss's queue counts are the cached ones its
 * monitor keeps on the queue table: one indexed read, no scan of the job table. The database's connections are
 * pg_stat_activity rows of this service (every process of it, by application_name), by state.
 * Registered per app and removed on close, as they read this app's pools.
 */
const SCRAPE_GAUGES = ['glucose_queue_jobs', 'glucose_db_connections']

function scrapeGauges(app: FastifyInstance): Array<{ name: string; metric: Gauge }> {
  const warn = (what: string) => (error: unknown) =>
    app.log.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, `metrics: could not read ${what}`)
  // Replaced if another app of this process (tests) registered them: the latest app's pools are read.
  for (const name of SCRAPE_GAUGES) registry.removeSingleMetric(name)

  const queueJobs = new Gauge({
    name: 'glucose_queue_jobs',
    help: 'pg-boss jobs by queue (sync-connection, analyze-readings) and state (queued, active, deferred, failed); monitor-cached, up to SYNC_MONITOR_SECONDS old',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      try {
        for (const q of await bounded(queueDepths(await bounded(app.jobs.boss())))) {
          for (const state of ['queued', 'active', 'deferred', 'failed'] as const) this.set({ queue: q.name, state }, q[state])
        }
      } catch (error) {
        warn('queue depths')(error) // the scrape still answers; the series are absent this time
      }
    },
  })
  const dbConnections = new Gauge({
    name: 'glucose_db_connections',
    help: 'PostgreSQL connections of this service (all processes, application_name glucose-service) by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      try {
        const rows = await bounded(app.db.sql<{ state: string; n: number }[]>`
          SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n FROM pg_stat_activity
          WHERE application_name = 'glucose-service' AND datname = current_database() GROUP BY 1`)
        for (const row of rows) this.set({ state: row.state }, row.n)
      } catch (error) {
        warn('database connections')(error)
      }
    },
  })
  return [{ name: SCRAPE_GAUGES[0]!, metric: queueJobs }, { name: SCRAPE_GAUGES[1]!, metric: dbConnections }]
}

// A scrape must answer within Prometheus's timeout (10 s by default) even when the database does not: a gauge
// whose read takes longer is left out of that scrape.
const COLLECT_TIMEOUT_MS = 2000

const bounded = <T>(promise: PromiseLike<T>) => withTimeout(promise, COLLECT_TIMEOUT_MS)

type Refusal = { statusCode: 401 | 403; message: string }

function access(token: string | undefined): (request: FastifyRequest) => Refusal | undefined {
  if (token !== undefined) {
    const expected = digest(token)
    return (request) => {
      const header = request.headers.authorization
      const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined
      // Digests of equal length, compared in constant time: the token's length and prefix leak nothing.
      if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return undefined
      return { statusCode: 401, message: 'send the metrics token: Authorization: Bearer <METRICS_TOKEN>' }
    }
  }
  return (request) => {
    const relayed = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined
    if (isLoopback(request.socket.remoteAddress) && !relayed) return undefined
    return { statusCode: 403, message: 'metrics are served to local clients only; set METRICS_TOKEN to scrape from elsewhere (or through a proxy)' }
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest()

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  return v4.startsWith('127.') || address === '::1'
}

function refuse(reply: FastifyReply, refusal: Refusal) {
  if (refusal.statusCode === 401) reply.header('www-authenticate', 'Bearer')
  const error = refusal.statusCode === 401 ? 'Unauthorized' : 'Forbidden'
  return reply.code(refusal.statusCode).send({ statusCode: refusal.statusCode, error, message: refusal.message })
}
