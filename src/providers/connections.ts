// cgm_connections: a user's link to a provider. Credentials go in and out only through CredentialCipher, bound to
// the user and provider they belong to; the listing never selects them.
import type { Sql } from '../db/connect.js'
import type { ReadingSource } from '../glucose/trends.js'
import type { CredentialCipher } from './crypto.js'
import type { Credentials, SyncCursor } from './provider.js'

export interface ConnectionView {
  id: string
  provider: string
  status: string
  region: string | null
  lastSyncAt: string | null
  lastSuccessAt: string | null
  lastReadingAt: string | null
  lastError: string | null
  createdAt: string
}

export interface ConnectionForSync {
  id: string
  userId: string
  provider: string
  status: string
  credentialsEncrypted: Uint8Array | null
  syncCursor: SyncCursor
  consecutiveFailures: number
}

/** The AAD of a connection's credentials: a ciphertext moved to another user's or provider's row will not decrypt. */
export const credentialContext = (userId: string, provider: string): string => `cgm_connections:${userId}:${provider}`

export async function saveConnection(
  sql: Sql,
  cipher: CredentialCipher,
  input: { userId: string; provider: string; region: string | null; credentials: Credentials },
): Promise<string> {
  const encrypted = cipher.encryptJson(input.credentials, credentialContext(input.userId, input.provider))
  // Reconnecting keeps the sync cursor: the readings already stored need not be fetched again. Due at once: the
  // scheduler's next tick starts the first sync (src/sync/scheduler.ts).
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO cgm_connections (user_id, provider, status, region, credentials_encrypted, next_sync_at)
    VALUES (${input.userId}, ${input.provider}, 'active', ${input.region}, ${encrypted}, now())
    ON CONFLICT (user_id, provider) DO UPDATE
      SET status = 'active', region = EXCLUDED.region, credentials_encrypted = EXCLUDED.credentials_encrypted,
          last_error = NULL, consecutive_failures = 0, next_sync_at = now(), updated_at = now()
    RETURNING id`
  return row!.id
}

export async function listConnections(sql: Sql, userId: string): Promise<ConnectionView[]> {
  return sql<ConnectionView[]>`
    SELECT id, provider, status, region, last_sync_at AS "lastSyncAt", last_success_at AS "lastSuccessAt",
           last_reading_at AS "lastReadingAt", last_error AS "lastError", created_at AS "createdAt"
    FROM cgm_connections WHERE user_id = ${userId} ORDER BY created_at`.then((rows) => rows.map(iso))
}

export type ConnectionStatus = ConnectionView & { readingCount: number }

/**
 * The listing plus how many readings each connection's source holds for the user. Counted by source, like
 * revokeConsent deletes: readings of that source from elsewhere (an import recorded under it) count too.
 */
export async function listConnectionStatus(sql: Sql, userId: string, sourceOf: (provider: string) => ReadingSource | undefined): Promise<ConnectionStatus[]> {
  const [connections, counts] = await Promise.all([
    listConnections(sql, userId),
    sql<{ source: string; n: number }[]>`
      SELECT source::text AS source, count(*)::int AS n FROM glucose_readings WHERE user_id = ${userId} GROUP BY source`,
  ])
  const bySource = new Map(counts.map((c) => [c.source, c.n]))
  return connections.map((c) => ({ ...c, readingCount: bySource.get(sourceOf(c.provider) ?? '') ?? 0 }))
}

export async function getConnectionView(sql: Sql, userId: string, id: string): Promise<ConnectionView | undefined> {
  return (await listConnections(sql, userId)).find((c) => c.id === id)
}

export async function updateCredentials(sql: Sql, cipher: CredentialCipher, connection: ConnectionForSync, credentials: Credentials): Promise<void> {
  const encrypted = cipher.encryptJson(credentials, credentialContext(connection.userId, connection.provider))
  await sql`UPDATE cgm_connections SET credentials_encrypted = ${encrypted}, updated_at = now() WHERE id = ${connection.id}`
}

export async function saveCursor(sql: Sql, id: string, cursor: SyncCursor): Promise<void> {
  await sql`UPDATE cgm_connections SET sync_cursor = ${sql.json(cursor)}, updated_at = now() WHERE id = ${id}`
}

export async function deleteConnection(sql: Sql, userId: string, id: string): Promise<boolean> {
  const rows = await sql`DELETE FROM cgm_connections WHERE id = ${id} AND user_id = ${userId} RETURNING id`
  return rows.length > 0
}

function iso(row: ConnectionView): ConnectionView {
  const at = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : (v as string | null))
  return { ...row, lastSyncAt: at(row.lastSyncAt), lastSuccessAt: at(row.lastSuccessAt), lastReadingAt: at(row.lastReadingAt), createdAt: at(row.createdAt)! }
}
