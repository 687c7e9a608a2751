// A user's Nightscout site as a CgmProvider: connect with the site URL and an API secret or access token (checked
// against /api/v1/status.json, which uploaders call first), then pull `sgv` entries newer than the cursor.
import { createHash } from 'node:crypto'
import { Type } from 'typebox'
import { mapRecords } from '../map-records.js'
import { ProviderError, type CgmProvider, type Credentials, type FetchContext, type ProviderBatch } from '../provider.js'
import { nightscoutGet, type NightscoutCredentials, type NightscoutOptions } from './api.js'
import { mapEntry } from './map.js'

const DAY_MS = 86_400_000
// A first sync imports at most this much history, as for Dexcom: the 90-day trends, and a bounded first sync.
export const NIGHTSCOUT_BACKFILL_MS = 90 * DAY_MS
export const NIGHTSCOUT_PAGE_SIZE = 1000
// Each sync asks again for this much before the newest date it has: uploaders add readings late, with their
// original dates (a Dexcom transmitter backfills up to 3 hours after a signal loss), and `date > cursor` alone
// would skip them for good. Re-fetched readings are stored idempotently. Our choice; longer gaps need a re-sync.
export const NIGHTSCOUT_CURSOR_OVERLAP_MS = 3 * 3_600_000
// 90 days of 1-minute readings (some Libre uploaders) is 130 pages: beyond that something is wrong with the site.
const MAX_PAGES = 200

export function createNightscoutProvider(options: NightscoutOptions): CgmProvider {
  return {
    name: 'nightscout',
    source: 'NIGHTSCOUT',
    limits: {
      maxWindowMs: NIGHTSCOUT_BACKFILL_MS, // pages by count, not by time
      cadenceMs: 5 * 60_000,
      // A self-hosted site has no stated budget; this keeps us a polite client of a small server.
      rateLimit: { requests: 120, perMs: 3_600_000, per: 'connection' },
      dataDelayMs: 0,
      requestsPerSync: 1, // one page of entries
    },
    connect: {
      kind: 'credentials',
      fields: Type.Object({
        url: Type.String({ pattern: '^https?://', maxLength: 500, description: 'The Nightscout site, e.g. https://my-site.example.com' }),
        apiSecret: Type.Optional(Type.String({ minLength: 12, maxLength: 200, description: 'API_SECRET of the site (or give token); stored only hashed and encrypted' })),
        token: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'An access token with the readable role (or give apiSecret)' })),
      }),
      login: async (input) => {
        const credentials = credentialsFrom(input)
        const status = await nightscoutGet(options, credentials, 'api/v1/status.json')
        if (typeof status !== 'object' || status === null || (status as { status?: unknown }).status !== 'ok') {
          throw new ProviderError('bad_response', 'the site answered /api/v1/status.json without status "ok"; is it a Nightscout site?')
        }
        return { credentials, region: null }
      },
    },
    refresh: async (credentials) => credentials, // secrets and tokens do not expire
    mapReading: (record) => mapEntry(record),
    fetchSince: (context) => fetchSince(options, context),
  }
}

function credentialsFrom(input: Record<string, string>): NightscoutCredentials {
  const { url, apiSecret, token } = input as { url: string; apiSecret?: string; token?: string }
  if ((apiSecret === undefined) === (token === undefined)) throw new ProviderError('reauth_required', 'give either apiSecret or token (not both, not neither)')
  let site: URL
  try {
    site = new URL(url)
  } catch {
    throw new ProviderError('reauth_required', `"${url.slice(0, 100)}" is not a URL; give the site's address, e.g. https://my-site.example.com`)
  }
  // Credentials in the URL would be stored in plain sight (the URL is not a secret field) and sent to every path.
  if (site.username || site.password) throw new ProviderError('reauth_required', 'the site URL must not contain a user name or password; use apiSecret or token')
  const path = site.pathname.endsWith('/') ? site.pathname : `${site.pathname}/`
  return {
    siteUrl: `${site.origin}${path}`,
    apiSecretSha1: apiSecret === undefined ? null : createHash('sha1').update(apiSecret).digest('hex'),
    token: token ?? null,
  }
}

/**
 * Nightscout answers newest first, `count` at a time; there is no "oldest first" order. So pages walk backwards
 * from now (each below the oldest date of the previous page) down to the cursor (less an overlap), and the cursor moves only after
 * the last page: a sync failing half-way leaves it where it was and the next one fetches the same span again
 * (stores are idempotent). Entries sharing the exact millisecond at a page boundary could be missed; Nightscout
 * deduplicates on type + date, so sgv entries do not share one.
 */
async function* fetchSince(options: NightscoutOptions, context: FetchContext): AsyncGenerator<ProviderBatch> {
  const credentials = asNightscout(context.credentials)
  const lastDate = typeof context.cursor.lastDate === 'number' ? context.cursor.lastDate : undefined
  const since = lastDate === undefined ? Date.now() - NIGHTSCOUT_BACKFILL_MS : lastDate - NIGHTSCOUT_CURSOR_OVERLAP_MS
  let newest = lastDate ?? since
  let before: number | undefined
  for (let page = 0; ; page++) {
    if (page === MAX_PAGES) throw new ProviderError('bad_response', `Nightscout served more than ${MAX_PAGES} pages of entries; stopped`)
    const query: Record<string, string> = { 'find[date][$gt]': String(since), count: String(NIGHTSCOUT_PAGE_SIZE) }
    if (before !== undefined) query['find[date][$lt]'] = String(before)
    const entries = await nightscoutGet(options, credentials, 'api/v1/entries/sgv.json', query)
    if (!Array.isArray(entries)) throw new ProviderError('bad_response', 'Nightscout /api/v1/entries/sgv.json did not answer an array')
    const { readings, skipped } = mapRecords(entries, (entry) => mapEntry(entry))
    yield { readings, skipped, meals: [], deletedMealRecordIds: [], cursor: context.cursor }
    const dates = entries.map((e) => (e as { date?: unknown })?.date).filter((d): d is number => typeof d === 'number' && Number.isFinite(d))
    if (dates.length > 0) newest = Math.max(newest, ...dates)
    if (entries.length < NIGHTSCOUT_PAGE_SIZE) break
    const oldest = Math.min(...dates)
    // A full page must move the window down, or the next request would return the same page forever.
    if (dates.length === 0 || (before !== undefined && oldest >= before) || oldest <= since) {
      throw new ProviderError('bad_response', 'Nightscout pages do not move back in time (entries without date?); stopped')
    }
    before = oldest
  }
  yield { readings: [], skipped: {}, meals: [], deletedMealRecordIds: [], cursor: { ...context.cursor, lastDate: newest } }
}

function asNightscout(credentials: Credentials): NightscoutCredentials {
  const c = credentials as Partial<NightscoutCredentials>
  const nullableString = (v: unknown) => v === null || typeof v === 'string'
  if (typeof c.siteUrl !== 'string' || !nullableString(c.apiSecretSha1) || !nullableString(c.token)) {
    throw new ProviderError('reauth_required', 'stored Nightscout credentials are incomplete; connect Nightscout again')
  }
  return c as NightscoutCredentials
}
