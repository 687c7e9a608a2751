// Bearer JWT authentication. The token's `sub` is the user id; every data query is scoped by it, so the only way to
// reach a user's rows is a token for that user. HS256 (shared secret) or RS256 (issuer's public key) from config.
import { createVerifier, TokenError } from 'fast-jwt'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import { ensureUser } from '../users/users.js'

declare module 'fastify' {
  interface FastifyInstance {
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>
    /** A preHandler (after authenticate) that answers 403 unless the token's `scope` claim lists `scope`. */
    requireScope(scope: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    /** Drops a deleted user from this process's cache of known users (DELETE /api/v1/me). */
    forgetUser(userId: string): void
  }
  interface FastifyRequest {
    userId: string
    /** The token's `scope` claim (OAuth 2 style: space-separated), e.g. `admin` for operator routes; '' if none. */
    scope: string
  }
}

export interface AuthPluginOptions {
  jwt: Config['jwt']
  issuer?: string | undefined
  audience?: string | undefined
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// Users known to exist in this process: saves one INSERT ... ON CONFLICT per request. Bounded; cleared when full.
// Entries expire: a user deleted through another process (DELETE /api/v1/me) is re-created here, empty, within
// this long, instead of failing every write on the missing row until a restart.
const KNOWN_USERS_MAX = 100_000
const KNOWN_USER_TTL_MS = 60_000

export default fp<AuthPluginOptions>(
  async (app, opts) => {
    const verify = createVerifier({
      key: opts.jwt.key,
      algorithms: [opts.jwt.algorithm], // pinned: a token cannot choose its own algorithm ('none', HS/RS confusion)
      ...(opts.issuer && { allowedIss: opts.issuer }),
      ...(opts.audience && { allowedAud: opts.audience }),
      cache: true, // verified tokens are cached until they expire: signature checks dominate small reads otherwise
    })
    const knownUsers = new Map<string, number>() // user id -> when ensured (ms)
    app.decorateRequest('userId', '')
    app.decorateRequest('scope', '')

    app.decorate('authenticate', async (request: FastifyRequest, reply: FastifyReply) => {
      const header = request.headers.authorization
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined
      if (!token) return unauthorized(reply, 'missing bearer token: send Authorization: Bearer <jwt>')
      let sub: unknown
      let scope: unknown
      try {
        ;({ sub, scope } = verify(token) as { sub?: unknown; scope?: unknown })
      } catch (error) {
        const why = error instanceof TokenError && error.code === TokenError.codes.expired ? 'token expired' : 'invalid token'
        return unauthorized(reply, why)
      }
      if (typeof sub !== 'string' || !UUID.test(sub)) return unauthorized(reply, 'token subject (sub) must be a user UUID')
      const userId = sub.toLowerCase()
      const ensuredAt = knownUsers.get(userId)
      if (ensuredAt === undefined || Date.now() - ensuredAt > KNOWN_USER_TTL_MS) {
        await ensureUser(app.db.kysely, userId)
        if (knownUsers.size >= KNOWN_USERS_MAX) knownUsers.clear()
        knownUsers.set(userId, Date.now())
      }
      request.userId = userId
      request.scope = typeof scope === 'string' ? scope : ''
    })

    app.decorate('forgetUser', (userId: string) => {
      knownUsers.delete(userId)
    })

    app.decorate('requireScope', (scope: string) => async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.scope.split(' ').includes(scope)) {
        return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: `this route needs a token with the "${scope}" scope` })
      }
    })
  },
  { name: 'auth', dependencies: ['db'] },
)

function unauthorized(reply: FastifyReply, message: string) {
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer')
    .send({ statusCode: 401, error: 'Unauthorized', message })
}
