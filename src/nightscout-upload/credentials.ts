// Upload secrets and how a Nightscout client presents them. Nightscout (cgm-remote-monitor lib/authorization and
// lib/server/enclave.js) accepts the SHA-1 hex of API_SECRET in the `api-secret` header, compared case-insensitively,
// and an access token in `?token=` or in the `api-secret` header; it never accepted the plain API_SECRET in the
// header. Here one credential plays both parts: the upload secret, whose SHA-1 goes in `api-secret` (xDrip+,
// Juggluco, nightscout-librelink-up, Loop/Trio hash it themselves), and which also works as `?token=` or as a plain
// `api-secret` value (what Nightscout does with access tokens). Rotating it invalidates every form at once.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

const SHA1_HEX = /^[0-9a-f]{40}$/i

/**
 * 32 lower-case hex characters (128 bits): types easily on a phone, is safe inside a URL's user-info (xDrip+'s
 * `https://SECRET@host/...`), passes Nightscout clients' 12-character minimum, and can never be mistaken for a 40-
 * character SHA-1 when it arrives in the `api-secret` header.
 */
export function newUploadSecret(): string {
  return randomBytes(16).toString('hex')
}

/** 24 hex characters (96 bits): the public id in the base path, not guessable, not the user id. */
export function newSiteId(): string {
  return randomBytes(12).toString('hex')
}

export const sha1Hex = (text: string): string => createHash('sha1').update(text, 'utf8').digest('hex')

/** What the database keeps: SHA-256 of the SHA-1 hex, so the stored value is not what a client sends. */
export function storedSecretHash(secretSha1Hex: string): Buffer {
  return createHash('sha256').update(secretSha1Hex.toLowerCase(), 'utf8').digest()
}

/**
 * The stored-hash form of what the request presents, or undefined when it presents nothing. Both headers and the
 * query may only be read here: callers never log them (src/app.ts strips query strings from request logs).
 */
export function presentedSecretHash(apiSecretHeader: unknown, tokenQuery: unknown): Buffer | undefined {
  const header = typeof apiSecretHeader === 'string' ? apiSecretHeader.trim() : ''
  // Some uploaders send the literal "null" when no secret is configured (Nightscout special-cases it too).
  if (header !== '' && header !== 'null') return storedSecretHash(SHA1_HEX.test(header) ? header : sha1Hex(header))
  if (typeof tokenQuery === 'string' && tokenQuery !== '') return storedSecretHash(sha1Hex(tokenQuery))
  return undefined
}

/** Constant-time comparison of two stored-form hashes (both 32 bytes by construction). */
export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
