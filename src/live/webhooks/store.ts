// Webhook registrations and their delivery log (migrations/0020_live_events.sql). Deliveries are written by
// insertEvents (src/live/events.ts) in the events' own transaction — an outbox — and sent by the worker
// (src/live/webhooks/worker.ts). Secrets are encrypted at rest with the credentials key (CREDENTIALS_KEY).
import { randomBytes, randomUUID } from 'node:crypto'
import type { Sql } from '../../db/connect.js'
import type { CredentialCipher } from '../../providers/crypto.js'

export const WEBHOOK_EVENT_TYPES = ['reading', 'meal-response', 'connection', 'alert'] as const

export interface WebhookView {
  id: string
  url: string
  events: string[]
  enabled: boolean
  consecutiveFailures: number
  disabledReason: string | null
  createdAt: string
}

export const secretContext = (id: string) => `webhook:${id}`

export async function createWebhook(sql: Sql, cipher: CredentialCipher, userId: string, url: string, events: string[]) {
  const secret = `whsec_${randomBytes(24).toString('base64url')}`
  const id = randomUUID() // known before the INSERT: the secret's encryption is bound to it
  const [created] = await sql<WebhookRow[]>`
    INSERT INTO webhooks (id, user_id, url, event_types, secret_encrypted)
    VALUES (${id}, ${userId}, ${url}, ${events}, ${cipher.encrypt(secret, secretContext(id))})
    RETURNING ${sql(COLUMNS)}`
  return { ...view(created!), secret }
}

export async function listWebhooks(sql: Sql, userId: string): Promise<WebhookView[]> {
  return (await sql<WebhookRow[]>`SELECT ${sql(COLUMNS)} FROM webhooks WHERE user_id = ${userId} ORDER BY created_at`).map(view)
}

export async function deleteWebhook(sql: Sql, userId: string, id: string): Promise<boolean> {
  return (await sql`DELETE FROM webhooks WHERE id = ${id} AND user_id = ${userId}`).count > 0
}

/** Enable (clearing the failure count) or disable; undefined when it is not the user's. */
export async function setWebhookEnabled(sql: Sql, userId: string, id: string, enabled: boolean): Promise<WebhookView | undefined> {
  const [row] = await sql<WebhookRow[]>`
    UPDATE webhooks SET enabled = ${enabled}, consecutive_failures = 0, disabled_reason = ${enabled ? null : 'disabled by the user'}
    WHERE id = ${id} AND user_id = ${userId} RETURNING ${sql(COLUMNS)}`
  return row && view(row)
}

export interface DeliveryView {
  id: number
  eventId: number | null
  event: string
  status: string
  attempts: number
  statusCodes: number[]
  lastError: string | null
  createdAt: string
  finishedAt: string | null
}

export async function listDeliveries(sql: Sql, userId: string, webhookId: string, limit: number): Promise<DeliveryView[] | undefined> {
  const [owned] = await sql`SELECT 1 FROM webhooks WHERE id = ${webhookId} AND user_id = ${userId}`
  if (!owned) return undefined
  const rows = await sql<{
    id: string; event_id: string | null; event_type: string; status: string; attempts: number; attempt_codes: number[]
    last_error: string | null; created_at: Date; finished_at: Date | null
  }[]>`
    SELECT id, event_id, event_type, status, attempts, attempt_codes, last_error, created_at, finished_at
    FROM webhook_deliveries WHERE webhook_id = ${webhookId} ORDER BY id DESC LIMIT ${limit}`
  return rows.map((r) => ({
    id: Number(r.id), eventId: r.event_id === null ? null : Number(r.event_id), event: r.event_type, status: r.status,
    attempts: r.attempts, statusCodes: r.attempt_codes, lastError: r.last_error, createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  }))
}

/** The secret, for signing; context-bound so a row's ciphertext cannot be moved to another webhook. */
export function webhookSecret(cipher: CredentialCipher, id: string, encrypted: Uint8Array): string {
  return cipher.decrypt(encrypted, secretContext(id))
}

interface WebhookRow {
  id: string
  url: string
  event_types: string[]
  enabled: boolean
  consecutive_failures: number
  disabled_reason: string | null
  created_at: Date
}
const COLUMNS = ['id', 'url', 'event_types', 'enabled', 'consecutive_failures', 'disabled_reason', 'created_at']

function view(r: WebhookRow): WebhookView {
  return {
    id: r.id, url: r.url, events: r.event_types, enabled: r.enabled, consecutiveFailures: r.consecutive_failures,
    disabledReason: r.disabled_reason, createdAt: r.created_at.toISOString(),
  }
}
