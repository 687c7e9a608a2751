// POST /api/v1/connections/<provider> for providers connected with credentials (LibreLinkUp, Nightscout): one route
// per provider, each validating its own fields plus the consent. The credentials are tried once (a login) before
// anything is stored, then kept only encrypted; the answer never carries them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { SyncDeps } from '../../providers/sync-connection.js'
import { errors } from '../schemas.js'
import { connectWithCredentials, type ConnectLimits } from './handlers.js'
import { Connection, ConsentInput } from './schemas.js'

const credentialRoutes: FastifyPluginAsyncTypebox<{ deps: SyncDeps; limits: ConnectLimits }> = async (api, { deps, limits }) => {
  for (const provider of deps.providers.values()) {
    const connect = provider.connect
    if (connect.kind !== 'credentials') continue
    const body = Type.Object({ ...connect.fields.properties, consent: ConsentInput }, { additionalProperties: false })

    api.post(`/connections/${provider.name}`, {
      config: { rateLimit: false },
      preHandler: limits.connect,
      schema: {
        body,
        response: { 201: Type.Object({ connected: Type.Literal(true), connection: Connection }), ...errors(400, 401, 409, 429, 502, 503) },
      },
    }, async (request, reply) => {
      const { consent, ...fields } = request.body as { consent: { policyVersion: string } } & Record<string, string>
      return connectWithCredentials(deps, reply, { userId: request.userId, provider: provider.name, connect, fields, policyVersion: consent.policyVersion })
    })
  }
}
export default credentialRoutes
