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
import { deleteConnection, getConnectionView, saveConnection } from '../../providers/connections.js'
import { consentInForce } from '../../providers/consents.js'
import { CredentialCipher } from '../../providers/crypto.js'
import { consumeOAuthState, STATE_PATTERN } from '../../providers/oauth-states.js'
import { ProviderError } from '../../providers/provider.js'
import { createProviders } from '../../providers/registry.js'
import { badRequest, errors, IdParams, notFound } from '../schemas.js'
import { returnBrowserToApp } from './browser-return.js'
import consentRoutes from './consents.js'
import credentialRoutes from './credentials.js'
import { connectionStatus, oauthConnect, startAuthorization, syncNow, type ConnectLimits } from './handlers.js'
import integrationRoutes from './integrations.js'
import { providerFailure } from './provider-failure.js'
import { AuthorizeAnswer, Connection, ConnectionStatus, FIFTEEN_MINUTES, PolicyVersion, ProviderParams, SyncResult } from './schemas.js'

export interface ConnectionsOptions {
  config: Config
}

const connections: FastifyPluginAsyncTypebox<ConnectionsOptions> = async (app, opts) => {
  const providers = createProviders(opts.config)
  const cipher = CredentialCipher.fromConfig(opts.config.credentialKeys)
  const deps = { sql: app.db.sql, cipher, providers }
  // The app registers an app-wide limit (src/plugins/rate-limit.ts) with the decorators used below; a second
  // registration would clash with them. Only a bare app (this plugin alone) needs its own, scoped (global: false).
  if (!app.hasDecorator('rateLimit')) await app.register(rateLimit, { global: false })
  // Routes using these say `config: { rateLimit: false }`: the app-wide limit would otherwise run first, and the
  // plugin checks one limit per request.
  const limits: ConnectLimits = {
    authorize: app.rateLimit({ max: 5, timeWindow: FIFTEEN_MINUTES, keyGenerator: (request) => `authorize:${request.userId}` }),
    // Here it also bounds password guessing through us against the provider.
    connect: app.rateLimit({ max: 5, timeWindow: FIFTEEN_MINUTES, keyGenerator: (request) => `connect:${request.userId}` }),
  }
  const oauthProvider = (name: string) => oauthConnect(providers.get(name))

  await app.register(async (scope) => {
    const api = scope.withTypeProvider<TypeBoxTypeProvider>()
    api.addHook('onRequest', api.authenticate)
    await api.register(credentialRoutes, { deps, limits })
    await api.register(consentRoutes, { providers })
    await api.register(integrationRoutes, { deps, limits })

    api.get('/connections', {
      schema: { response: { 200: Type.Object({ connections: Type.Array(ConnectionStatus) }), ...errors(401) } },
    }, async (request) => connectionStatus(deps, request.userId))

    // Answers the provider's login URL as JSON: an API client holding a bearer token calls this, then sends the
    // user's browser to the URL (a 302 would be followed by the client, not the browser).
    api.get('/connections/:provider/authorize', {
      config: { rateLimit: false },
      preHandler: limits.authorize,
      schema: {
        params: ProviderParams,
        querystring: Type.Object({
          region: Type.Optional(Type.String({ maxLength: 20, description: 'us, eu, jp or sandbox; default: DEXCOM_BASE_URL' })),
          consent: Type.Optional(PolicyVersion('Gives consent to connect under this privacy-policy version (or POST /api/v1/consents first)')),
        }, { additionalProperties: false }),
        response: { 200: AuthorizeAnswer, ...errors(400, 401, 404, 429, 503) },
      },
    }, async (request, reply) => startAuthorization(deps, reply, {
      userId: request.userId, provider: request.params.provider, ...request.query, consentHint: 'add ?consent=<privacy policy version>',
    }))

    api.post('/connections/:id/sync', {
      schema: { params: IdParams, response: { 200: SyncResult, ...errors(400, 401, 404, 409, 429, 502, 503) } },
    }, async (request, reply) => syncNow(deps, reply, request.userId, request.params.id))

    api.delete('/connections/:id', { schema: { params: IdParams, response: { 204: Type.Null(), ...errors(400, 401, 404) } } }, async (request, reply) => {
      const deleted = await deleteConnection(app.db.sql, request.userId, request.params.id)
      return deleted ? reply.code(204).send(null) : reply.code(404).send(notFound('no such connection'))
    })
  })

  app.get('/connections/:provider/callback', {
    // A browser coming back from the provider's login is sent on to the web view (/app); API clients get JSON.
    onSend: returnBrowserToApp,
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
    if (!connect) return reply.code(404).send(notFound(`no OAuth provider "${provider}"`))
    // Consumed first, whatever follows: a state is good for exactly one answer from the provider.
    const pending = await consumeOAuthState(app.db.sql, cipher, provider, request.query.state)
    if (!pending) {
      return reply.code(400).send(badRequest(`unknown, expired or already used state; start again with GET /api/v1/connections/${provider}/authorize`))
    }
    // Audited as this user's: the state proves whose flow it is (src/plugins/audit.ts).
    request.auditAs({ actorKind: 'oauth-callback', actorId: provider, subjectUserId: pending.userId })
    const { code, error } = request.query
    if (error !== undefined || code === undefined) {
      const why = error === 'access_denied' ? 'the login was declined' : `the provider answered "${(error ?? 'no code').slice(0, 60)}"`
      return reply.code(400).send(badRequest(`${provider} was not connected: ${why}; start again with GET /api/v1/connections/${provider}/authorize`))
    }
    // Consent may have been withdrawn while the user was at the provider's login page.
    if (!(await consentInForce(app.db.sql, pending.userId, provider))) {
      return reply.code(400).send(badRequest(`consent to connect ${provider} was withdrawn; give it again and start again with GET /api/v1/connections/${provider}/authorize`))
    }
    try {
      const credentials = await connect.exchangeCode({ code, region: pending.region, baseUrl: pending.baseUrl, codeVerifier: pending.codeVerifier })
      const id = await saveConnection(app.db.sql, cipher, { userId: pending.userId, provider, region: pending.region, credentials })
      return { connected: true as const, connection: (await getConnectionView(app.db.sql, pending.userId, id))! }
    } catch (failure) {
      if (failure instanceof ProviderError) return providerFailure(reply, failure)
      throw failure
    }
  })
}
export default connections
