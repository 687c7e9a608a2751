// One error shape for every failure: { statusCode, error, message, details? }. Client errors say what and where;
// server errors are logged with the request id and answered without internals.
import fp from 'fastify-plugin'
import type { FastifyError } from 'fastify'
import { STATUS_CODES } from 'node:http'

export default fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const statusCode = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
      if (error.validation) {
        const details = error.validation.map((v) => ({
          field: `${error.validationContext ?? ''}${v.instancePath || ''}`.replace(/\//g, '.').replace(/^\.|\.$/g, ''),
          message: v.message ?? 'is invalid',
        }))
        const where = details.map((d) => `${d.field || error.validationContext} ${d.message}`).join('; ')
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: `invalid request: ${where}`, details })
      }
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        const limit = request.routeOptions.bodyLimit
        return reply.code(413).send({ statusCode: 413, error: 'Payload Too Large',
          message: `request body is larger than this route's limit of ${limit} bytes; send fewer items per request (see BODY_LIMIT_BYTES)` })
      }
      if (isUserGone(error)) {
        // The account was erased (DELETE /api/v1/me, maybe by another process) after this request was authenticated.
        // This process forgets it knew the user, so sending the request again starts a new, empty account.
        ;(request.server as { forgetUser?: (id: string) => void }).forgetUser?.(request.userId)
        return reply.code(409).send({ statusCode: 409, error: 'Conflict',
          message: 'this account was deleted while the request ran; nothing was stored (sending it again starts a new, empty account)' })
      }
      if (isDatabaseUnavailable(error)) {
        request.log.warn({ code: (error as { code?: string }).code }, 'database unavailable')
        return reply.code(503).header('retry-after', '5')
          .send({ statusCode: 503, error: 'Service Unavailable', message: 'the database is unavailable; retry shortly' })
      }
      if (statusCode >= 500) {
        request.log.error({ err: error }, 'request failed')
        return reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode], message: 'internal error; see the service log for this request id' })
      }
      return reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode], message: error.message })
    })
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
    )
  },
  { name: 'errors' },
)

// postgres.js connection failures and PostgreSQL's "cannot serve now" classes: a client should retry, not report
// a bug. 57P01–57P03: admin shutdown, crash shutdown, cannot connect now; 53300: too many connections. EPIPE: a
// query written to a pooled connection the server had just closed, before the driver saw the close (found by
// test/reliability/db-restart.test.ts: it was a 500); EHOSTUNREACH/ENETUNREACH: the database's network is gone.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED',
  'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03', '53300'])

// 23503 foreign_key_violation on a `<table>_user_id_fkey` (every per-user table's reference to users, hypertable
// chunks' copies included): the user row is gone.
function isUserGone(error: unknown): boolean {
  const { code, constraint_name: constraint } = error as { code?: unknown; constraint_name?: unknown }
  return code === '23503' && typeof constraint === 'string' && constraint.endsWith('user_id_fkey')
}

function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && UNAVAILABLE_CODES.has(code)
}
