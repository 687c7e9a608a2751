// A user's upload site: the public id in the base path, the hashed secret, and what the last upload did.
import type { Sql } from '../db/connect.js'
import type { GlucoseUnit } from '../glucose/units.js'
import { newSiteId, newUploadSecret, sha1Hex, storedSecretHash } from './credentials.js'
import type { UploadSummary } from './upload-entries.js'

/** What a Nightscout request needs to know about the site it reached. */
export interface UploadSite {
  siteId: string
  userId: string
  secretHash: Buffer
  lastDevice: string | null
  preferredUnit: GlucoseUnit
}

export interface SiteView {
  siteId: string
  createdAt: Date
  secretRotatedAt: Date
  lastUploadAt: Date | null
  lastUpload: UploadSummary | null
}

interface SiteRow {
  site_id: string
  user_id: string
  secret_hash: Buffer
  last_device: string | null
  preferred_unit: GlucoseUnit
}

const toSite = (r: SiteRow): UploadSite =>
  ({ siteId: r.site_id, userId: r.user_id, secretHash: r.secret_hash, lastDevice: r.last_device, preferredUnit: r.preferred_unit })

/**
 * Creates the user's site, or gives the existing one a new secret (same site id, so the URL configured in the
 * uploaders stays; only the secret changes). The secret is returned here and never again.
 */
export async function createOrRotateSite(sql: Sql, userId: string): Promise<{ siteId: string; secret: string; rotated: boolean; createdAt: Date }> {
  const secret = newUploadSecret()
  const hash = storedSecretHash(sha1Hex(secret))
  const [row] = await sql<{ site_id: string; created_at: Date; rotated: boolean }[]>`
    INSERT INTO nightscout_upload_sites (user_id, site_id, secret_hash)
    VALUES (${userId}, ${newSiteId()}, ${hash})
    ON CONFLICT (user_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, secret_rotated_at = now()
    RETURNING site_id, created_at, (xmax <> 0) AS rotated` // xmax is 0 only for a freshly inserted tuple
  return { siteId: row!.site_id, secret, rotated: row!.rotated, createdAt: row!.created_at }
}

export async function getSiteView(sql: Sql, userId: string): Promise<SiteView | undefined> {
  const [row] = await sql<{ site_id: string; created_at: Date; secret_rotated_at: Date; last_upload_at: Date | null; last_upload: UploadSummary | null }[]>`
    SELECT site_id, created_at, secret_rotated_at, last_upload_at, last_upload
    FROM nightscout_upload_sites WHERE user_id = ${userId}`
  return row && { siteId: row.site_id, createdAt: row.created_at, secretRotatedAt: row.secret_rotated_at, lastUploadAt: row.last_upload_at, lastUpload: row.last_upload }
}

/** Disables uploads: the secret stops working at once. The readings already received stay (they are the user's). */
export async function deleteSite(sql: Sql, userId: string): Promise<boolean> {
  const result = await sql`DELETE FROM nightscout_upload_sites WHERE user_id = ${userId}`
  return result.count > 0
}

export async function findSiteById(sql: Sql, siteId: string): Promise<UploadSite | undefined> {
  // Not a site id at all: no query (a scanner probing paths costs nothing).
  if (!/^[0-9a-f]{24}$/.test(siteId)) return undefined
  const [row] = await sql<SiteRow[]>`
    SELECT s.site_id, s.user_id, s.secret_hash, s.last_device, u.preferred_unit
    FROM nightscout_upload_sites s JOIN users u ON u.id = s.user_id WHERE s.site_id = ${siteId}`
  return row && toSite(row)
}

/**
 * For clients that drop the base path (see README): the secret alone names the site. An index lookup on a SHA-256
 * leaks nothing usable through timing: steering it would need preimages of SHA-256.
 */
export async function findSiteBySecretHash(sql: Sql, hash: Buffer): Promise<UploadSite | undefined> {
  const [row] = await sql<SiteRow[]>`
    SELECT s.site_id, s.user_id, s.secret_hash, s.last_device, u.preferred_unit
    FROM nightscout_upload_sites s JOIN users u ON u.id = s.user_id WHERE s.secret_hash = ${hash}`
  return row && toSite(row)
}

export async function recordUpload(sql: Sql, siteId: string, summary: UploadSummary, device: string | null): Promise<void> {
  await sql`
    UPDATE nightscout_upload_sites
    SET last_upload_at = now(), last_upload = ${sql.json(summary as never)}, last_device = coalesce(${device}, last_device)
    WHERE site_id = ${siteId}`
}
