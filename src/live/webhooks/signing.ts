// How webhook bodies are signed (documented in README "Webhooks"): HMAC-SHA256 with the webhook's secret over
// `${timestamp}.${body}`, sent as `x-glucose-signature: t=<unix seconds>,v1=<hex>`. The timestamp is signed so
// a captured request cannot be replayed later: receivers refuse signatures older than the replay window.
import { createHmac, timingSafeEqual } from 'node:crypto'

export const SIGNATURE_HEADER = 'x-glucose-signature'
export const DELIVERY_HEADER = 'x-glucose-delivery'
export const EVENT_HEADER = 'x-glucose-event'
export const REPLAY_WINDOW_SECONDS = 300

export function signatureHeader(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')
  return `t=${timestampSeconds},v1=${mac}`
}

/** The receiver's side, as documented: what a client backend runs on each request (here for the tests and docs). */
export function verifySignature(secret: string, body: string, header: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]))
  const t = Number(parts.t)
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > REPLAY_WINDOW_SECONDS || !parts.v1) return false
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'))
  const given = Buffer.from(parts.v1)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
