// Key rotation (issue 3): re-encrypts every stored secret made with a key other than the current one, so an old
// key can be retired from CREDENTIALS_KEY. Run it after every instance has the new key first in its config: an
// instance still encrypting with the old key would write old-key ciphertexts again (rotation is then simply rerun).
//
// ENCRYPTED_COLUMNS lists every ciphertext column; a new one gets its entry here (oauth_states and the Nightscout
// upload secret keep SHA-256 hashes, not ciphertexts, so there is nothing to rotate there).
//
// Each re-encryption decrypts a user's secret: it is recorded in the audit log (`credentials.rotate <table>`, actor
// system `rotate-credentials`, subject the owner) in the transaction that rewrites it.
import { insertAudit } from '../audit/audit-log.js'
import type { Sql } from '../db/connect.js'
import { secretContext } from '../live/webhooks/store.js'
import { credentialContext } from './connections.js'
import { CredentialDecryptError, keyIdOf, type CredentialCipher } from './crypto.js'

interface EncryptedColumn {
  table: string
  column: string
  /** Columns the encryption context is made of, besides id. */
  contextColumns: Array<'user_id' | 'provider'> // user_id always: the audit entry's subject
  /** The context the ciphertext is bound to (it must be the one it was encrypted with). */
  context(row: Record<string, string>): string
}

export const ENCRYPTED_COLUMNS: EncryptedColumn[] = [
  {
    table: 'cgm_connections', column: 'credentials_encrypted', contextColumns: ['user_id', 'provider'],
    context: (row) => credentialContext(row.user_id!, row.provider!),
  },
  { table: 'webhooks', column: 'secret_encrypted', contextColumns: ['user_id'], context: (row) => secretContext(row.id!) },
]

export interface RotationResult {
  /** Id of the key everything is now encrypted with. */
  keyId: string
  rotated: number
  alreadyCurrent: number
  /** Rows left as they were, with why: table, id and reason only, never secrets. */
  failed: Array<{ table: string; id: string; reason: string }>
}

interface Row extends Record<string, string> {
  id: string
}
type Envelope = { envelope: Uint8Array }

export async function rotateCredentials(sql: Sql, cipher: CredentialCipher, options: { batchSize?: number } = {}): Promise<RotationResult> {
  const result: RotationResult = { keyId: cipher.currentKeyId, rotated: 0, alreadyCurrent: 0, failed: [] }
  for (const target of ENCRYPTED_COLUMNS) await rotateColumn(sql, cipher, target, options.batchSize ?? 200, result)
  return result
}

async function rotateColumn(sql: Sql, cipher: CredentialCipher, target: EncryptedColumn, batchSize: number, result: RotationResult) {
  const columns = sql(['id', ...target.contextColumns])
  // Keyset pages without a lock: reading a page locks nothing, so syncs carry on while a large table rotates.
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const page = await sql<(Row & Envelope)[]>`
      SELECT ${columns}, ${sql(target.column)} AS envelope FROM ${sql(target.table)}
      WHERE id > ${after} AND ${sql(target.column)} IS NOT NULL ORDER BY id LIMIT ${batchSize}`
    for (const row of page) {
      const outcome = await rotateRow(sql, cipher, target, row)
      if (outcome === 'rotated') result.rotated++
      else if (outcome === 'current') result.alreadyCurrent++
      else if (outcome !== 'gone') result.failed.push({ table: target.table, id: row.id, reason: outcome.failed })
    }
    if (page.length < batchSize) return
    after = page.at(-1)!.id
  }
}

type Outcome = 'rotated' | 'current' | 'gone' | { failed: string }

/**
 * One row in its own short transaction. The row is read again under FOR UPDATE: a sync that refreshed the token
 * since the page was read has written a newer ciphertext, and re-encrypting the page's copy would put the spent
 * token back. A sync refreshing now waits for this commit (milliseconds) and then writes its token over ours.
 */
async function rotateRow(sql: Sql, cipher: CredentialCipher, target: EncryptedColumn, row: Row & Envelope): Promise<Outcome> {
  if (isCurrent(cipher, row.envelope)) return 'current'
  return sql.begin(async (tx) => {
    const [locked] = await tx<(Row & Envelope)[]>`
      SELECT ${tx(['id', ...target.contextColumns])}, ${tx(target.column)} AS envelope FROM ${tx(target.table)}
      WHERE id = ${row.id} AND ${tx(target.column)} IS NOT NULL FOR UPDATE`
    if (!locked) return 'gone' // disconnected or deleted meanwhile: nothing left to protect
    if (isCurrent(cipher, locked.envelope)) return 'current'
    const context = target.context(locked)
    try {
      // As a string, not JSON: the plaintext comes back byte for byte.
      const reencrypted = cipher.encrypt(cipher.decrypt(locked.envelope, context), context)
      await tx`UPDATE ${tx(target.table)} SET ${tx(target.column)} = ${reencrypted} WHERE id = ${locked.id}`
      await insertAudit(tx as unknown as Sql, [{
        actorKind: 'system', actorId: 'rotate-credentials', subjectUserId: locked.user_id!, action: `credentials.rotate ${target.table}`,
        requestId: `rotate:${cipher.currentKeyId}:${locked.id}`,
      }])
      return 'rotated'
    } catch (error) {
      // Decrypt errors say which key is missing or that authentication failed; they never quote the data.
      if (error instanceof CredentialDecryptError) return { failed: error.message }
      throw error
    }
  })
}

function isCurrent(cipher: CredentialCipher, envelope: Uint8Array): boolean {
  try {
    return keyIdOf(envelope) === cipher.currentKeyId
  } catch {
    return false // an unreadable header is reported by the decrypt that follows
  }
}
