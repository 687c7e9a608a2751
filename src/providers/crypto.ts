// Envelope encryption of provider credentials at rest (OAuth tokens, passwords, API secrets): AES-256-GCM with a
// random 96-bit IV per message (NIST SP 800-38D §8.2.2) and a 128-bit tag. Each ciphertext names the key that made
// it, so keys rotate: a new key encrypts, old keys still decrypt until everything is re-encrypted and they retire.
//
// Layout (bytea): version(1) | keyIdLength(1) | keyId(utf8) | iv(12) | ciphertext | tag(16).
// Version, key id and the caller's context (e.g. which user and provider the secret belongs to) are authenticated
// as additional data: a ciphertext copied into another user's row, or a header edited, fails to decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/

export interface CredentialKey {
  id: string
  key: Buffer
}

export class CredentialDecryptError extends Error {
  override name = 'CredentialDecryptError'
}

/**
 * `[id:]material`, material = 32 bytes as 64 hex digits or base64. Without an id, the id is a fingerprint of the
 * key (first 8 hex digits of its SHA-256): stable, and it reveals nothing useful about a 256-bit random key.
 */
export function parseCredentialKeys(raw: readonly string[]): CredentialKey[] {
  const keys = raw.map((entry, index) => {
    const colon = entry.indexOf(':')
    const id = colon >= 0 ? entry.slice(0, colon) : undefined
    const material = colon >= 0 ? entry.slice(colon + 1) : entry
    const where = `CREDENTIALS_KEY entry ${index + 1}`
    const key = /^[0-9a-fA-F]{64}$/.test(material) ? Buffer.from(material, 'hex') : Buffer.from(material, 'base64')
    if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(material) && !/^[A-Za-z0-9+/_-]{43}=?$/.test(material))) {
      throw new Error(`${where}: must be 32 bytes as 64 hex digits or base64 (try: openssl rand -base64 32)`)
    }
    if (id !== undefined && !KEY_ID.test(id)) throw new Error(`${where}: key id "${id}" must be 1–32 of A–Z a–z 0–9 _ -`)
    return { id: id ?? createHash('sha256').update(key).digest('hex').slice(0, 8), key }
  })
  const ids = new Set(keys.map((k) => k.id))
  if (ids.size !== keys.length) throw new Error('CREDENTIALS_KEY: two keys share one id; give each key its own id')
  return keys
}

export class CredentialCipher {
  private readonly current: CredentialKey
  private readonly byId: Map<string, Buffer>

  constructor(keys: readonly CredentialKey[]) {
    if (!keys[0]) throw new Error('CredentialCipher needs at least one key')
    this.current = keys[0]
    this.byId = new Map(keys.map((k) => [k.id, k.key]))
  }

  static fromConfig(raw: readonly string[]): CredentialCipher {
    return new CredentialCipher(parseCredentialKeys(raw))
  }

  /** Id of the key new ciphertexts are made with (a rotation job re-encrypts rows whose keyIdOf differs). */
  get currentKeyId(): string {
    return this.current.id
  }

  encrypt(plaintext: string, context: string): Buffer {
    const header = this.header(this.current.id)
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(aad(header, context))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return Buffer.concat([header, iv, body, cipher.getAuthTag()])
  }

  decrypt(envelope: Uint8Array, context: string): string {
    const data = Buffer.from(envelope)
    const { keyId, headerLength } = parseHeader(data)
    const key = this.byId.get(keyId)
    if (!key) throw new CredentialDecryptError(`credentials were encrypted with key "${keyId}", which is not in CREDENTIALS_KEY`)
    if (data.length < headerLength + IV_BYTES + TAG_BYTES) throw new CredentialDecryptError('credential ciphertext is truncated')
    const iv = data.subarray(headerLength, headerLength + IV_BYTES)
    const body = data.subarray(headerLength + IV_BYTES, data.length - TAG_BYTES)
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(aad(data.subarray(0, headerLength), context))
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES))
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
    } catch {
      // GCM says only "unable to authenticate": wrong key bytes under the same id, edited bytes, or another row's data.
      throw new CredentialDecryptError('credential ciphertext failed authentication (tampered, or moved from another record)')
    }
  }

  encryptJson(value: unknown, context: string): Buffer {
    return this.encrypt(JSON.stringify(value), context)
  }

  decryptJson<T>(envelope: Uint8Array, context: string): T {
    return JSON.parse(this.decrypt(envelope, context)) as T
  }

  private header(keyId: string): Buffer {
    const id = Buffer.from(keyId, 'utf8')
    return Buffer.concat([Buffer.from([VERSION, id.length]), id])
  }
}

export function keyIdOf(envelope: Uint8Array): string {
  return parseHeader(Buffer.from(envelope)).keyId
}

function parseHeader(data: Buffer): { keyId: string; headerLength: number } {
  if (data.length < 2 || data[0] !== VERSION) throw new CredentialDecryptError(`unknown credential envelope version ${data[0] ?? 'none'}`)
  const idLength = data[1]!
  const headerLength = 2 + idLength
  if (idLength === 0 || data.length < headerLength) throw new CredentialDecryptError('credential envelope header is truncated')
  return { keyId: data.subarray(2, headerLength).toString('utf8'), headerLength }
}

function aad(header: Buffer, context: string): Buffer {
  return Buffer.concat([header, Buffer.from(`\u0000${context}`, 'utf8')])
}
