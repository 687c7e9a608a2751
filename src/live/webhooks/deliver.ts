// One delivery attempt: POST the signed body, record the status code, and decide what happens next. A webhook that
// keeps failing is disabled (a dead endpoint must not cost retries forever); any success resets its count.
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import type { Sql } from '../../db/connect.js'
import type { CredentialCipher } from '../../providers/crypto.js'
import { isPrivateAddress } from '../../providers/public-host.js'
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from './signing.js'
import { webhookSecret } from './store.js'

export interface DeliveryPolicy {
  /** Attempts per delivery (the first and the retries). */
  maxAttempts: number
  /** Failed attempts in a row, across deliveries, after which the webhook is disabled. */
  disableAfterFailures: number
  timeoutMs: number
  /** Whether endpoints may resolve to loopback/private addresses (config.providerAllowPrivateHosts). */
  allowPrivateHosts: boolean
}

/** 'done' (delivered, given up, or nothing to do) or 'retry' (the caller, a pg-boss job, fails so it is retried). */
export type AttemptOutcome = { result: 'done' | 'retry'; statusCode: number | null }

export async function attemptDelivery(sql: Sql, cipher: CredentialCipher, deliveryId: number, policy: DeliveryPolicy): Promise<AttemptOutcome> {
  const [d] = await sql<{
    webhook_id: string; url: string; enabled: boolean; secret_encrypted: Uint8Array; event_id: string | null
    event_type: string; payload: unknown; status: string; attempts: number; created_at: Date
  }[]>`
    SELECT d.webhook_id, w.url, w.enabled, w.secret_encrypted, d.event_id, d.event_type, d.payload, d.status, d.attempts, d.created_at
    FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ${deliveryId}`
  if (!d || d.status === 'delivered' || d.status === 'failed' || d.status === 'skipped') return { result: 'done', statusCode: null }
  if (!d.enabled) {
    await sql`UPDATE webhook_deliveries SET status = 'skipped', last_error = 'webhook disabled', finished_at = now() WHERE id = ${deliveryId}`
    return { result: 'done', statusCode: null }
  }
  const body = JSON.stringify({ id: d.event_id === null ? null : Number(d.event_id), type: d.event_type, createdAt: d.created_at.toISOString(), data: d.payload })
  let statusCode: number | null = null
  let error: string | null = null
  try {
    const url = new URL(d.url)
    if (!policy.allowPrivateHosts) await assertPublic(url)
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'manual', // a redirect is an answer, not an invitation to post the body elsewhere
      signal: AbortSignal.timeout(policy.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'glucose-service-webhooks',
        [SIGNATURE_HEADER]: signatureHeader(webhookSecret(cipher, d.webhook_id, d.secret_encrypted), body, Math.floor(Date.now() / 1000)),
        [DELIVERY_HEADER]: String(deliveryId),
        [EVENT_HEADER]: d.event_type,
      },
      body,
    })
    statusCode = response.status
    await response.body?.cancel()
    if (statusCode < 200 || statusCode > 299) error = `the endpoint answered ${statusCode}`
  } catch (e) {
    error = e instanceof Error && e.name === 'TimeoutError' ? `no answer within ${policy.timeoutMs} ms` : `could not reach the endpoint: ${(e as Error).message}`
  }
  const ok = error === null
  const attempts = d.attempts + 1
  const finalStatus = ok ? 'delivered' : attempts >= policy.maxAttempts ? 'failed' : 'queued'
  await sql.begin(async (tx) => {
    await tx`
      UPDATE webhook_deliveries
      SET attempts = ${attempts}, attempt_codes = attempt_codes || ${statusCode ?? 0}::int, last_error = ${error}, status = ${finalStatus},
          finished_at = ${finalStatus === 'queued' ? null : new Date()}
      WHERE id = ${deliveryId}`
    if (ok) await tx`UPDATE webhooks SET consecutive_failures = 0 WHERE id = ${d.webhook_id}`
    else {
      await tx`
        UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,
          enabled = enabled AND consecutive_failures + 1 < ${policy.disableAfterFailures},
          disabled_reason = CASE WHEN consecutive_failures + 1 >= ${policy.disableAfterFailures}
            THEN ${`disabled after ${policy.disableAfterFailures} failed deliveries in a row; fix the endpoint and enable it again`} ELSE disabled_reason END
        WHERE id = ${d.webhook_id}`
    }
  })
  return { result: finalStatus === 'queued' ? 'retry' : 'done', statusCode }
}

async function assertPublic(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address)
  if (addresses.some(isPrivateAddress)) throw new Error(`${host} resolves to a private or local address`)
}
