// HTTP calls to providers, with the failures every provider shares turned into ProviderErrors: a network failure or
// timeout, 5xx, 429 (with Retry-After), and bodies that are cut off, too big or not JSON. What is left (2xx, 4xx
// with a JSON body) is for the provider code to read.
// Error messages name the host and path only: query strings and bodies may carry codes or tokens.
//
// No call is retried here: a failed call fails its sync, and the sync engine retries the connection later with
// exponential backoff (src/sync/next-sync.ts). Retrying inside a sync would multiply a provider's outage by the
// number of connections hitting it, and a hanging provider would hold a worker for several timeouts.
import { ProviderError } from './provider.js'

export interface ProviderHttpLimits {
  /** For the whole call: connecting, headers and the whole body. */
  timeoutMs: number
  /** Largest body read; a longer one is abandoned (the connection closed) without reading the rest. */
  maxResponseBytes: number
}

// Process-wide, like the HTTP agent it governs: one service runs with one config. createProviders sets them from
// PROVIDER_TIMEOUT_MS and PROVIDER_MAX_RESPONSE_BYTES; these defaults are the same as the config's.
const limits: ProviderHttpLimits = { timeoutMs: 15_000, maxResponseBytes: 32 * 1024 * 1024 }

export function setProviderHttpLimits(next: ProviderHttpLimits): void {
  limits.timeoutMs = next.timeoutMs
  limits.maxResponseBytes = next.maxResponseBytes
}

export function providerHttpLimits(): Readonly<ProviderHttpLimits> {
  return { ...limits }
}

export async function providerFetch(provider: string, url: URL, init: RequestInit = {}, timeoutMs = limits.timeoutMs): Promise<Response> {
  const where = `${provider} ${url.origin}${url.pathname}`
  let response: Response
  try {
    // The signal also covers reading the body (readJson): a provider that sends headers and then trickles, or
    // never finishes, is cut off at the same deadline.
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
  } catch (error) {
    throw new ProviderError('unavailable', `${where}: ${isTimeout(error) ? `no answer within ${seconds(timeoutMs)}` : 'network error'}; retry later`)
  }
  if (response.status === 429) {
    await discard(response)
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'))
    throw new ProviderError('rate_limited', `${where}: rate limit reached; retry in ${retryAfter ?? 60} s`, retryAfter ?? 60)
  }
  if (response.status >= 500) {
    await discard(response)
    throw new ProviderError('unavailable', `${where}: answered ${response.status}; retry later`, parseRetryAfter(response.headers.get('retry-after')))
  }
  return response
}

/**
 * The JSON body, or a ProviderError: a provider answering HTML (a gateway page, even with 200) or garbage must not
 * be half-parsed, a body cut off mid-way is a transient failure, and one beyond maxResponseBytes is refused as it
 * streams in (its declared length is checked first), so a runaway answer never fills our memory.
 */
export async function readJson(provider: string, url: URL, response: Response): Promise<unknown> {
  const where = `${provider} ${url.origin}${url.pathname}`
  const max = limits.maxResponseBytes
  const tooBig = (size: string) =>
    new ProviderError('bad_response', `${where}: answered ${size}, more than the ${max} bytes a provider answer may have (PROVIDER_MAX_RESPONSE_BYTES)`)
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > max) {
    await discard(response)
    throw tooBig(`${declared} bytes`)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  if (response.body) {
    const reader = response.body.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        size += value.byteLength
        if (size > max) {
          await reader.cancel().catch(() => {})
          throw tooBig(`more than ${size} bytes`)
        }
        chunks.push(value)
      }
    } catch (error) {
      if (error instanceof ProviderError) throw error
      const why = isTimeout(error) ? `no complete answer within ${seconds(limits.timeoutMs)}` : `connection closed after ${size} bytes, before the whole answer arrived`
      throw new ProviderError('unavailable', `${where}: ${why}; retry later`)
    }
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks, size))
  try {
    return JSON.parse(text) as unknown
  } catch {
    const type = response.headers.get('content-type')?.split(';')[0]?.trim()
    const what = type === 'text/html' ? 'an HTML page' : `a body that is not JSON${type ? ` (${type.slice(0, 60)})` : ''}`
    throw new ProviderError('bad_response', `${where}: answered ${response.status} with ${what}`)
  }
}

// A body we will not read is cancelled, so the connection is closed rather than drained at the provider's pace.
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {})
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || (error.cause instanceof Error && error.cause.name === 'TimeoutError'))
}

const seconds = (ms: number): string => `${ms / 1000} s`

// Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3).
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value)) return Number(value)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000))
}
