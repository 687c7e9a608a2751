// Authenticated GETs to Dexcom API v3 for one connection. Refreshes the access token ahead of expiry, and once
// more if Dexcom answers 401 anyway (its clock, a revoked token): a second 401 is an error, never a loop.
import { providerFetch, readJson } from '../http.js'
import { ProviderError } from '../provider.js'
import { refreshTokens, type DexcomClient, type DexcomCredentials } from './oauth.js'

// Refresh when less than this is left: a multi-window sync must not have its token expire half-way.
export const REFRESH_AHEAD_MS = 5 * 60_000

export class DexcomSession {
  // At most one refresh ahead of expiry per session: were Dexcom's token lifetime ever shorter than REFRESH_AHEAD_MS,
  // refreshing before every call would spend a token pair per request. The 401 path still covers real expiry.
  private refreshedAhead = false

  constructor(
    private readonly client: DexcomClient,
    private credentials: DexcomCredentials,
    private readonly save: (credentials: DexcomCredentials) => Promise<void>,
  ) {}

  async get(path: string, query: Record<string, string> = {}): Promise<Record<string, unknown>> {
    if (!this.refreshedAhead && Date.parse(this.credentials.expiresAt) - Date.now() < REFRESH_AHEAD_MS) {
      this.refreshedAhead = true
      await this.refresh()
    }
    let response = await this.call(path, query)
    if (response.status === 401) {
      await response.body?.cancel()
      await this.refresh()
      response = await this.call(path, query)
      if (response.status === 401) {
        await response.body?.cancel()
        throw new ProviderError('denied', `Dexcom refused a freshly issued access token for ${path}`)
      }
    }
    const url = new URL(path, this.credentials.baseUrl)
    const body = await readJson('dexcom', url, response)
    if (!response.ok) {
      const message = typeof (body as { message?: unknown })?.message === 'string' ? (body as { message: string }).message : ''
      throw new ProviderError('bad_response', `Dexcom ${path} answered ${response.status}${message ? `: ${message.slice(0, 200)}` : ''}`)
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ProviderError('bad_response', `Dexcom ${path} answered something other than a JSON object`)
    }
    return body as Record<string, unknown>
  }

  private async refresh(): Promise<void> {
    const next = await refreshTokens(this.client, this.credentials)
    // Saved before use: Dexcom's refresh tokens rotate, the old one is already spent.
    await this.save(next)
    this.credentials = next
  }

  private call(path: string, query: Record<string, string>): Promise<Response> {
    const url = new URL(path, this.credentials.baseUrl)
    url.search = new URLSearchParams(query).toString()
    return providerFetch('dexcom', url, {
      headers: { authorization: `Bearer ${this.credentials.accessToken}`, accept: 'application/json' },
    })
  }
}
