// /api/v1/webhooks: register endpoints for live event types; deliveries are signed and retried by the worker
// (src/live/webhooks/). Verification recipe: README "Webhooks".
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { DEFAULT_WEBHOOK_OPTIONS } from '../../live/webhooks/worker.js'
import { attemptDelivery } from '../../live/webhooks/deliver.js'
import { createWebhook, deleteWebhook, listDeliveries, listWebhooks, setWebhookEnabled, WEBHOOK_EVENT_TYPES } from '../../live/webhooks/store.js'
import { CredentialCipher } from '../../providers/crypto.js'
import { badRequest, errors, IdParams, notFound } from '../schemas.js'

const Webhook = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  consecutiveFailures: Type.Integer(),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
})
const Created = Type.Intersect([Webhook, Type.Object({ secret: Type.String({ description: 'The signing secret: shown only in this answer' }) })])
const CreateBody = Type.Object(
  {
    url: Type.String({ format: 'uri', maxLength: 2000, description: 'https:// endpoint (http:// only where private hosts are allowed: development)' }),
    events: Type.Array(Type.Enum(WEBHOOK_EVENT_TYPES), { minItems: 1, uniqueItems: true }),
  },
  { additionalProperties: false },
)
const Delivery = Type.Object({
  id: Type.Integer(), eventId: Type.Union([Type.Integer(), Type.Null()]), event: Type.String(), status: Type.String(),
  attempts: Type.Integer(), statusCodes: Type.Array(Type.Integer(), { description: 'Each attempt\'s HTTP status; 0 = no answer' }),
  lastError: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String(), finishedAt: Type.Union([Type.String(), Type.Null()]),
})
const MAX_WEBHOOKS_PER_USER = 10

const webhooks: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const cipher = CredentialCipher.fromConfig(config.credentialKeys)
  const allowPrivateHosts = config.providerAllowPrivateHosts

  app.post('/webhooks', {
    schema: { description: 'Register an endpoint for event types. Deliveries are signed (x-glucose-signature); see README "Webhooks".', body: CreateBody, response: { 201: Created, ...errors(400, 401) } },
  }, async (request, reply) => {
    const url = new URL(request.body.url)
    if (url.protocol !== 'https:' && !(allowPrivateHosts && url.protocol === 'http:')) {
      return reply.code(400).send(badRequest('url must start with https://', [{ field: 'url', message: 'not https' }]))
    }
    if ((await listWebhooks(app.db.sql, request.userId)).length >= MAX_WEBHOOKS_PER_USER) {
      return reply.code(400).send(badRequest(`at most ${MAX_WEBHOOKS_PER_USER} webhooks per user: delete one first`))
    }
    return reply.code(201).send(await createWebhook(app.db.sql, cipher, request.userId, url.toString(), request.body.events))
  })

  app.get('/webhooks', { schema: { response: { 200: Type.Object({ webhooks: Type.Array(Webhook) }), ...errors(401) } } },
    async (request) => ({ webhooks: await listWebhooks(app.db.sql, request.userId) }))

  app.patch('/webhooks/:id', {
    schema: {
      description: 'Enable (also after an automatic disable; the failure count restarts) or disable a webhook',
      params: IdParams, body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }), response: { 200: Webhook, ...errors(400, 401, 404) },
    },
  }, async (request, reply) => {
    const updated = await setWebhookEnabled(app.db.sql, request.userId, request.params.id, request.body.enabled)
    return updated ?? reply.code(404).send(notFound('no such webhook'))
  })

  app.delete('/webhooks/:id', { schema: { params: IdParams, response: { 204: Type.Null(), ...errors(400, 401, 404) } } }, async (request, reply) => {
    if (!(await deleteWebhook(app.db.sql, request.userId, request.params.id))) return reply.code(404).send(notFound('no such webhook'))
    return reply.code(204).send(null)
  })

  app.get('/webhooks/:id/deliveries', {
    schema: { description: 'The delivery log, newest first (kept 7 days)', params: IdParams, response: { 200: Type.Object({ deliveries: Type.Array(Delivery) }), ...errors(400, 401, 404) } },
  }, async (request, reply) => {
    const deliveries = await listDeliveries(app.db.sql, request.userId, request.params.id, 100)
    return deliveries ? { deliveries } : reply.code(404).send(notFound('no such webhook'))
  })

  app.post('/webhooks/:id/test', {
    schema: {
      description: 'Send a `test` event to the endpoint now (one attempt, no retry) and answer what it answered',
      params: IdParams, response: { 200: Type.Object({ deliveryId: Type.Integer(), delivered: Type.Boolean(), statusCode: Type.Union([Type.Integer(), Type.Null()]) }), ...errors(400, 401, 404) },
    },
  }, async (request, reply) => {
    const [row] = await app.db.sql<{ id: string }[]>`
      INSERT INTO webhook_deliveries (webhook_id, event_type, payload, status)
      SELECT id, 'test', ${app.db.sql.json({ message: 'a test delivery' })}, 'queued' FROM webhooks WHERE id = ${request.params.id} AND user_id = ${request.userId}
      RETURNING id`
    if (!row) return reply.code(404).send(notFound('no such webhook'))
    const outcome = await attemptDelivery(app.db.sql, cipher, Number(row.id), { ...DEFAULT_WEBHOOK_OPTIONS, maxAttempts: 1, allowPrivateHosts })
    return { deliveryId: Number(row.id), delivered: outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300, statusCode: outcome.statusCode }
  })
}
export default webhooks
