// HTTP hardening for a JSON API that also serves a few pages of its own (/docs, the web view at /app):
//  - helmet: nosniff, no framing, no referrer, HSTS, cross-origin isolation headers, and a Content-Security-Policy
//    of `default-src 'self'` — pages may load their own scripts, styles and images, nothing from elsewhere, no
//    inline scripts. A page that needs more relaxes it on its route (`helmet: { contentSecurityPolicy: … }` in the
//    route options, @fastify/helmet's per-route override), never app-wide.
//  - CORS: closed unless CORS_ORIGINS lists exact origins. Bearer tokens, not cookies, so no credentials mode.
//  - Cache-Control: no-store on API answers (health data must not sit in shared or browser caches) unless a route
//    sets its own.
import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

export interface SecurityHeadersOptions {
  corsOrigins: readonly string[]
}

const API_PREFIXES = ['/api/', '/ns/']

export default fp<SecurityHeadersOptions>(
  async (app, opts) => {
    await app.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'base-uri': ["'self'"],
          'connect-src': ["'self'"],
          'font-src': ["'self'", 'data:'],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
          'img-src': ["'self'", 'data:'],
          'object-src': ["'none'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          // No upgrade-insecure-requests: local http://127.0.0.1 pages would have their own assets upgraded to https.
        },
      },
      // Answers are for API clients on other origins too (with CORS); 'same-site' would block their no-cors loads only.
      crossOriginResourcePolicy: { policy: 'same-origin' },
      referrerPolicy: { policy: 'no-referrer' },
    })

    const allowed = new Set(opts.corsOrigins)
    await app.register(cors, {
      // Exact match only: no wildcards, no reflection of arbitrary origins.
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'last-event-id'],
      exposedHeaders: ['x-request-id', 'retry-after', 'x-rejected-entries', 'x-rejected-entries-detail'],
      credentials: false,
      maxAge: 600,
    })

    app.addHook('onSend', async (request, reply) => {
      if (!reply.hasHeader('cache-control') && API_PREFIXES.some((p) => request.url.startsWith(p))) reply.header('cache-control', 'no-store')
    })
  },
  { name: 'security-headers' },
)
