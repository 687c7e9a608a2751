// Pending OAuth2 authorizations. The `state` sent to the provider is the only thing that ties its redirect back
// to our user (the callback carries no bearer token), so it is 256 random bits, stored hashed, bound to one user,
// provider and host, valid for a few minutes, and deleted by the first callback that presents it.
import { createHash, randomBytes } from 'node:crypto'
import type { Sql } from '../db/connect.js'

// Long enough to log in at the provider (and find a password), short enough that a leaked link is soon useless.
export const OAUTH_STATE_TTL_MS = 10 * 60_000
export const STATE_PATTERN = '^[A-Za-z0-9_-]{43}$' // 32 bytes, base64url

export interface PendingAuthorization {
  userId: string
  region: string
  baseUrl: string
}

const hash = (state: string): Buffer => createHash('sha256').update(state).digest()

export async function createOAuthState(
  sql: Sql,
  input: { userId: string; provider: string; region: string; baseUrl: string; ttlMs?: number },
): Promise<{ state: string; expiresAt: Date }> {
  const state = randomBytes(32).toString('base64url')
  const expiresAt = new Date(Date.now() + (input.ttlMs ?? OAUTH_STATE_TTL_MS))
  // Abandoned flows are swept here rather than by a job: the table stays as small as the flows in progress.
  await sql`DELETE FROM oauth_states WHERE expires_at < now()`
  await sql`
    INSERT INTO oauth_states (state_hash, user_id, provider, region, base_url, expires_at)
    VALUES (${hash(state)}, ${input.userId}, ${input.provider}, ${input.region}, ${input.baseUrl}, ${expiresAt})`
  return { state, expiresAt }
}

/** Single use: DELETE … RETURNING lets exactly one of two concurrent callbacks with the same state through. */
export async function consumeOAuthState(sql: Sql, provider: string, state: string): Promise<PendingAuthorization | undefined> {
  // An expired state is deleted too (it can never become valid) and refused.
  const [row] = await sql<{ userId: string; region: string; baseUrl: string; live: boolean }[]>`
    DELETE FROM oauth_states
    WHERE state_hash = ${hash(state)} AND provider = ${provider}
    RETURNING user_id AS "userId", region, base_url AS "baseUrl", expires_at > now() AS live`
  return row?.live ? { userId: row.userId, region: row.region, baseUrl: row.baseUrl } : undefined
}
