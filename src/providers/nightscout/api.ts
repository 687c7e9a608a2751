// GETs against a user's Nightscout site (cgm-remote-monitor API v1), authenticated the two documented ways:
// `api-secret: <sha1 hex of API_SECRET>` or `?token=<access token>` (PROVIDERS.md).
import { providerFetch, readJson } from '../http.js'
import { ProviderError } from '../provider.js'
import { assertPublicHost } from '../public-host.js'

export interface NightscoutCredentials {
  /** Normalised site URL with a trailing slash (a site may live under a path). */
  siteUrl: string
  /**
   * The SHA-1 of the API secret, never the secret: it is all the API needs, and users reuse the secret to log in
   * to the site's admin pages. Still encrypted, as it grants the same API access.
   */
  apiSecretSha1: string | null
  token: string | null
  [key: string]: string | null
}

const NAME = 'nightscout'

export interface NightscoutOptions {
  /** Allow sites on loopback and private networks (development, tests); never in production. */
  allowPrivateHosts: boolean
}

export async function nightscoutGet(
  options: NightscoutOptions,
  credentials: NightscoutCredentials,
  path: string,
  query: Record<string, string> = {},
): Promise<unknown> {
  const url = new URL(path, credentials.siteUrl)
  if (!options.allowPrivateHosts) await assertPublicHost(NAME, url)
  url.search = new URLSearchParams({ ...query, ...(credentials.token !== null && { token: credentials.token }) }).toString()
  const response = await providerFetch(NAME, url, {
    headers: { accept: 'application/json', ...(credentials.apiSecretSha1 !== null && { 'api-secret': credentials.apiSecretSha1 }) },
  })
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel()
    throw new ProviderError('reauth_required', 'the Nightscout site refused the API secret or token; connect Nightscout again with a valid one')
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel()
    const to = response.headers.get('location')
    throw new ProviderError('bad_response', `the Nightscout site redirects${to ? ` to ${new URL(to, url).origin}` : ''}; connect with the URL it redirects to`)
  }
  if (response.status === 404) {
    await response.body?.cancel()
    throw new ProviderError('bad_response', `no Nightscout API at ${url.origin}${url.pathname}; check the site URL`)
  }
  const body = await readJson(NAME, url, response)
  if (!response.ok) throw new ProviderError('bad_response', `Nightscout ${url.pathname} answered ${response.status}`)
  return body
}
