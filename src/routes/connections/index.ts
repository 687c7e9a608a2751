// /api/v1/connections: link CGM providers, list and remove links, pull a connection's data now. Credential
// connects (credentials.ts) and /api/v1/consents (consents.ts) are registered from here, inside the bearer scope,
// so app.ts registers this one plugin.
// Registered at the root with prefix /api/v1 (not inside the bearer-authenticated scope): the OAuth callback is
// reached by the user's browser coming back from the provider, with no bearer token, and is authorized by its
// single-use state instead. Every other route here authenticates.
import rateLimit from '@fastify/rate-limit'
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { deleteConnection, getConnectionView, listConnections, saveConnection } from '../../providers/connections.js'
import { consentInForce, giveConsent } from '../../providers/consents.js'
import { CredentialCipher } from '../../providers/crypto.js'
import { consumeOAuthState, createOAuthState, STATE_PATTERN } from '../../providers/oauth-states.js'
import { ProviderError, type OAuthConnect } from '../../providers/provider.js'
import { createProviders } from '../../providers/registry.js'
import { SyncRefused, syncConnection } from '../../providers/sync-connection.js'
import { errors, IdParams } from '../schemas.js'
import consentRoutes from './consents.js'
import credentialRoutes from './credentials.js'
import { providerFailure } from './provider-failure.js'
import { Connection, FIFTEEN_MINUTES, PolicyVersion, SyncResult } from './schemas.js'

export interface ConnectionsOptions {
  config: Config
}

