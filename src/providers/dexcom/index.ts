// Dexcom API v3 as a CgmProvider: OAuth2 connect, token refresh, and a sync that asks /dataRange what is new
// since the last sync, then fetches /egvs and /events for that span in windows of at most 30 days.
import type { Config } from '../../config.js'
import { mapRecords } from '../map-records.js'
import { ProviderError, windows, type CgmProvider, type FetchContext, type ProviderBatch, type ProviderMeal, type SyncCursor } from '../provider.js'
import { DexcomSession } from './api.js'
import { mapEgv, mapEvent, naiveIso, parseSystemTime } from './map.js'
import { authorizeUrl, exchangeCode, refreshTokens, type DexcomClient, type DexcomCredentials } from './oauth.js'
import { resolveDexcomRegion } from './regions.js'

const DAY_MS = 86_400_000
// Maximum span per /egvs request: 30 days (PROVIDERS.md, UNCONFIRMED), so we chunk to it regardless.
const MAX_WINDOW_MS = 30 * DAY_MS
// A first sync imports at most this much history: enough for the 14-day consensus report and 90-day GMI trends,
// and a bounded amount of work for one request.
export const DEXCOM_BACKFILL_MS = 90 * DAY_MS
// lastSyncTime is set this far before the sync started: a gap between our clock and Dexcom's must not make a
// reading fall between two syncs; overlap costs nothing, as stores are idempotent.
const CURSOR_OVERLAP_MS = 10 * 60_000

export function createDexcomProvider(settings: Config['dexcom']): CgmProvider {
  const client = (): DexcomClient => {
    if (!settings.clientId || !settings.clientSecret) {
      throw new ProviderError('denied', 'Dexcom is not configured: set DEXCOM_CLIENT_ID and DEXCOM_CLIENT_SECRET')
    }
    return { clientId: settings.clientId, clientSecret: settings.clientSecret, redirectUri: settings.redirectUri }
  }

  return {
    name: 'dexcom',
    source: 'DEXCOM',
    limits: {
      maxWindowMs: MAX_WINDOW_MS,
      cadenceMs: 5 * 60_000, // one EGV every 5 minutes
      rateLimit: { requests: 60_000, perMs: 3_600_000 }, // per app per hour (v2 overview; v3 UNCONFIRMED)
      dataDelayMs: 3_600_000, // US data historically arrived 1–3 h late (UNCONFIRMED today)
    },
    connect: {
      kind: 'oauth2',
      configured: () => Boolean(settings.clientId && settings.clientSecret),
      resolveRegion: (region) => resolveDexcomRegion(region, settings.baseUrl),
      authorizeUrl: ({ state, baseUrl }) => authorizeUrl(client(), baseUrl, state),
      exchangeCode: (input) => exchangeCode(client(), input),
    },
    refresh: (credentials) => refreshTokens(client(), asDexcom(credentials)),
    mapReading: (record) => mapEgv(record),
    fetchSince: (context) => fetchSince(client(), context),
  }
}

async function* fetchSince(client: DexcomClient, context: FetchContext): AsyncGenerator<ProviderBatch> {
  const startedAt = Date.now()
  const session = new DexcomSession(client, asDexcom(context.credentials), (c) => context.saveCredentials(c))
  const lastSyncTime = typeof context.cursor.lastSyncTime === 'string' ? new Date(context.cursor.lastSyncTime) : undefined
  const range = await session.get('/v3/users/self/dataRange', lastSyncTime ? { lastSyncTime: naiveIso(lastSyncTime) } : {})
  const earliest = new Date(startedAt - DEXCOM_BACKFILL_MS)

  for (const window of spans(range, 'egvs', earliest)) {
    const body = await session.get('/v3/users/self/egvs', { startDate: naiveIso(window.from), endDate: naiveIso(window.to) })
    const { readings, skipped } = mapRecords(records(body, 'egvs'), (record) => mapEgv(record))
    yield { readings, skipped, meals: [], deletedMealRecordIds: [], cursor: context.cursor }
  }

  for (const window of spans(range, 'events', earliest)) {
    const body = await session.get('/v3/users/self/events', { startDate: naiveIso(window.from), endDate: naiveIso(window.to) })
    const meals: ProviderMeal[] = []
    const deleted: string[] = []
    const skipped: Record<string, number> = {}
    for (const record of records(body, 'events')) {
      const event = mapEvent(record)
      if (event.kind === 'meal') meals.push(event.meal)
      else if (event.kind === 'deleted') deleted.push(event.recordId)
      else if (event.kind === 'skipped') skipped[event.reason] = (skipped[event.reason] ?? 0) + 1
    }
    yield { readings: [], skipped, meals, deletedMealRecordIds: deleted, cursor: context.cursor }
  }

  const cursor: SyncCursor = { ...context.cursor, lastSyncTime: new Date(startedAt - CURSOR_OVERLAP_MS).toISOString() }
  yield { readings: [], skipped: {}, meals: [], deletedMealRecordIds: [], cursor }
}

/**
 * The windows to fetch for one record type: dataRange's start..end, no earlier than the backfill limit. The end is
 * inclusive, so one second is added to be sure the newest record is inside (Dexcom's boundary rule is undocumented).
 */
function spans(range: Record<string, unknown>, type: 'egvs' | 'events', earliest: Date): Array<{ from: Date; to: Date }> {
  const entry = range[type] as { start?: { systemTime?: unknown }; end?: { systemTime?: unknown } } | undefined
  if (entry === undefined || typeof entry !== 'object' || entry === null) {
    throw new ProviderError('bad_response', `Dexcom dataRange has no "${type}" entry`)
  }
  const startRaw = entry.start?.systemTime
  const endRaw = entry.end?.systemTime
  if (startRaw === null || endRaw === null || startRaw === undefined || endRaw === undefined) return [] // nothing new
  const start = parseSystemTime(startRaw)
  const end = parseSystemTime(endRaw)
  if (!start || !end) throw new ProviderError('bad_response', `Dexcom dataRange.${type} has an unreadable systemTime`)
  const from = start < earliest ? earliest : start
  const to = new Date(end.getTime() + 1000)
  return from > to ? [] : windows(from, to, MAX_WINDOW_MS)
}

function records(body: Record<string, unknown>, path: string): unknown[] {
  if (!Array.isArray(body.records)) throw new ProviderError('bad_response', `Dexcom /${path} answer has no records array`)
  return body.records
}

function asDexcom(credentials: Record<string, unknown>): DexcomCredentials {
  for (const field of ['accessToken', 'refreshToken', 'expiresAt', 'baseUrl', 'region']) {
    if (typeof credentials[field] !== 'string') throw new ProviderError('reauth_required', 'stored Dexcom credentials are incomplete; connect Dexcom again')
  }
  return credentials as DexcomCredentials
}
