// The one interface every CGM provider implements. A provider is a folder (src/providers/<name>/) exporting a
// factory that returns a CgmProvider; src/providers/registry.ts lists the factories. The sync code
// (src/providers/sync-connection.ts) and the routes only ever talk to this interface, so adding a provider touches
// no other provider.
import type { TObject } from 'typebox'
import type { ReadingSource } from '../glucose/trends.js'
import type { ReadingRow } from '../glucose/validate-readings.js'

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }
/** Whatever a provider needs to call its API on the user's behalf. Stored only encrypted (src/providers/crypto.ts). */
export type Credentials = { [key: string]: Json }
/** Where the next sync resumes; stored as jsonb in cgm_connections.sync_cursor. */
export type SyncCursor = { [key: string]: Json }

export interface ProviderLimits {
  /** Longest time span one data request may cover; fetches are chunked to it. */
  maxWindowMs: number
  /** How often new readings appear, i.e. the useful polling interval. */
  cadenceMs: number
  /**
   * The provider's request budget: for our whole app (Dexcom counts every call of every user against the app), or
   * per connection (a user's own account or site). The scheduler rations app-wide budgets across connections.
   */
  rateLimit: { requests: number; perMs: number; per: 'app' | 'connection' }
  /** How late data typically reaches the API: a scheduler should not expect anything newer. */
  dataDelayMs: number
  /** Requests one routine (incremental) sync makes at most: what the scheduler budgets per sync. */
  requestsPerSync: number
}

/** A meal derived from a provider event (e.g. a Dexcom carbs event), upserted by (user, recordId). */
export interface ProviderMeal {
  recordId: string
  eatenAt: Date
  name: string
  carbsG: number
}

export type Mapped<T> = { ok: true; value: T } | { ok: false; reason: string }

/** One provider-sized window of data, stored before the next window is fetched. */
export interface ProviderBatch {
  readings: ReadingRow[]
  /** Records that could not become readings, counted by reason (e.g. value null with status low). */
  skipped: Record<string, number>
  meals: ProviderMeal[]
  /** recordIds of meals the provider reports as deleted. */
  deletedMealRecordIds: string[]
  /** Where to resume should a later batch fail. */
  cursor: SyncCursor
}

export interface FetchContext {
  credentials: Credentials
  cursor: SyncCursor
  /**
   * Persists rotated credentials before they are used: a refresh token is spent once exchanged, so losing the new
   * one would disconnect the user.
   */
  saveCredentials(credentials: Credentials): Promise<void>
}

/** OAuth2 authorization-code providers: the user is sent to the provider's login page and comes back with a code. */
export interface OAuthConnect {
  kind: 'oauth2'
  /** Whether client id/secret are configured; routes answer 503 with what to set when not. */
  configured(): boolean
  /** Resolves a requested region (or the configured default) to the host the whole connection will use. */
  resolveRegion(region: string | undefined): { region: string; baseUrl: string } | undefined
  /** `codeChallenge`: PKCE S256 (RFC 7636), the hash of the verifier that exchangeCode will send. */
  authorizeUrl(input: { state: string; baseUrl: string; codeChallenge: string }): string
  /** `codeVerifier`: PKCE; undefined only for a flow started before PKCE (sent without it). */
  exchangeCode(input: { code: string; region: string; baseUrl: string; codeVerifier: string | undefined }): Promise<Credentials>
}

/** Username/password or URL/secret providers (LibreLinkUp, Nightscout): credentials are checked by logging in. */
export interface CredentialConnect {
  kind: 'credentials'
  /** TypeBox schema of what the user sends to connect (string fields); the route validates the body with it. */
  fields: TObject
  /** Logs in once with what the user sent: what to store (encrypted), and the region shown with the connection. */
  login(input: Record<string, string>): Promise<{ credentials: Credentials; region: string | null }>
}

export interface CgmProvider {
  /** URL and database name: `dexcom`, `libre-link-up`, … */
  readonly name: string
  readonly source: ReadingSource
  readonly limits: ProviderLimits
  readonly connect: OAuthConnect | CredentialConnect
  /** New credentials for expiring ones. Throws ProviderError('reauth_required') when the user must reconnect. */
  refresh(credentials: Credentials): Promise<Credentials>
  /** Fetches everything new since `cursor`, one provider-sized window per batch, oldest first. */
  fetchSince(context: FetchContext): AsyncIterable<ProviderBatch>
  /** One raw provider record to the canonical reading row stored by src/glucose/store-readings.ts. */
  mapReading(record: unknown): Mapped<ReadingRow>
}

export type ProviderErrorKind =
  | 'reauth_required' // credentials revoked or expired for good: only the user can fix it
  | 'rate_limited' // the provider's budget is spent: retry after retryAfterSeconds
  | 'unavailable' // network failure, timeout or 5xx: retry later
  | 'bad_response' // the provider answered something we do not understand: nothing was stored from it
  | 'denied' // the user declined, or the provider refused the request
  | 'action_required' // the user must do something at the provider first (accept new terms): no retry helps until then

/** Errors a provider raises on purpose. Messages are safe to show and log: they never contain credentials. */
export class ProviderError extends Error {
  override name = 'ProviderError'
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
  }
}

/**
 * Splits [from, to] into consecutive windows of at most maxMs, oldest first. Windows do not overlap: the next starts
 * one second after the previous ends, as provider times have whole-second precision and both ends are inclusive.
 */
export function windows(from: Date, to: Date, maxMs: number): Array<{ from: Date; to: Date }> {
  const out: Array<{ from: Date; to: Date }> = []
  for (let start = from.getTime(); start <= to.getTime(); ) {
    const end = Math.min(start + maxMs, to.getTime())
    out.push({ from: new Date(start), to: new Date(end) })
    start = end + 1000
  }
  return out
}