const ProviderParams = Type.Object({ provider: Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' }) })

const connections: FastifyPluginAsyncTypebox<ConnectionsOptions> = async (app, opts) => {
  const providers = createProviders(opts.config)
  const cipher = CredentialCipher.fromConfig(opts.config.credentialKeys)
  const deps = { sql: app.db.sql, cipher, providers }
  // Scoped here (global: false): only the routes below that ask for a limit get one. An app-wide instance, if the
  // app registers one, already provides the decorators, and a second registration would clash with them.
  if (!app.hasDecorator('rateLimit')) await app.register(rateLimit, { global: false })

  const oauthProvider = (name: string): OAuthConnect | undefined => {
    const connect = providers.get(name)?.connect
    return connect?.kind === 'oauth2' ? connect : undefined
  }

  await app.register(async (scope) => {
    const api = scope.withTypeProvider<TypeBoxTypeProvider>()
    api.addHook('onRequest', api.authenticate)
    await api.register(credentialRoutes, { deps })
    await api.register(consentRoutes, { providers })

    api.get('/connections', { schema: { response: { 200: Type.Object({ connections: Type.Array(Connection) }), ...errors(401) } } }, async (request) => ({
      connections: await listConnections(app.db.sql, request.userId),
    }))

    // Answers the provider's login URL as JSON: an API client holding a bearer token calls this, then sends the
    // user's browser to the URL (a 302 would be followed by the client, not the browser).
    api.get('/connections/:provider/authorize', {
      // Issue 3: connect/callback at most 5 requests per 15 minutes per user.
      config: { rateLimit: { max: 5, timeWindow: FIFTEEN_MINUTES, keyGenerator: (request) => `authorize:${request.userId}` } },
      schema: {
        params: ProviderParams,
        querystring: Type.Object({
          region: Type.Optional(Type.String({ maxLength: 20, description: 'us, eu, jp or sandbox; default: DEXCOM_BASE_URL' })),
          consent: Type.Optional(PolicyVersion('Gives consent to connect under this privacy-policy version (or POST /api/v1/consents first)')),
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ authorizeUrl: Type.String(), region: Type.String(), expiresAt: Type.String() }), ...errors(400, 401, 404, 429, 503) },
      },
    }, async (request, reply) => {
      const { provider } = request.params
      const connect = oauthProvider(provider)
      if (!connect) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no OAuth provider "${provider}"` })
      if (!connect.configured()) {
        return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: `${provider} is not configured on this server (client id and secret missing)` })
      }
      const target = connect.resolveRegion(request.query.region)
      if (!target) return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: `unknown region "${request.query.region}"; use us, eu, jp or sandbox` })
      const { consent } = request.query
      if (consent !== undefined) await giveConsent(app.db.sql, { userId: request.userId, provider, policyVersion: consent })
      else if (!(await consentInForce(app.db.sql, request.userId, provider))) {
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: `consent required to connect ${provider}: add ?consent=<privacy policy version> or POST /api/v1/consents first` })
      }
      const { state, expiresAt } = await createOAuthState(app.db.sql, { userId: request.userId, provider, ...target })
      return { authorizeUrl: connect.authorizeUrl({ state, baseUrl: target.baseUrl }), region: target.region, expiresAt: expiresAt.toISOString() }
    })

    api.post('/connections/:id/sync', {
      schema: { params: IdParams, response: { 200: SyncResult, ...errors(400, 401, 404, 409, 429, 502, 503) } },
    }, async (request, reply) => {
      try {
        const result = await syncConnection(deps, request.userId, request.params.id)
        if (!result) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'no such connection' })
        return { ...result, connection: (await getConnectionView(app.db.sql, request.userId, request.params.id))! }
      } catch (error) {
        if (error instanceof SyncRefused) {
          // reauth_required and busy are about this connection's state (409); an unknown provider is ours (503).
          const [code, name] = error.reason === 'unknown_provider' ? [503 as const, 'Service Unavailable'] : [409 as const, 'Conflict']
          return reply.code(code).send({ statusCode: code, error: name, message: error.message })
        }
        if (error instanceof ProviderError) return providerFailure(reply, error)
        throw error
      }
    })

    api.delete('/connections/:id', { schema: { params: IdParams, response: { 204: Type.Null(), ...errors(400, 401, 404) } } }, async (request, reply) => {
      const deleted = await deleteConnection(app.db.sql, request.userId, request.params.id)
      return deleted ? reply.code(204).send(null) : reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'no such connection' })
    })
  })

  app.get('/connections/:provider/callback', {
    // The URL carries the authorization code and state: keep it out of the request log (req.query is redacted,
    // but the default request serializer logs req.url with its query string).
    logLevel: 'warn',
    // No user is known before the state is checked: limited per client address. 256-bit states cannot be guessed;
    // this bounds the database work an anonymous caller can cause.
    config: { rateLimit: { max: 30, timeWindow: FIFTEEN_MINUTES } },
    schema: {
      params: ProviderParams,
      querystring: Type.Object({
        state: Type.String({ pattern: STATE_PATTERN, description: 'The state issued by /authorize' }),
        code: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
        error: Type.Optional(Type.String({ maxLength: 200 })),
        error_description: Type.Optional(Type.String({ maxLength: 2000 })),
      }),
      response: { 200: Type.Object({ connected: Type.Literal(true), connection: Connection }), ...errors(400, 404, 429, 502, 503) },
    },
  }, async (request, reply) => {
    const { provider } = request.params
    const connect = oauthProvider(provider)
    if (!connect) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no OAuth provider "${provider}"` })
    // Consumed first, whatever follows: a state is good for exactly one answer from the provider.
    const pending = await consumeOAuthState(app.db.sql, provider, request.query.state)
    if (!pending) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: `unknown, expired or already used state; start again with GET /api/v1/connections/${provider}/authorize` })
    }
    const { code, error } = request.query
    if (error !== undefined || code === undefined) {
      const why = error === 'access_denied' ? 'the login was declined' : `the provider answered "${(error ?? 'no code').slice(0, 60)}"`
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: `${provider} was not connected: ${why}; start again with GET /api/v1/connections/${provider}/authorize` })
    }
    // Consent may have been withdrawn while the user was at the provider's login page.
    if (!(await consentInForce(app.db.sql, pending.userId, provider))) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: `consent to connect ${provider} was withdrawn; give it again and start again with GET /api/v1/connections/${provider}/authorize` })
    }
    try {
      const credentials = await connect.exchangeCode({ code, region: pending.region, baseUrl: pending.baseUrl })
      const id = await saveConnection(app.db.sql, cipher, { userId: pending.userId, provider, region: pending.region, credentials })
      return { connected: true as const, connection: (await getConnectionView(app.db.sql, pending.userId, id))! }
    } catch (failure) {
      if (failure instanceof ProviderError) return providerFailure(reply, failure)
      throw failure
    }
  })
}
export default connections
