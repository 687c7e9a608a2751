// GET /api/v1/me/export?format=json|csv: everything the service holds about the caller, as a download produced
// while it is sent (src/privacy/export.ts; shapes documented there and in the README).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Readable } from 'node:stream'
import { Type } from 'typebox'
import { exportUserData } from '../../privacy/export.js'
import { errors } from '../schemas.js'

const CONTENT_TYPES = { json: 'application/json; charset=utf-8', csv: 'text/csv; charset=utf-8' } as const

/**
 * An export holds one pooled connection from start to end (its snapshot), as long as the client takes to read it.
 * So, per process: one export at a time per user (429), and at most a quarter of the pool for exports altogether
 * (503 with Retry-After), leaving the rest to the API.
 */
const exportRoute: FastifyPluginAsyncTypebox<{ poolMax: number }> = async (app, { poolMax }) => {
  const maxRunning = Math.max(1, Math.floor(poolMax / 4))
  const running = new Set<string>()

  app.get(
    '/me/export',
    {
      schema: {
        querystring: Type.Object(
          { format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })) },
          { additionalProperties: false },
        ),
        // The body is streamed, never serialized: this schema only documents it.
        response: { 200: Type.Unknown({ description: 'The export: a JSON document or a CSV file (attachment)' }), ...errors(400, 401, 429, 503) },
      },
    },
    async (request, reply) => {
      const { userId } = request
      if (running.has(userId)) {
        return reply.code(429).header('retry-after', '60')
          .send({ statusCode: 429, error: 'Too Many Requests', message: 'an export of this account is already being downloaded; wait for it to finish' })
      }
      if (running.size >= maxRunning) {
        return reply.code(503).header('retry-after', '30')
          .send({ statusCode: 503, error: 'Service Unavailable', message: 'too many exports are running; retry in a minute' })
      }
      running.add(userId)
      const format = request.query.format ?? 'json'
      const chunks = exportUserData(app.db.sql, userId, format)
      let first: IteratorResult<string>
      try {
        // Taken before answering: a database that cannot start the export's transaction is a proper error
        // response, not a 200 cut short.
        first = await chunks.next()
      } catch (error) {
        running.delete(userId)
        throw error
      }
      const body = Readable.from((async function* () {
        if (!first.done) yield first.value
        yield* chunks
      })())
      // However the response ends (finished, client gone before or during the stream), the transaction and its
      // reserved connection are released: a generator the stream never started would otherwise hold them.
      body.once('close', () => {
        running.delete(userId)
        void chunks.return(undefined).catch(() => {})
      })
      const day = new Date().toISOString().slice(0, 10)
      return reply
        .header('content-disposition', `attachment; filename="glucose-export-${day}.${format}"`)
        .header('cache-control', 'no-store') // health data: never kept by a cache on the way
        .type(CONTENT_TYPES[format])
        .send(body)
    },
  )
}
export default exportRoute
