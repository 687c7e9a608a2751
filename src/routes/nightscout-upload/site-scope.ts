// What the Nightscout-compatible routes share: who the request is (the upload site, from the secret), Nightscout's
// error shape, and a body parser as lenient as Nightscout's. Applied to one encapsulated scope, so the rest of the
// API keeps its own parsers, error shape and bearer authentication.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Sql } from '../../db/connect.js'
import { presentedSecretHash, sameHash, storedSecretHash } from '../../nightscout-upload/credentials.js'
import { findSiteById, findSiteBySecretHash, type UploadSite } from '../../nightscout-upload/sites.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The upload site the request authenticated as (Nightscout-compatible routes only). */
    nightscoutSite: UploadSite | null
  }
  interface FastifyContextConfig {
    /** Answers without a valid secret too (verifyauth reports the verdict instead of refusing). */
    nightscoutPublic?: boolean
  }
}

/** Nightscout's error body (lib/middleware/send-json-status.js), which its clients know: `{ status, message }`. */
export const nightscoutError = (status: number, message: string, description?: string) =>
  ({ status, message, ...(description !== undefined && { description }) })

// cgm-remote-monitor lib/authorization: what every refused request gets.
const UNAUTHORIZED = nightscoutError(401, 'Unauthorized', 'Invalid/Missing')
// Compared against when the site id is unknown, so a wrong site id costs the same time as a wrong secret.
const NO_SITE_HASH = storedSecretHash('0'.repeat(40))

/**
 * `sitePath`: the site id is in the URL (/ns/<site id>/api/v1/…) and the secret must match that site's.
 * Otherwise (routes at the root, for clients that drop the path) the secret alone finds the site.
 */
export async function resolveSite(sql: Sql, request: FastifyRequest, sitePath: boolean): Promise<UploadSite | undefined> {
  const presented = presentedSecretHash(request.headers['api-secret'], (request.query as { token?: unknown }).token)
  if (presented === undefined) return undefined
  if (!sitePath) return findSiteBySecretHash(sql, presented)
  const site = await findSiteById(sql, (request.params as { siteId: string }).siteId)
  return sameHash(site?.secretHash ?? NO_SITE_HASH, presented) && site ? site : undefined
}

export function configureScope(app: FastifyInstance, sql: Sql, sitePath: boolean): void {
  app.decorateRequest('nightscoutSite', null)

  // Scope-level, so it runs before the route-level rate limit, which is then keyed by site (see index.ts).
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    request.nightscoutSite = (await resolveSite(sql, request, sitePath)) ?? null
    if (!request.nightscoutSite && !request.routeOptions.config.nightscoutPublic) return reply.code(401).send(UNAUTHORIZED)
  })

  // Any content type is read as JSON: uploaders send `application/json` with or without a charset, and some HTTP
  // stacks default to text/plain or form encoding. An empty body is an empty upload, as Nightscout treats it
  // (Fastify's own parser would answer 400 to `Content-Length: 0`).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = (body as string).trim()
    if (text === '') return done(null, [])
    try {
      done(null, JSON.parse(text))
    } catch (error) {
      done(Object.assign(new Error(`the body is not JSON (${(error as Error).message}); send an array of entries`), { statusCode: 400 }), undefined)
    }
  })

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
    if (status >= 500) {
      request.log.error({ err: error }, 'nightscout request failed')
      return reply.code(status).send(nightscoutError(status, 'internal error; see the service log for this request id'))
    }
    return reply.code(status).send(nightscoutError(status, error.message))
  })
}
