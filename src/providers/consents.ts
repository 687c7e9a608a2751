// Consent to connect a provider (issue 3, "Credentials, consent, endpoints"): recorded before any connection is
// stored, checked again when an OAuth flow comes back, and revoked by disconnecting (and, if asked, deleting that
// provider's readings). Older consents are kept, marked revoked, as the record of what was agreed when.
import type { TransactionSql } from 'postgres'
import type { Sql } from '../db/connect.js'
import type { ReadingSource } from '../glucose/trends.js'

/**
 * What connecting lets us do, recorded with each consent: read the user's CGM data at the provider and store it
 * here. One scope today; a new use of provider data needs a new scope and a new consent.
 */
export const CONSENT_SCOPE = 'cgm:read-and-store'
export const POLICY_VERSION_PATTERN = '^[A-Za-z0-9._-]{1,40}$'

export interface ConsentView {
  provider: string
  scope: string
  policyVersion: string
  givenAt: string
}

/**
 * Records a consent in force. A consent already in force under the same policy version is kept as it is (its
 * time is when the user first agreed); one under another version is marked revoked and replaced.
 */
export async function giveConsent(sql: Sql, input: { userId: string; provider: string; policyVersion: string }): Promise<ConsentView> {
  return sql.begin(async (tx) => {
    await tx`
      UPDATE consents SET revoked_at = now()
      WHERE user_id = ${input.userId} AND provider = ${input.provider} AND revoked_at IS NULL
        AND (policy_version, scope) IS DISTINCT FROM (${input.policyVersion}, ${CONSENT_SCOPE})`
    await tx`
      INSERT INTO consents (user_id, provider, scope, policy_version)
      VALUES (${input.userId}, ${input.provider}, ${CONSENT_SCOPE}, ${input.policyVersion})
      ON CONFLICT (user_id, provider) WHERE revoked_at IS NULL DO NOTHING`
    const [row] = await tx<ConsentView[]>`${selectInForce(tx, input.userId)} AND provider = ${input.provider}`
    return row!
  })
}

// A postgres.js fragment nests in the query it is interpolated into: one SELECT list for the three readers.
const selectInForce = (sql: Sql | TransactionSql, userId: string) => sql`
  SELECT provider, scope, policy_version AS "policyVersion", to_json(given_at) #>> '{}' AS "givenAt"
  FROM consents WHERE user_id = ${userId} AND revoked_at IS NULL`

export async function consentInForce(sql: Sql, userId: string, provider: string): Promise<ConsentView | undefined> {
  const [row] = await sql<ConsentView[]>`${selectInForce(sql, userId)} AND provider = ${provider}`
  return row
}

export async function listConsents(sql: Sql, userId: string): Promise<ConsentView[]> {
  return sql<ConsentView[]>`${selectInForce(sql, userId)} ORDER BY provider`
}

export interface RevokeResult {
  revoked: boolean
  disconnected: boolean
  readingsDeleted: number
}

/**
 * Withdraws consent: the connection (with its encrypted credentials) is deleted in the same transaction, so no
 * sync can run on a withdrawn consent; with deleteReadings, the readings that provider delivered go too.
 * Readings are matched by source: readings of the same source from elsewhere (e.g. a file import recorded under
 * that source) would go as well.
 */
export async function revokeConsent(
  sql: Sql,
  input: { userId: string; provider: string; source: ReadingSource; deleteReadings: boolean },
): Promise<RevokeResult> {
  return sql.begin(async (tx) => {
    const revoked = await tx`
      UPDATE consents SET revoked_at = now()
      WHERE user_id = ${input.userId} AND provider = ${input.provider} AND revoked_at IS NULL RETURNING id`
    const disconnected = await tx`DELETE FROM cgm_connections WHERE user_id = ${input.userId} AND provider = ${input.provider} RETURNING id`
    let readingsDeleted = 0
    if (input.deleteReadings) {
      const deleted = await tx`
        DELETE FROM glucose_readings WHERE user_id = ${input.userId} AND source = ${input.source}::reading_source`
      readingsDeleted = deleted.count
    }
    return { revoked: revoked.length > 0, disconnected: disconnected.length > 0, readingsDeleted }
  })
}
