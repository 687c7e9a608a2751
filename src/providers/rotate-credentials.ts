// Key rotation (issue 3): re-encrypts every stored secret made with a key other than the current one, so an old
// key can be retired from CREDENTIALS_KEY. Run it after every instance has the new key first in its config: an
// instance still encrypting with the old key would write old-key ciphertexts again (rotation is then simply rerun).
//
// cgm_connections.credentials_encrypted is the only encrypted column (oauth_states keeps a SHA-256, not a
// ciphertext). A new encrypted column gets its own entry in this file.
import type { Sql } from '../db/connect.js'
import { credentialContext } from './connections.js'
import { CredentialDecryptError, keyIdOf, type CredentialCipher } from './crypto.js'

export interface RotationResult {
  /** Id of the key everything is now encrypted with. */
  keyId: string
  rotated: number
  alreadyCurrent: number
  /** Rows left as they were, with why: ids and reasons only, never secrets. */
  failed: Array<{ id: string; reason: string }>
}

interface Row {
  id: string
  userId: string
  provider: string
  envelope: Uint8Array
}

export async function rotateCredentials(sql: Sql, cipher: CredentialCipher, options: { batchSize?: number } = {}): Promise<RotationResult> {
  const batchSize = options.batchSize ?? 200
  const result: RotationResult = { keyId: cipher.currentKeyId, rotated: 0, alreadyCurrent: 0, failed: [] }
  // Keyset pages without a lock: reading a page locks nothing, so syncs carry on while a large table rotates.
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const page = await sql<Row[]>`
      SELECT id, user_id AS "userId", provider, credentials_encrypted AS envelope FROM cgm_connections
      WHERE id > ${after} AND credentials_encrypted IS NOT NULL ORDER BY id LIMIT ${batchSize}`
    for (const row of page) {
      const outcome = await rotateRow(sql, cipher, row)
      if (outcome === 'rotated') result.rotated++
      else if (outcome === 'current') result.alreadyCurrent++
      else if (outcome !== 'gone') result.failed.push({ id: row.id, reason: outcome.failed })
    }
    if (page.length < batchSize) return result
    after = page.at(-1)!.id
  }
}

type Outcome = 'rotated' | 'current' | 'gone' | { failed: string }

/**
 * One row in its own short transaction. The row is read again under FOR UPDATE: a sync that refreshed the token
 * since the page was read has written a newer ciphertext, and re-encrypting the page's copy would put the spent
 * token back. A sync refreshing now waits for this commit (milliseconds) and then writes its token over ours.
 */
async function rotateRow(sql: Sql, cipher: CredentialCipher, row: Row): Promise<Outcome> {
  if (isCurrent(cipher, row.envelope)) return 'current'
  return sql.begin(async (tx) => {
    const [locked] = await tx<Row[]>`
      SELECT id, user_id AS "userId", provider, credentials_encrypted AS envelope FROM cgm_connections
      WHERE id = ${row.id} AND credentials_encrypted IS NOT NULL FOR UPDATE`
    if (!locked) return 'gone' // disconnected meanwhile: nothing left to protect
    if (isCurrent(cipher, locked.envelope)) return 'current'
    const context = credentialContext(locked.userId, locked.provider)
    try {
      // As a string, not JSON: the plaintext comes back byte for byte.
      const reencrypted = cipher.encrypt(cipher.decrypt(locked.envelope, context), context)
      await tx`UPDATE cgm_connections SET credentials_encrypted = ${reencrypted}, updated_at = now() WHERE id = ${locked.id}`
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
