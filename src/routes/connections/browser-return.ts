// Where a person's browser lands after an OAuth provider's login: the callback answers JSON to API clients, and a
// browser navigation (the web view's "Connect" button) is sent back to the web view instead, to a fixed path with a
// fixed outcome code: no address or message from the request is reflected, so the callback cannot be used as an
// open redirect or to put a provider's (attacker-choosable) error text on our page.
import type { FastifyReply, FastifyRequest } from 'fastify'

const PROVIDER = /^[a-z][a-z0-9-]{0,30}$/

/** A top-level page load, not a fetch/XHR: browsers say so in Sec-Fetch-Mode, older ones by asking for HTML. */
function isBrowserNavigation(request: FastifyRequest): boolean {
  const mode = request.headers['sec-fetch-mode']
  if (mode !== undefined) return mode === 'navigate'
  return (request.headers.accept ?? '').includes('text/html')
}

/** The codes src/web/app.js knows (CONNECT_RESULTS), from the status code the callback answered with. */
function outcome(statusCode: number): string {
  if (statusCode >= 200 && statusCode < 300) return 'connected'
  if (statusCode === 429) return 'limited'
  if (statusCode >= 500) return 'unavailable'
  return 'declined'
}

/** onSend hook of the callback route: the same outcome as the JSON answer, as a 303 to /app for a browser. */
export async function returnBrowserToApp(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  if (!isBrowserNavigation(request)) return payload
  const provider = (request.params as { provider?: unknown }).provider
  const query = new URLSearchParams({ ...(typeof provider === 'string' && PROVIDER.test(provider) && { connect: provider }), result: outcome(reply.statusCode) })
  const location = `/app?${query}`
  reply.code(303).header('location', location).header('content-type', 'text/plain; charset=utf-8').removeHeader('content-length')
  return `See ${location}`
}
