// Dexcom API v3 as a CgmProvider: OAuth2 connect, token refresh, and a sync that asks /dataRange what is new
// since the last sync, then fetches /egvs and /events for that span in windows of at most 30 days, newest first.
import type { Config } from '../../config.js'
import { mapRecords } from '../map-records.js'
import { ProviderError, windows, type CgmProvider, type FetchContext, type ProviderBatch } from '../provider.js'
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
      rateLimit: { requests: 60_000, perMs: 3_600_000, per: 'app' }, // per app per hour (v2 overview; v3 UNCONFIRMED)
      dataDelayMs: 3_600_000, // US data historically arrived 1–3 h late (UNCONFIRMED today)
      requestsPerSync: 3, // dataRange, egvs, events
    },
    connect: {
      kind: 'oauth2',
      configured: () => Boolean(settings.clientId && settings.clientSecret),
      resolveRegion: (region) => resolveDexcomRegion(region, settings.baseUrl),
      authorizeUrl: ({ state, baseUrl, codeChallenge }) => authorizeUrl(client(), baseUrl, state, codeChallenge),
      exchangeCode: (input) => exchangeCode(client(), input),
    },
    refresh: (credentials) => refreshTokens(client(), asDexcom(credentials)),
    mapReading: (record) => mapEgv(record),
    fetchSince: (context) => fetchSince(client(), context),
  }
}

/**
 * Where a Dexcom sync resumes. `lastSyncTime` is what dataRange is asked "what changed since"; `backfill` is the
 * part of the first sync's history still owed (fetched newest first, so it shrinks from its `to` end).
 */
interface DexcomCursor {
  lastSyncTime?: string
  backfill?: { from: string; to: string }
}

type Span = { from: Date; to: Date }

/**
 * Newest first: on a first sync the user sees today before last month. New data since the last sync comes first,
 * then any history a first sync still owes (it was interrupted). Each window's EGVs and events are one batch, and
 * each batch carries the cursor that is true once it is stored: the history owed shrinks window by window, so an
 * interrupted backfill resumes where it stopped instead of starting over.
 */
async function* fetchSince(client: DexcomClient, context: FetchContext): AsyncGenerator<ProviderBatch> {
  const startedAt = Date.now()
  const session = new DexcomSession(client, asDexcom(context.credentials), (c) => context.saveCredentials(c))
  const cursor = context.cursor as DexcomCursor
  const range = await session.get('/v3/users/self/dataRange', cursor.lastSyncTime ? { lastSyncTime: naiveIso(new Date(cursor.lastSyncTime)) } : {})
  const earliest = new Date(startedAt - DEXCOM_BACKFILL_MS)
  const egvs = span(range, 'egvs', earliest)
  const events = span(range, 'events', earliest)
  const found = union(egvs, events)
  const lastSyncTime = new Date(startedAt - CURSOR_OVERLAP_MS).toISOString()
  // A first sync owes everything dataRange has; later ones owe what an interrupted first sync left.
  const owed = cursor.lastSyncTime ? parseOwed(cursor.backfill) : found
  const fresh = cursor.lastSyncTime ? found : undefined
  // Fresh windows ask for a type only where dataRange says it has records; owed history is asked for both (the
  // dataRange that described it was the first sync's).
  const fetchFresh = (window: Span) => fetchWindow(session, window, egvs, events)
  const fetchOwed = (window: Span) => fetchWindow(session, window, window, window)

  if (fresh) {
    const freshWindows = windows(fresh.from, fresh.to, MAX_WINDOW_MS).reverse()
    for (const [i, window] of freshWindows.entries()) {
      const done = i === freshWindows.length - 1
      // Until the last fresh window is in, a failure must ask dataRange the same question again.
      yield { ...(await fetchFresh(window)), cursor: done ? { lastSyncTime, ...(owed && { backfill: iso(owed) }) } : context.cursor }
    }
  }
  if (owed) {
    for (const window of windows(owed.from, owed.to, MAX_WINDOW_MS).reverse()) {
      const rest = window.from > owed.from ? { from: owed.from, to: new Date(window.from.getTime() - 1000) } : undefined
      yield { ...(await fetchOwed(window)), cursor: { lastSyncTime, ...(rest && { backfill: iso(rest) }) } }
    }
  }
  // Nothing new and nothing owed: the cursor still moves, so the next sync asks about a shorter span.
  if (!fresh && !owed) yield { readings: [], skipped: {}, meals: [], deletedMealRecordIds: [], cursor: { lastSyncTime } }
}

/** One window's EGVs and events, each asked only where dataRange says that type has records. */
async function fetchWindow(session: DexcomSession, window: Span, egvs: Span | undefined, events: Span | undefined): Promise<Omit<ProviderBatch, 'cursor'>> {
  const query = { startDate: naiveIso(window.from), endDate: naiveIso(window.to) }
  let batch: Omit<ProviderBatch, 'cursor'> = { readings: [], skipped: {}, meals: [], deletedMealRecordIds: [] }
  if (egvs && overlaps(window, egvs)) {
    const body = await session.get('/v3/users/self/egvs', query)
    batch = { ...batch, ...mapRecords(records(body, 'egvs'), (record) => mapEgv(record)) }
  }
  if (events && overlaps(window, events)) {
    const body = await session.get('/v3/users/self/events', query)
    for (const record of records(body, 'events')) {
      const event = mapEvent(record)
      if (event.kind === 'meal') batch.meals.push(event.meal)
      else if (event.kind === 'deleted') batch.deletedMealRecordIds.push(event.recordId)
      else if (event.kind === 'skipped') batch.skipped[event.reason] = (batch.skipped[event.reason] ?? 0) + 1
    }
  }
  return batch
}

/**
 * The span to fetch for one record type: dataRange's start..end, no earlier than the backfill limit. The end is
 * inclusive, so one second is added to be sure the newest record is inside (Dexcom's boundary rule is undocumented).
 */
function span(range: Record<string, unknown>, type: 'egvs' | 'events', earliest: Date): Span | undefined {
  const entry = range[type] as { start?: { systemTime?: unknown }; end?: { systemTime?: unknown } } | undefined
  if (entry === undefined || typeof entry !== 'object' || entry === null) {
    throw new ProviderError('bad_response', `Dexcom dataRange has no "${type}" entry`)
  }
  const startRaw = entry.start?.systemTime
  const endRaw = entry.end?.systemTime
  if (startRaw === null || endRaw === null || startRaw === undefined || endRaw === undefined) return undefined // nothing new
  const start = parseSystemTime(startRaw)
  const end = parseSystemTime(endRaw)
  if (!start || !end) throw new ProviderError('bad_response', `Dexcom dataRange.${type} has an unreadable systemTime`)
  const from = start < earliest ? earliest : start
  const to = new Date(end.getTime() + 1000)
  return from > to ? undefined : { from, to }
}

function union(a: Span | undefined, b: Span | undefined): Span | undefined {
  if (!a || !b) return a ?? b
  return { from: a.from < b.from ? a.from : b.from, to: a.to > b.to ? a.to : b.to }
}

const overlaps = (a: Span, b: Span) => a.from <= b.to && b.from <= a.to
const iso = (s: Span) => ({ from: s.from.toISOString(), to: s.to.toISOString() })

function parseOwed(backfill: DexcomCursor['backfill']): Span | undefined {
  if (!backfill) return undefined
  const from = new Date(backfill.from)
  const to = new Date(backfill.to)
  return Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from > to ? undefined : { from, to }
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
