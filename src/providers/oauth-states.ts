// Pending OAuth2 authorizations. The `state` sent to the provider is the only thing that ties its redirect back
// to our user (the callback carries no bearer token), so it is 256 random bits, stored hashed, bound to one user,
// provider and host, valid for a few minutes, and deleted by the first callback that presents it: a replayed
// callback (same state, same code) finds nothing and is refused before any token exchange.
//
// PKCE (RFC 7636, S256): each authorization also gets a code_verifier, stored encrypted (CREDENTIALS_KEY) next to
// the state's hash. The authorize URL carries only its SHA-256 (code_challenge); the token request carries the
// verifier, so an authorization code intercepted on its way back (a browser history, a proxy log, a malicious app
// registered for the redirect) is useless without our database and key.
import { createHash, randomBytes } from 'node:crypto'
import type { Sql } from '../db/connect.js'
import type { CredentialCipher } from './crypto.js'

// Long enough to log in at the provider (and find a password), short enough that a leaked link is soon useless.
export const OAUTH_STATE_TTL_MS = 10 * 60_000
export const STATE_PATTERN = '^[A-Za-z0-9_-]{43}$' // 32 bytes, base64url

export interface PendingAuthorization {
  userId: string
  region: string
  baseUrl: string
  /** Undefined only for a flow started before PKCE was introduced (migrations/0023_oauth_pkce.sql). */
  codeVerifier: string | undefined
}

const hash = (state: string): Buffer => createHash('sha256').update(state).digest()
const verifierContext = (stateHash: Buffer) => `oauth-state:${stateHash.toString('hex')}`

/** RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))). */
export const s256 = (verifier: string): string => createHash('sha256').update(verifier, 'ascii').digest('base64url')

export async function createOAuthState(
  sql: Sql,
  cipher: CredentialCipher,
  input: { userId: string; provider: string; region: string; baseUrl: string; ttlMs?: number },
): Promise<{ state: string; codeChallenge: string; expiresAt: Date }> {
  const state = randomBytes(32).toString('base64url')
  // RFC 7636 §4.1: 43–128 unreserved characters; 32 random bytes as base64url are 43, with 256 bits of entropy.
  const codeVerifier = randomBytes(32).toString('base64url')
  const stateHash = hash(state)
  const expiresAt = new Date(Date.now() + (input.ttlMs ?? OAUTH_STATE_TTL_MS))
  // Abandoned flows are swept here rather than by a job: the table stays as small as the flows in progress.
  await sql`DELETE FROM oauth_states WHERE expires_at < now()`
  await sql`
    INSERT INTO oauth_states (state_hash, user_id, provider, region, base_url, expires_at, code_verifier_encrypted)
    VALUES (${stateHash}, ${input.userId}, ${input.provider}, ${input.region}, ${input.baseUrl}, ${expiresAt},
            ${cipher.encrypt(codeVerifier, verifierContext(stateHash))})`
  return { state, codeChallenge: s256(codeVerifier), expiresAt }
}

/** Single use: DELETE … RETURNING lets exactly one of two concurrent callbacks with the same state through. */
export async function consumeOAuthState(
  sql: Sql,
  cipher: CredentialCipher,
  provider: string,
  state: string,
): Promise<PendingAuthorization | undefined> {
  const stateHash = hash(state)
  // An expired state is deleted too (it can never become valid) and refused.
  const [row] = await sql<{ userId: string; region: string; baseUrl: string; live: boolean; verifier: Buffer | null }[]>`
    DELETE FROM oauth_states
    WHERE state_hash = ${stateHash} AND provider = ${provider}
    RETURNING user_id AS "userId", region, base_url AS "baseUrl", expires_at > now() AS live,
              code_verifier_encrypted AS verifier`
  if (!row?.live) return undefined
  const codeVerifier = row.verifier ? cipher.decrypt(row.verifier, verifierContext(stateHash)) : undefined
  return { userId: row.userId, region: row.region, baseUrl: row.baseUrl, codeVerifier }
}
