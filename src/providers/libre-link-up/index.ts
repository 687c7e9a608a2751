// LibreLinkUp (Abbott FreeStyle Libre's follower app; no official API) as a CgmProvider: connect by logging in
// with the user's email and password, pick the followed patient, and sync the patient's /graph history.
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { mapRecords } from '../map-records.js'
import { ProviderError, type CgmProvider, type Credentials, type FetchContext, type ProviderBatch } from '../provider.js'
import { login, LluSession, type LluCredentials, type LluSettings } from './api.js'
import { mapGlucoseItem } from './map.js'

const HOUR_MS = 3_600_000

export function createLibreLinkUpProvider(settings: Config['libreLinkUp']): CgmProvider {
  return {
    name: 'libre-link-up',
    source: 'LIBRE',
    limits: {
      // /graph covers about the last 12 h (PROVIDERS.md, UNCONFIRMED): a connection not synced for longer has gaps.
      maxWindowMs: 12 * HOUR_MS,
      cadenceMs: 5 * 60_000, // graph points every 5 minutes
      // No published budget; LibreView answers 430 to too many logins. A guess, well under what the apps poll.
      rateLimit: { requests: 60, perMs: HOUR_MS, per: 'connection' },
      dataDelayMs: 5 * 60_000,
      requestsPerSync: 2, // graph, plus a login when the ticket has expired
    },
    connect: {
      kind: 'credentials',
      fields: Type.Object({
        email: Type.String({ format: 'email', maxLength: 254, description: 'LibreLinkUp account email' }),
        password: Type.String({ minLength: 1, maxLength: 200, description: 'LibreLinkUp password; stored encrypted, never returned' }),
        patient: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'patientId or "First Last" of the person to follow; default: the first' })),
      }),
      login: async (input) => {
        const credentials = await connect(settings, input)
        return { credentials, region: credentials.region ?? 'global' }
      },
    },
    refresh: async (credentials) => {
      const stored = asLlu(credentials)
      return { ...stored, ...(await login(settings, stored.email, stored.password, stored.region)) }
    },
    mapReading: (record) => mapGlucoseItem(record),
    fetchSince: (context) => fetchSince(settings, context),
  }
}

async function connect(settings: LluSettings, input: Record<string, string>): Promise<LluCredentials> {
  const { email, password, patient } = input as { email: string; password: string; patient?: string }
  const ticket = await login(settings, email, password, null)
  const pending: LluCredentials = { email, password, patientId: '', ...ticket }
  const session = new LluSession(settings, pending, async () => {}) // saved by the caller once a patient is chosen
  const data = await session.get('/llu/connections')
  const patients = (Array.isArray(data) ? data : []).filter(
    (p): p is { patientId: string; firstName?: unknown; lastName?: unknown } => typeof p?.patientId === 'string' && /^[\w-]{1,64}$/.test(p.patientId),
  )
  if (patients.length === 0) {
    throw new ProviderError('reauth_required', 'this LibreLinkUp account follows nobody: accept a sharing invitation in the LibreLinkUp app, then connect again')
  }
  const fullName = (p: { firstName?: unknown; lastName?: unknown }) => `${String(p.firstName ?? '')} ${String(p.lastName ?? '')}`.trim()
  const wanted = patient?.trim().toLowerCase()
  const chosen = wanted === undefined ? patients[0] : patients.find((p) => p.patientId.toLowerCase() === wanted || fullName(p).toLowerCase() === wanted)
  if (!chosen) {
    throw new ProviderError('reauth_required', `no followed patient "${patient}"; this account follows: ${patients.map(fullName).join(', ').slice(0, 300)}`)
  }
  return { ...session.current, patientId: chosen.patientId }
}

/**
 * /graph is the patient's recent 5-minute history, stored whole as one batch. /logbook is not
 * read: it holds only alarm and scan readings, off the 5-minute grid, which would make time-weighted statistics
 * over-count excursions; and the 1-minute current value is left for the next graph to include.
 */
async function* fetchSince(settings: LluSettings, context: FetchContext): AsyncGenerator<ProviderBatch> {
  const session = new LluSession(settings, asLlu(context.credentials), (c) => context.saveCredentials(c))
  const data = (await session.get(`/llu/connections/${encodeURIComponent(session.current.patientId)}/graph`)) as { graphData?: unknown }
  if (!Array.isArray(data.graphData)) throw new ProviderError('bad_response', 'LibreLinkUp /graph answer has no graphData array')
  // Every point is stored each time, not only those newer than the last sync: a phone that was offline uploads
  // older points late, and a time cursor would skip them. About 144 rows; unchanged ones are no-ops in the store.
  const { readings, skipped } = mapRecords(data.graphData, (item) => mapGlucoseItem(item))
  const newest = readings.reduce((max, r) => Math.max(max, r.time.getTime()), -Infinity)
  const cursor = Number.isFinite(newest) ? { ...context.cursor, lastReadingAt: new Date(newest).toISOString() } : context.cursor
  yield { readings, skipped, meals: [], deletedMealRecordIds: [], cursor }
}

function asLlu(credentials: Credentials): LluCredentials {
  const c = credentials as Partial<LluCredentials>
  const complete = typeof c.email === 'string' && typeof c.password === 'string' && typeof c.patientId === 'string' &&
    typeof c.token === 'string' && typeof c.expires === 'number' && typeof c.accountId === 'string' && (c.region === null || typeof c.region === 'string')
  if (!complete) throw new ProviderError('reauth_required', 'stored LibreLinkUp credentials are incomplete; connect LibreLinkUp again')
  return c as LluCredentials
}
