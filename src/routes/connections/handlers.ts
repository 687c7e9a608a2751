// Handler bodies shared by /api/v1/connections/* and their issue-3 seed names /api/v1/integrations/cgm/*: each
// takes what the route parsed and answers on its reply, so both names behave alike and the logic lives once.
import type { FastifyReply, preHandlerAsyncHookHandler } from 'fastify'
import { getConnectionView, listConnectionStatus, saveConnection } from '../../providers/connections.js'
import { consentInForce, giveConsent } from '../../providers/consents.js'
import { createOAuthState } from '../../providers/oauth-states.js'
import { ProviderError, type CgmProvider, type CredentialConnect, type OAuthConnect } from '../../providers/provider.js'
import { SyncRefused, syncConnection, type SyncDeps } from '../../providers/sync-connection.js'
import { connectFailure, providerFailure } from './provider-failure.js'
import { notFound } from '../schemas.js'

/**
 * Issue 3: connect at most 5 requests per 15 minutes per user. One limiter instance per kind, shared by every
 * route name that starts that kind of connect: a second name must not double the allowance.
 */
export interface ConnectLimits {
  authorize: preHandlerAsyncHookHandler
  connect: preHandlerAsyncHookHandler
}

export const oauthConnect = (provider: CgmProvider | undefined): OAuthConnect | undefined =>
  provider?.connect.kind === 'oauth2' ? provider.connect : undefined

const fail = (reply: FastifyReply, statusCode: 400 | 404 | 503, error: string, message: string) =>
  reply.code(statusCode).send({ statusCode, error, message })

/** The provider's login URL with a fresh single-use state bound to the user; consent given now or earlier. */
export async function startAuthorization(
  deps: SyncDeps,
  reply: FastifyReply,
  input: { userId: string; provider: string; region?: string | undefined; consent?: string | undefined; consentHint: string },
) {
  const { provider, userId } = input
  const connect = oauthConnect(deps.providers.get(provider))
  if (!connect) return fail(reply, 404, 'Not Found', `no OAuth provider "${provider}"`)
  if (!connect.configured()) return fail(reply, 503, 'Service Unavailable', `${provider} is not configured on this server (client id and secret missing)`)
  const target = connect.resolveRegion(input.region)
  if (!target) return fail(reply, 400, 'Bad Request', `unknown region "${input.region}"; use us, eu, jp or sandbox`)
  if (input.consent !== undefined) await giveConsent(deps.sql, { userId, provider, policyVersion: input.consent })
  else if (!(await consentInForce(deps.sql, userId, provider))) {
    return fail(reply, 400, 'Bad Request', `consent required to connect ${provider}: ${input.consentHint} or POST /api/v1/consents first`)
  }
  const { state, codeChallenge, expiresAt } = await createOAuthState(deps.sql, deps.cipher, { userId, provider, ...target })
  return { authorizeUrl: connect.authorizeUrl({ state, codeChallenge, baseUrl: target.baseUrl }), region: target.region, expiresAt: expiresAt.toISOString() }
}

/** Logs in once with what the user sent; only then records consent and stores the credentials (encrypted). */
export async function connectWithCredentials(
  deps: SyncDeps,
  reply: FastifyReply,
  input: { userId: string; provider: string; connect: CredentialConnect; fields: Record<string, string>; policyVersion: string },
) {
  const { userId, provider } = input
  try {
    const { credentials, region } = await input.connect.login(input.fields)
    // Recorded only once the credentials worked: a failed attempt connects nothing, so there is nothing to consent to.
    await giveConsent(deps.sql, { userId, provider, policyVersion: input.policyVersion })
    const id = await saveConnection(deps.sql, deps.cipher, { userId, provider, region, credentials })
    return reply.code(201).send({ connected: true as const, connection: (await getConnectionView(deps.sql, userId, id))! })
  } catch (error) {
    if (error instanceof ProviderError) return connectFailure(reply, error)
    throw error
  }
}

/** Pulls the connection's new data now; the answer carries the counts and the connection as it is afterwards. */
export async function syncNow(deps: SyncDeps, reply: FastifyReply, userId: string, id: string) {
  try {
    const result = await syncConnection(deps, userId, id)
    if (!result) return reply.code(404).send(notFound('no such connection'))
    return { ...result, connection: (await getConnectionView(deps.sql, userId, id))! }
  } catch (error) {
    if (error instanceof SyncRefused) {
      // reauth_required and busy are about this connection's state (409); an unknown provider is ours (503).
      const [code, name] = error.reason === 'unknown_provider' ? [503 as const, 'Service Unavailable'] : [409 as const, 'Conflict']
      return reply.code(code).send({ statusCode: code, error: name, message: error.message })
    }
    if (error instanceof ProviderError) return providerFailure(reply, error)
    throw error
  }
}

export async function connectionStatus(deps: SyncDeps, userId: string) {
  return { connections: await listConnectionStatus(deps.sql, userId, (name) => deps.providers.get(name)?.source) }
}
