// HTTP calls to providers, with the failures every provider shares turned into ProviderErrors: a network failure or
// timeout, 5xx, and 429 (with Retry-After). What is left (2xx, 4xx) is for the provider code to read.
// Error messages name the host and path only: query strings and bodies may carry codes or tokens.
import { ProviderError } from './provider.js'

const DEFAULT_TIMEOUT_MS = 15_000

export async function providerFetch(provider: string, url: URL, init: RequestInit = {}, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Response> {
  const where = `${provider} ${url.origin}${url.pathname}`
  let response: Response
  try {
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
  } catch (error) {
    const why = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : 'network error'
    throw new ProviderError('unavailable', `${where}: ${why}; retry later`)
  }
  if (response.status === 429) {
    await response.body?.cancel()
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'))
    throw new ProviderError('rate_limited', `${where}: rate limit reached; retry in ${retryAfter ?? 60} s`, retryAfter ?? 60)
  }
  if (response.status >= 500) {
    await response.body?.cancel()
    throw new ProviderError('unavailable', `${where}: answered ${response.status}; retry later`, parseRetryAfter(response.headers.get('retry-after')))
  }
  return response
}

/** JSON body or a bad_response error: a provider answering HTML (a gateway page) must not be half-parsed. */
export async function readJson(provider: string, url: URL, response: Response): Promise<unknown> {
  const text = await response.text()
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new ProviderError('bad_response', `${provider} ${url.origin}${url.pathname}: answered ${response.status} with a body that is not JSON`)
  }
}

// Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3).
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value)) return Number(value)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000))
}
