// Liveness (the process answers) and readiness (the database answers within a second), for load balancers.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { detectEdition } from '../db/migrate.js'
import { withTimeout } from '../http/with-timeout.js'

const READY_TIMEOUT_MS = 1000

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }))

  app.get(
    '/ready',
    {
      schema: {
        response: {
          200: Type.Object({ status: Type.Literal('ready'), timescaledb: Type.String() }),
          503: Type.Object({ status: Type.Literal('unavailable'), reason: Type.String() }),
        },
      },
    },
    async (_request, reply) => {
      try {
        const edition = await withTimeout(detectEdition(app.db.sql), READY_TIMEOUT_MS)
        return { status: 'ready' as const, timescaledb: edition }
      } catch (error) {
        return reply.code(503).send({ status: 'unavailable' as const, reason: `database: ${(error as Error).message}` })
      }
    },
  )
}
export default health
