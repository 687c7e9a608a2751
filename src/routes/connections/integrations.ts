// /api/v1/integrations/cgm/*: the endpoint names issue 3 seeds, as aliases of /api/v1/connections/* for clients
// that only know a provider's name. Every body of work is a shared handler (handlers.ts) or domain function, so
// the two names cannot drift apart; only the request shapes differ (provider in the body, not the path).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'
import { deleteConnection, listConnections } from '../../providers/connections.js'
import type { SyncDeps } from '../../providers/sync-connection.js'
import { badRequest, errors, notFound } from '../schemas.js'
import { connectionStatus, connectWithCredentials, startAuthorization, syncNow, type ConnectLimits } from './handlers.js'
import { AuthorizeAnswer, Connection, ConnectionStatus, ConsentInput, ProviderParams, SyncResult } from './schemas.js'

type ConnectBody = { provider: string; consent: { policyVersion: string }; region?: string } & Record<string, unknown>

const integrationRoutes: FastifyPluginAsyncTypebox<{ deps: SyncDeps; limits: ConnectLimits }> = async (api, { deps, limits }) => {
  // One branch per provider, picked by `provider`: a validation error then names that provider's fields only,
  // instead of every branch's complaints (which anyOf would list). Needs ajv's `discriminator` (src/http/validator.ts).
  const branches: TSchema[] = [...deps.providers.values()].map((p) => Type.Object({
    provider: Type.Literal(p.name),
    ...(p.connect.kind === 'credentials'
      ? p.connect.fields.properties
      : { region: Type.Optional(Type.String({ maxLength: 20, description: 'us, eu, jp or sandbox; default: DEXCOM_BASE_URL' })) }),
    consent: ConsentInput,
  }, { additionalProperties: false }))
  const body = Type.Unsafe<ConnectBody>({ type: 'object', required: ['provider'], discriminator: { propertyName: 'provider' }, oneOf: branches })

  api.post('/integrations/cgm/connect', {
    config: { rateLimit: false },
    // The same limiter instances as /connections/*: both names draw on one allowance per user.
    async preHandler(request, reply) {
      const oauth = deps.providers.get(request.body.provider)?.connect.kind === 'oauth2'
      return (oauth ? limits.authorize : limits.connect).call(this, request, reply)
    },
    schema: {
      body,
      response: {
        200: AuthorizeAnswer,
        201: Type.Object({ connected: Type.Literal(true), connection: Connection }),
        ...errors(400, 401, 404, 409, 429, 502, 503),
      },
    },
  }, async (request, reply) => {
    const { provider, consent, region, ...fields } = request.body
    const connect = deps.providers.get(provider)!.connect // the discriminator admits registered names only
    if (connect.kind === 'oauth2') {
      return startAuthorization(deps, reply, { userId: request.userId, provider, region, consent: consent.policyVersion, consentHint: 'send consent' })
    }
    return connectWithCredentials(deps, reply, {
      userId: request.userId, provider, connect, fields: fields as Record<string, string>, policyVersion: consent.policyVersion,
    })
  })

  api.get('/integrations/cgm/status', {
    schema: { response: { 200: Type.Object({ connections: Type.Array(ConnectionStatus) }), ...errors(401) } },
  }, async (request) => connectionStatus(deps, request.userId))

  api.post('/integrations/cgm/sync', {
    // A POST without a body is "sync my connection": validate it as {} (Fastify validates an absent body as is).
    async preValidation(request) {
      request.body ??= {}
    },
    schema: {
      body: Type.Object({
        connectionId: Type.Optional(Type.String({ format: 'uuid', description: 'Default: the only connection, if there is one' })),
      }, { additionalProperties: false }),
      response: { 200: SyncResult, ...errors(400, 401, 404, 409, 429, 502, 503) },
    },
  }, async (request, reply) => {
    let id = request.body.connectionId
    if (id === undefined) {
      const mine = await listConnections(deps.sql, request.userId)
      if (mine.length === 0) {
        return reply.code(404).send(notFound('no connection to sync; connect one with POST /api/v1/integrations/cgm/connect'))
      }
      if (mine.length > 1) {
        const which = mine.map((c) => `${c.provider} ${c.id}`).join(', ')
        return reply.code(400).send(badRequest(`you have ${mine.length} connections (${which}): name one with connectionId`))
      }
      id = mine[0]!.id
    }
    return syncNow(deps, reply, request.userId, id)
  })

  api.delete('/integrations/cgm/:provider', {
    schema: { params: ProviderParams, response: { 204: Type.Null(), ...errors(400, 401, 404) } },
  }, async (request, reply) => {
    // One connection per user and provider (cgm_connections_user_provider), so the name identifies it.
    const connection = (await listConnections(deps.sql, request.userId)).find((c) => c.provider === request.params.provider)
    if (connection && (await deleteConnection(deps.sql, request.userId, connection.id))) return reply.code(204).send(null)
    return reply.code(404).send(notFound(`no ${request.params.provider} connection`))
  })
}
export default integrationRoutes
