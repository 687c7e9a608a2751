// The app-wide request limit (issue 3: "a sensible global limit"). One counter per user across every route, so a
// runaway client is slowed wherever it calls; before authentication is known (health, the OAuth callback) the
// client address counts instead. Routes with their own `config.rateLimit` (connect/authorize/callback) are counted
// by that stricter limit instead of this one.
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

export interface RateLimitOptions {
  perMinute: number
}

export default fp<RateLimitOptions>(
  async (app, opts) => {
    await app.register(rateLimit, {
      global: true,
      max: opts.perMinute,
      timeWindow: 60_000,
      // Runs as a route-level onRequest hook, i.e. after the scope's authenticate hook: userId is set by then on
      // every bearer-authenticated route. A request refused with 401 never reaches it (it cost a signature check).
      keyGenerator: (request: FastifyRequest) => (request.userId ? `user:${request.userId}` : `ip:${request.ip}`),
      // Thrown, so the errors plugin answers with the one error shape; the plugin has already set Retry-After.
      errorResponseBuilder: (_request, context) =>
        Object.assign(new Error(`rate limit of ${context.max} requests exceeded; retry in ${context.after} (see Retry-After)`), {
          statusCode: context.statusCode,
        }),
    })
  },
  { name: 'rate-limit', dependencies: ['errors', 'auth'] },
)
