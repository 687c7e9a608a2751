// The OpenAPI 3.1 document, generated from the routes' own TypeBox schemas (@fastify/swagger): GET /docs/json and
// /docs/yaml, and a Swagger UI at /docs (@fastify/swagger-ui, which serves its own assets: works offline).
// Registered before any route: both plugins learn about routes as they are added (onRoute). Tags and security
// are derived from each route's path here, so route files need not repeat them.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { RouteOptions } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route added after this plugin, as registered (method, url, schema, handler): for tests and docs. */
    registeredRoutes: readonly RouteOptions[]
  }
}

export const DOCS_PREFIX = '/docs'

const TAGS = [
  { name: 'glucose', description: 'Readings in and out, latest value, reports, meal responses, insights, detected meals, live stream' },
  { name: 'meals', description: 'Logged meals with items and their glucose responses' },
  { name: 'connections', description: 'CGM provider links (Dexcom OAuth, LibreLinkUp, Nightscout), consents, sync now' },
  { name: 'imports', description: 'CSV exports of CGM apps' },
  { name: 'alerts', description: 'Threshold alerts (informational: not a medical device)' },
  { name: 'webhooks', description: 'Signed event deliveries to your endpoints' },
  { name: 'account', description: "The caller's settings and Nightscout upload site" },
  { name: 'admin', description: 'Operators only (token scope `admin`)' },
  { name: 'nightscout', description: 'Nightscout-compatible v1 API for uploader apps (xDrip+, Juggluco, nightscout-librelink-up…): `api-secret` header (SHA-1 of the site secret) or `?token=`, never a bearer token. Mounted at /ns/{siteId}/ and at the root.' },
  { name: 'operations', description: 'Liveness, readiness, metrics' },
]

// The first path segment after /api/v1 names the resource; a segment not listed here becomes its own tag.
const TAG_OF_SEGMENT: Record<string, string> = {
  glucose: 'glucose', meals: 'meals', connections: 'connections', integrations: 'connections', consents: 'connections',
  imports: 'imports', alerts: 'alerts', webhooks: 'webhooks', me: 'account', admin: 'admin',
}
// The Nightscout routes mounted at the root share /api/v1 with the bearer API (uploaders build these paths).
const NIGHTSCOUT_ROOT = /^\/api\/v1\/(entries|status|verifyauth|experiments|devicestatus)(\b|\/|\.|$)/
type Security = Array<Record<string, string[]>>
const NIGHTSCOUT_SECURITY: Security = [{ nightscoutApiSecret: [] }, { nightscoutToken: [] }]

/** Tag and security requirement of a route, from its path. */
export function classify(url: string): { tag: string; security: Security } {
  if (url.startsWith('/ns/') || NIGHTSCOUT_ROOT.test(url)) {
    // verifyauth answers without a secret too (it reports whether the secret was good).
    return { tag: 'nightscout', security: url.endsWith('/verifyauth') ? [...NIGHTSCOUT_SECURITY, {}] : NIGHTSCOUT_SECURITY }
  }
  const segment = /^\/api\/v1\/([^/]+)/.exec(url)?.[1]
  if (segment) {
    // The OAuth callback is reached by the user's browser with no token: its single-use state authorizes it.
    const security = url.endsWith('/:provider/callback') ? [] : [{ bearer: [] }]
    return { tag: TAG_OF_SEGMENT[segment] ?? segment, security }
  }
  if (url === '/metrics') return { tag: 'operations', security: [{ metricsToken: [] }, {}] }
  return { tag: url === '/health' || url === '/ready' ? 'operations' : url.split('/')[1] || 'operations', security: [] }
}

export default fp(
  async (app) => {
    const routes: RouteOptions[] = []
    app.decorate('registeredRoutes', routes)
    app.addHook('onRoute', (route) => {
      routes.push(route)
    })

    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Glucose time-series service',
          version: '0.1.0',
          description: 'CGM readings, meals and their glucose responses on TimescaleDB. Errors have one shape: '
            + '`{ statusCode, error, message, details? }` (Nightscout routes: `{ status, message }`). '
            + 'Unknown properties in bodies and queries are rejected (400), never dropped.',
        },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'JWT whose `sub` is the user UUID (HS256 JWT_SECRET or RS256 JWT_PUBLIC_KEY)' },
            nightscoutApiSecret: { type: 'apiKey', in: 'header', name: 'api-secret', description: 'SHA-1 hex of the Nightscout upload secret (or the secret itself)' },
            nightscoutToken: { type: 'apiKey', in: 'query', name: 'token', description: 'The upload secret as a query parameter' },
            metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN; without it /metrics answers loopback clients only' },
          },
        },
        tags: TAGS,
      },
      // Path-derived tags and security, unless a route set its own.
      transform: ({ schema, url }) => {
        const { tag, security } = classify(url)
        const own = schema ?? {}
        return { schema: { ...own, tags: own.tags ?? [tag], security: own.security ?? security }, url }
      },
    })

    await app.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      uiConfig: { deepLinking: true, persistAuthorization: false },
      // Its own policy on its own routes, replacing the app-wide one (src/plugins/security-headers.ts) there: the
      // page loads only its own scripts and styles and fetches the document from this origin, but Swagger UI applies
      // inline styles (expanding an operation in Chromium: blocked under style-src 'self'), hence 'unsafe-inline'
      // for styles only; scripts stay 'self'. No upgrade-insecure-requests: the page must work on http://localhost.
      staticCSP: "default-src 'self'; base-uri 'self'; connect-src 'self'; font-src 'self' data:; form-action 'self'; "
        + "frame-ancestors 'self'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; "
        + "style-src 'self' 'unsafe-inline'",
    })
  },
  { name: 'openapi' },
)
