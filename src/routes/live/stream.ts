// GET /api/v1/glucose/stream: the user's live events as Server-Sent Events (src/live/).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { latestEventId } from '../../live/events.js'
import { LiveStream } from '../../live/stream.js'
import { badRequest, errors } from '../schemas.js'

const Query = Type.Object(
  { lastEventId: Type.Optional(Type.String({ description: 'For EventSource polyfills that cannot send the Last-Event-ID header' })) },
  { additionalProperties: false },
)

const EVENT_ID = /^\d{1,15}$/
// How long an EventSource waits before reconnecting after the stream ends (SSE `retry:`), in ms.
const RETRY_MS = 3000

const description = `Server-Sent Events (text/event-stream) of the caller's events as they are committed: \`reading\` (the newest
reading of each commit: time, value in mg/dL, trend, trendRate, source, and count/from/to of the readings the commit
stored — a backfill is a few events, not one per reading), \`alert\`, \`connection\` (a connection's status changed)
and \`meal-response\` (mealIds whose response was computed). Each message has \`id:\` and \`event:\`; reconnect with the
Last-Event-ID header (or ?lastEventId=) to get what was missed, up to 24 h back. A \`: ping\` comment every
LIVE_HEARTBEAT_SECONDS; at most LIVE_MAX_STREAMS_PER_USER open streams per user per process (429 beyond).
Alerts are informational only: this service is not a medical device.`

const stream: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/glucose/stream',
    { schema: { description, querystring: Query, response: errors(400, 401, 429) } },
    async (request, reply) => {
      const header = request.headers['last-event-id']
      const given = (typeof header === 'string' && header !== '' ? header : undefined) ?? request.query.lastEventId
      if (given !== undefined && !EVENT_ID.test(given.trim())) {
        return reply.code(400).send(badRequest('Last-Event-ID must be the id of an event this stream sent (digits)', [{ field: 'lastEventId', message: 'not an event id' }]))
      }
      const lastId = given !== undefined ? Number(given.trim()) : await latestEventId(app.db.sql, request.userId)
      // No await from this check to app.live.add: two streams opened at once cannot both take the last place.
      if (!app.live.hasRoom(request.userId)) {
        return reply.code(429).send({
          statusCode: 429, error: 'Too Many Requests',
          message: 'too many open streams for this user: close one (each app or tab needs only one) and try again',
        })
      }

      // From here the response is ours, not Fastify's: headers, body and the end (LiveHub.close on shutdown).
      reply.hijack()
      const res = reply.raw
      request.raw.socket.setTimeout(0) // the server's connectionTimeout would cut a quiet stream between pings
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no', // nginx: do not buffer the stream
        'x-request-id': request.id,
      })
      res.write(`retry: ${RETRY_MS}\n: connected\n\n`)
      const live = new LiveStream(request.userId, lastId, res, app.db.sql, (error) =>
        request.log.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'live: reading events failed'))
      app.live.add(live)
      res.on('close', () => {
        live.end()
        app.live.remove(live)
      })
      live.wake() // the replay after Last-Event-ID, or nothing new yet
    },
  )
}
export default stream
