// /api/v1/consents: give consent to connect a provider ahead of an OAuth flow, list what is in force, and revoke
// it — which disconnects the provider and, with deleteReadings, deletes the readings it delivered.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { giveConsent, listConsents, revokeConsent } from '../../providers/consents.js'
import type { ProviderRegistry } from '../../providers/registry.js'
import { errors, notFound } from '../schemas.js'
import { Consent, PolicyVersion } from './schemas.js'

const consentRoutes: FastifyPluginAsyncTypebox<{ providers: ProviderRegistry }> = async (api, { providers }) => {
  const unknown = (name: string) => notFound(`no provider "${name}"; known: ${[...providers.keys()].join(', ')}`)

  api.get('/consents', { schema: { response: { 200: Type.Object({ consents: Type.Array(Consent) }), ...errors(401) } } }, async (request) => ({
    consents: await listConsents(api.db.sql, request.userId),
  }))

  api.post('/consents', {
    schema: {
      body: Type.Object({
        provider: Type.String({ maxLength: 40 }),
        policyVersion: PolicyVersion('Version of the privacy policy the user agreed to'),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ consent: Consent }), ...errors(400, 401, 404) },
    },
  }, async (request, reply) => {
    const { provider, policyVersion } = request.body
    if (!providers.has(provider)) return reply.code(404).send(unknown(provider))
    return reply.code(201).send({ consent: await giveConsent(api.db.sql, { userId: request.userId, provider, policyVersion }) })
  })

  api.post('/consents/:provider/revoke', {
    schema: {
      params: Type.Object({ provider: Type.String({ maxLength: 40 }) }),
      body: Type.Object({
        deleteReadings: Type.Optional(Type.Boolean({ default: false, description: "Also delete the readings this provider delivered" })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({ revoked: Type.Boolean(), disconnected: Type.Boolean(), readingsDeleted: Type.Integer() }),
        ...errors(400, 401, 404),
      },
    },
  }, async (request, reply) => {
    const provider = providers.get(request.params.provider)
    if (!provider) return reply.code(404).send(unknown(request.params.provider))
    // Answered even when nothing was in force, so a client can retry a revoke without special cases.
    return revokeConsent(api.db.sql, {
      userId: request.userId, provider: provider.name, source: provider.source, deleteReadings: request.body.deleteReadings === true,
    })
  })
}
export default consentRoutes
