// POST /api/v1/connections/<provider> for providers connected with credentials (LibreLinkUp, Nightscout): one route
// per provider, each validating its own fields plus the consent. The credentials are tried once (a login) before
// anything is stored, then kept only encrypted; the answer never carries them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { getConnectionView, saveConnection } from '../../providers/connections.js'
import { giveConsent } from '../../providers/consents.js'
import { ProviderError } from '../../providers/provider.js'
import type { SyncDeps } from '../../providers/sync-connection.js'
import { errors } from '../schemas.js'
import { connectFailure } from './provider-failure.js'
import { Connection, ConsentInput, FIFTEEN_MINUTES } from './schemas.js'

const credentialRoutes: FastifyPluginAsyncTypebox<{ deps: SyncDeps }> = async (api, { deps }) => {
  for (const provider of deps.providers.values()) {
    const connect = provider.connect
    if (connect.kind !== 'credentials') continue
    const body = Type.Object({ ...connect.fields.properties, consent: ConsentInput }, { additionalProperties: false })

    api.post(`/connections/${provider.name}`, {
      // Issue 3: connect at most 5 requests per 15 minutes per user; here it also bounds password guessing
      // through us against the provider.
      config: { rateLimit: { max: 5, timeWindow: FIFTEEN_MINUTES, keyGenerator: (request) => `connect:${request.userId}` } },
      schema: {
        body,
        response: { 201: Type.Object({ connected: Type.Literal(true), connection: Connection }), ...errors(400, 401, 409, 429, 502, 503) },
      },
    }, async (request, reply) => {
      const { consent, ...fields } = request.body as { consent: { policyVersion: string } } & Record<string, string>
      try {
        const { credentials, region } = await connect.login(fields)
        // Recorded only once the credentials worked: a failed attempt connects nothing, so there is nothing to consent to.
        await giveConsent(deps.sql, { userId: request.userId, provider: provider.name, policyVersion: consent.policyVersion })
        const id = await saveConnection(deps.sql, deps.cipher, { userId: request.userId, provider: provider.name, region, credentials })
        return reply.code(201).send({ connected: true as const, connection: (await getConnectionView(deps.sql, request.userId, id))! })
      } catch (error) {
        if (error instanceof ProviderError) return connectFailure(reply, error)
        throw error
      }
    })
  }
}
export default credentialRoutes
