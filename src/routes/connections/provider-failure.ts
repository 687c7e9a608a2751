// Provider errors to HTTP answers, in one place for every connections route.
import type { FastifyReply } from 'fastify'
import type { ProviderError } from '../../providers/provider.js'
import { badRequest } from '../schemas.js'

/**
 * Provider trouble is never the client's fault: 502 for a refusal or a bad answer, 503 for try-again-later, 409
 * when the connection needs the user (connect again, or act at the provider first).
 */
export function providerFailure(reply: FastifyReply, error: ProviderError) {
  if (error.kind === 'reauth_required' || error.kind === 'action_required') {
    return reply.code(409).send({ statusCode: 409, error: 'Conflict', message: error.message })
  }
  if (error.kind === 'rate_limited' || error.kind === 'unavailable') {
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds))
    return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: error.message })
  }
  return reply.code(502).send({ statusCode: 502, error: 'Bad Gateway', message: error.message })
}

/** While connecting, refused credentials are what the user just sent: a 400 that says what to fix. */
export function connectFailure(reply: FastifyReply, error: ProviderError) {
  if (error.kind === 'reauth_required') return reply.code(400).send(badRequest(error.message))
  return providerFailure(reply, error)
}
