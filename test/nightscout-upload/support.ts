// Test helpers: a user with an upload site, and requests sent the way uploaders send them (plain fetch, the
// api-secret header or a token query, any content type).
import { createHash } from 'node:crypto'
import type { Db } from '../../src/db/connect.js'
import type { Running, TestUser } from '../helpers.js'

export interface Site {
  user: TestUser
  siteId: string
  baseUrl: string
  secret: string
  apiSecretSha1: string
  xdripUrl: string
}

export const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')

export async function createSite(app: Running, user = app.newUser()): Promise<Site> {
  const res = await user.request('POST', '/api/v1/me/nightscout-upload')
  if (res.status !== 201 && res.status !== 200) throw new Error(`creating the site answered ${res.status}: ${JSON.stringify(res.body)}`)
  return { user, ...res.body }
}

export interface NsOptions {
  body?: unknown
  /** Raw body text instead of JSON.stringify(body). */
  raw?: string
  apiSecret?: string | null
  token?: string
  contentType?: string | null
  headers?: Record<string, string>
}

/** A request to `base + path` (base: a site's baseUrl, or the service root for path-less clients). */
export async function ns(base: string, method: string, path: string, opts: NsOptions = {}) {
  const url = new URL(base + path)
  if (opts.token !== undefined) url.searchParams.set('token', opts.token)
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.apiSecret) headers['api-secret'] = opts.apiSecret
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body))
  if (body !== undefined && opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'application/json'
  const response = await fetch(url, { method, headers, ...(body !== undefined && { body }) })
  const text = await response.text()
  let parsed: any
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = text
  }
  return { status: response.status, body: parsed, headers: response.headers }
}

/** POST entries to a site with its SHA-1 secret, as xDrip+, Juggluco and nightscout-librelink-up do. */
export const upload = (site: Site, body: unknown, opts: NsOptions = {}) =>
  ns(site.baseUrl, 'POST', '/api/v1/entries', { body, apiSecret: site.apiSecretSha1, ...opts })

export const get = (site: Site, path: string, opts: NsOptions = {}) => ns(site.baseUrl, 'GET', path, { apiSecret: site.apiSecretSha1, ...opts })

export async function storedUploads(db: Db, userId: string) {
  return db.sql<{ ms: number; value: number; trend: string | null; record_id: string | null }[]>`
    SELECT (extract(epoch FROM time) * 1000)::bigint::float8 AS ms, value, trend::text, source_record_id AS record_id
    FROM glucose_readings WHERE user_id = ${userId} AND source = 'NIGHTSCOUT_UPLOAD' ORDER BY time`
}
