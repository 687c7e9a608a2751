// Dexcom's OAuth2 authorization-code flow (shared/reference/PROVIDERS.md): login URL, code exchange, refresh.
// Plain fetch rather than @fastify/oauth2: that plugin fixes one token host per registration (a connection's
// region picks its host at connect time), keeps refresh on the Fastify instance (a background sync has none), and
// checks state against a cookie (our authorize call comes from an API client, not the browser that returns). Its
// engine, simple-oauth2, logs whole token requests (client secret, refresh token) under DEBUG=simple-oauth2:*.
// The flow itself is two form POSTs; state handling is src/providers/oauth-states.ts.
import { providerFetch, readJson } from '../http.js'
import { ProviderError } from '../provider.js'

export interface DexcomClient {
  clientId: string
  clientSecret: string
  redirectUri: string
}

export interface DexcomCredentials {
  accessToken: string
  refreshToken: string
  /** ISO 8601; when the access token stops working. */
  expiresAt: string
  /** The host that issued the tokens: they work nowhere else. */
  baseUrl: string
  region: string
  [key: string]: string
}

/**
 * PKCE (RFC 7636, S256) on top of the client secret: PROVIDERS.md does not say whether Dexcom checks it
 * (UNCONFIRMED); a server that does not know the parameters must ignore them (RFC 6749 §3.1, §3.2), so sending
 * them costs nothing, and a server that knows them binds the code to this flow's verifier.
 */
export function authorizeUrl(client: DexcomClient, baseUrl: string, state: string, codeChallenge: string): string {
  const url = new URL('/v2/oauth2/login', baseUrl)
  url.search = new URLSearchParams({
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    response_type: 'code',
    scope: 'offline_access', // the only scope Dexcom has; it is what grants a refresh token
    state,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  }).toString()
  return url.toString()
}

export async function exchangeCode(
  client: DexcomClient,
  input: { code: string; baseUrl: string; region: string; codeVerifier: string | undefined },
): Promise<DexcomCredentials> {
  const grant = { grant_type: 'authorization_code', code: input.code, ...(input.codeVerifier && { code_verifier: input.codeVerifier }) }
  return tokenRequest(client, input.baseUrl, input.region, grant, 'denied')
}

/** invalid_grant here means the refresh token is spent, expired or revoked: the user has to connect again. */
export async function refreshTokens(client: DexcomClient, credentials: DexcomCredentials): Promise<DexcomCredentials> {
  return tokenRequest(
    client,
    credentials.baseUrl,
    credentials.region,
    { grant_type: 'refresh_token', refresh_token: credentials.refreshToken },
    'reauth_required',
  )
}

async function tokenRequest(
  client: DexcomClient,
  baseUrl: string,
  region: string,
  grant: Record<string, string>,
  onInvalidGrant: 'denied' | 'reauth_required',
): Promise<DexcomCredentials> {
  const url = new URL('/v2/oauth2/token', baseUrl)
  const issuedAt = Date.now()
  const response = await providerFetch('dexcom', url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uri: client.redirectUri,
      ...grant,
    }).toString(),
  })
  const body = (await readJson('dexcom', url, response)) as Record<string, unknown>
  if (!response.ok) {
    const error = typeof body?.error === 'string' ? body.error : `HTTP ${response.status}`
    if (error === 'invalid_grant') {
      throw new ProviderError(onInvalidGrant, onInvalidGrant === 'reauth_required'
        ? 'Dexcom no longer accepts this connection (invalid_grant); connect Dexcom again'
        : 'Dexcom rejected the authorization code (invalid_grant: expired, used, or for another redirect URI); start again')
    }
    if (error === 'invalid_client') {
      throw new ProviderError('denied', 'Dexcom rejected our client credentials; check DEXCOM_CLIENT_ID and DEXCOM_CLIENT_SECRET')
    }
    throw new ProviderError('bad_response', `Dexcom token endpoint answered ${response.status} (${error.slice(0, 60)})`)
  }
  const { access_token, refresh_token, expires_in } = body
  if (typeof access_token !== 'string' || typeof refresh_token !== 'string' || typeof expires_in !== 'number' || !(expires_in > 0)) {
    throw new ProviderError('bad_response', 'Dexcom token response lacks access_token, refresh_token or expires_in')
  }
  return {
    accessToken: access_token,
    refreshToken: refresh_token,
    // Counted from before the request was sent, so our idea of expiry is never later than Dexcom's.
    expiresAt: new Date(issuedAt + expires_in * 1000).toISOString(),
    baseUrl,
    region,
  }
}
