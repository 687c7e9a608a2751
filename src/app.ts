// Builds the Fastify app: external plugins, then our plugins (errors, db, auth, rate limit), then routes. No
// listening here, so tests build the same app and drive it over real HTTP or inject.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyRequest, type FastifyServerOptions, type RouteOptions } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { Config } from './config.js'
import { redactingLoggerOptions } from './http/log-redaction.js'
import { schemaController } from './http/validator.js'
import audit, { routeCatalog } from './plugins/audit.js'
import auth from './plugins/auth.js'
import db from './plugins/db.js'
import errors from './plugins/errors.js'
import jobs from './plugins/jobs.js'
import metrics from './plugins/metrics.js'
import openapi from './plugins/openapi.js'
import live from './live/plugin.js'
import rateLimit from './plugins/rate-limit.js'
import securityHeaders from './plugins/security-headers.js'
import adminAudit from './routes/admin/audit.js'
import adminSync from './routes/admin/sync.js'
import alerts from './routes/alerts/index.js'
import connections from './routes/connections/index.js'
import glucoseCharts from './routes/glucose/charts.js'
import detectedMeals from './routes/glucose/detected-meals.js'
import insights from './routes/glucose/insights.js'
import latest from './routes/glucose/latest.js'
import glucoseMealResponse from './routes/glucose/meal-response.js'
import readings from './routes/glucose/readings.js'
import report from './routes/glucose/report.js'
import liveStream from './routes/live/stream.js'
import webhooks from './routes/live/webhooks.js'
import health from './routes/health.js'
import imports from './routes/imports/index.js'
import meals from './routes/meals/index.js'
import mealResponse from './routes/meals/response.js'
import me from './routes/me/index.js'
import nightscoutUpload from './routes/nightscout-upload/index.js'
import nightscoutUploadSettings from './routes/nightscout-upload/settings.js'
import web from './routes/web.js'

/**
 * Log options. Never log what a request carries: credentials in headers, health data in bodies, and query strings
 * (OAuth codes and states, api secrets, date ranges) — the request line keeps only the path. Bodies are never logged.
 */
export function loggerOptions(level: string, stream?: { write(line: string): void }): FastifyServerOptions['logger'] {
  // Credentials by key anywhere in a logged object, secrets in error texts (src/http/log-redaction.ts).
  const redacting = redactingLoggerOptions(level)
  return {
    ...redacting,
    serializers: {
      ...redacting.serializers,
      req: (req: FastifyRequest) => ({ method: req.method, path: req.url.split('?')[0], remoteAddress: req.ip }),
    },
    ...(stream && { stream }),
  }
}

export interface BuildOptions {
  logStream?: { write(line: string): void }
  /** Sees every route as it is added (before any is registered): how the fuzz test finds all routes, new ones too. */
  onRoute?: (route: RouteOptions) => void
}

export async function buildApp(config: Config, options: BuildOptions = {}) {
  const app = Fastify({
    logger: loggerOptions(config.logLevel, options.logStream),
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Unknown properties are rejected, never silently dropped; bodies are not type-coerced (src/http/validator.ts).
    schemaController,
    routerOptions: { ignoreTrailingSlash: true },
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
  }).withTypeProvider<TypeBoxTypeProvider>()
  if (options.onRoute) app.addHook('onRoute', options.onRoute)

  // First: it lists every route as it is added (the security tests cover them all).
  await app.register(routeCatalog)
  await app.register(errors)
  await app.register(securityHeaders, { corsOrigins: config.corsOrigins })
  // Before any route: the OpenAPI document (/docs) is built from the routes as they are added.
  await app.register(openapi)
  await app.register(db, { databaseUrl: config.databaseUrl, poolMax: config.dbPoolMax, migrateOnStart: config.migrateOnStart })
  await app.register(auth, { jwt: config.jwt, issuer: config.jwtIssuer, audience: config.jwtAudience })
  // Before any route: it decides per route, as routes are added, whether requests to it are audited.
  await app.register(audit)
  await app.register(jobs, { config })
  await app.register(live, { config })
  // GET /metrics and the per-request histogram (onResponse), before the routes it times.
  await app.register(metrics, { token: config.metricsToken })
  // Before any route: the plugin attaches its limit to routes as they are added.
  await app.register(rateLimit, { perMinute: config.rateLimitPerMinute })
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-request-id', reply.request.id)
  })

  await app.register(health)
  // The web view (/app): public static files; its script calls the API below with the user's bearer token.
  await app.register(web)
  // Outside the bearer scope below: the OAuth callback is authorized by its single-use state (see the plugin).
  await app.register(connections, { prefix: '/api/v1', config })
  // Nightscout-compatible upload routes: authenticated by the site's upload secret, not a bearer token.
  await app.register(nightscoutUpload, { perMinute: config.rateLimitPerMinute })
  await app.register(
    async (api) => {
      api.addHook('onRequest', api.authenticate)
      await api.register(me, { config })
      await api.register(adminSync)
      await api.register(adminAudit)
      await api.register(readings, { maxReadings: config.ingestMaxReadings })
      await api.register(latest)
      await api.register(meals)
      await api.register(mealResponse)
      await api.register(glucoseMealResponse)
      await api.register(insights)
      await api.register(detectedMeals)
      await api.register(report)
      await api.register(glucoseCharts)
      await api.register(liveStream)
      await api.register(alerts)
      await api.register(webhooks, { config })
      await api.register(imports, { maxBytes: config.importMaxBytes })
      await api.register(nightscoutUploadSettings, { publicBaseUrl: config.publicBaseUrl })
    },
    { prefix: '/api/v1' },
  )
  return app
}
