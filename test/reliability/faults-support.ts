// The fault matrix of provider-faults.test.ts: each broken answer a provider (or the proxy in front of it) can give,
// what our service must make of it, and the provider calls each fault is injected into.
import type { Test } from 'tap'
import type { FailureSpec, SimulatorControls } from '../../src/simulators/harness.js'
import { DEFAULT_PASSWORD } from '../../src/simulators/libre-link-up/index.js'
import type { Running, TestUser } from '../helpers.js'
import { connected, startLlu, startNightscout } from '../providers/credential-helpers.js'
import { connectDexcom, startSimulator } from '../providers/helpers.js'

/** Short limits so a hanging provider costs the test seconds; the mechanism is the one production runs. */
export const TIMEOUT_MS = 1_500
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024
/** How long the simulators hold a hanging socket: longer than our timeout, so ours must fire first. */
export const HANG_MS = 4_000
export const HUGE_BYTES = 200 * 1024 * 1024

export interface Fault {
  spec: Omit<FailureSpec, 'pathPrefix'>
  /** Our answer to POST /connections/:id/sync: 503 try again later, 502 the provider answered something unusable. */
  code: 502 | 503
  /** The connection's status afterwards: transient trouble leaves it active, an unusable answer marks it 'error'. */
  status: 'active' | 'error'
  /** What the user reads in the answer and in GET /connections lastError. */
  error: RegExp
}

const cap = /more than the 4194304 bytes a provider answer may have \(PROVIDER_MAX_RESPONSE_BYTES\)/

export const FAULTS: Fault[] = [
  { spec: { status: 500 }, code: 503, status: 'active', error: /answered 500; retry later/ },
  { spec: { status: 502 }, code: 503, status: 'active', error: /answered 502; retry later/ },
  { spec: { status: 503, retryAfterSeconds: 120 }, code: 503, status: 'active', error: /answered 503; retry later/ },
  { spec: { status: 504 }, code: 503, status: 'active', error: /answered 504; retry later/ },
  { spec: { status: 'timeout' }, code: 503, status: 'active', error: /no answer within 1\.5 s; retry later/ },
  { spec: { status: 'slow' }, code: 503, status: 'active', error: /no complete answer within 1\.5 s; retry later/ },
  { spec: { status: 'truncated' }, code: 503, status: 'active', error: /connection closed after \d+ bytes, before the whole answer arrived/ },
  { spec: { status: 'garbage-json' }, code: 502, status: 'error', error: /answered 200 with a body that is not JSON \(application\/json\)/ },
  { spec: { status: 'html' }, code: 502, status: 'error', error: /answered 200 with an HTML page/ },
  { spec: { status: 'huge', hugeBytes: HUGE_BYTES }, code: 502, status: 'error', error: cap },
  { spec: { status: 'huge-declared', hugeBytes: HUGE_BYTES }, code: 502, status: 'error', error: cap },
]

export interface Target {
  /** provider (call), e.g. `dexcom (egvs)`. */
  name: string
  sim: SimulatorControls
  user: TestUser
  connectionId: string
  /** Where the fault is injected: the path prefix of the provider call that gets it. */
  path: string
  /** Makes the next sync go through `path` (expire the token so a refresh or a login is due). */
  prepare(): void
  /** A reading newer than anything synced, with the simulator's clock brought to now: what a sync should fetch. */
  addReading(): Promise<void>
}

const US = { email: 'us-follower@example.com', password: DEFAULT_PASSWORD }

/** The three simulators, started before the app (whose config must point at them). */
export async function startSimulators(t: Test) {
  const dexcom = await startSimulator(t, { hangMs: HANG_MS })
  const llu = await startLlu(t, { hangMs: HANG_MS })
  const nightscout = await startNightscout(t, { hangMs: HANG_MS, historyDays: 1 })
  return { dexcom, llu, nightscout }
}

/** One connected user per provider; the data call of each, and the token refresh and login calls. */
export async function connectTargets(app: Running, sims: Awaited<ReturnType<typeof startSimulators>>): Promise<Target[]> {
  const { dexcom, llu, nightscout } = sims
  const none = () => {}
  const lluPatient = llu.accounts.find((a) => a.email === US.email)!.patients[0]!.patientId
  const value = () => 90 + Math.floor(Math.random() * 100)
  const dexUser = app.newUser()
  const lluUser = app.newUser()
  const nsUser = app.newUser()
  const dexcomReading = reading(app, dexUser.id, dexcom, (at) => void dexcom.putEgv('SandboxUser1', at, { value: value() }))
  const lluReading = reading(app, lluUser.id, llu, (at) => llu.putReading(lluPatient, at, value()))
  const nsReading = reading(app, nsUser.id, nightscout, (at) => void nightscout.putEntry({ type: 'sgv', sgv: value(), date: at, direction: 'Flat', device: 'faults' }))
  const targets: Target[] = []
  const dexConnection = await connectDexcom(app, dexUser, dexcom, 'SandboxUser1')
  targets.push({ name: 'dexcom (egvs)', sim: dexcom, user: dexUser, connectionId: dexConnection.id, path: '/v3/users/self/egvs', prepare: none, addReading: dexcomReading })
  targets.push({
    name: 'dexcom (token refresh)', sim: dexcom, user: dexUser, connectionId: dexConnection.id, path: '/v2/oauth2/token',
    prepare: () => void dexcom.expireAccessTokens('SandboxUser1'), addReading: dexcomReading,
  })
  const lluConnection = await connected(lluUser, 'libre-link-up', US)
  targets.push({ name: 'libre-link-up (graph)', sim: llu, user: lluUser, connectionId: lluConnection.id, path: '/llu/connections/', prepare: none, addReading: lluReading })
  targets.push({
    name: 'libre-link-up (login)', sim: llu, user: lluUser, connectionId: lluConnection.id, path: '/llu/auth/login',
    prepare: () => void llu.expireTokens(US.email), addReading: lluReading,
  })
  const nsConnection = await connected(nsUser, 'nightscout', { url: nightscout.baseUrl, apiSecret: nightscout.apiSecret })
  targets.push({ name: 'nightscout (entries)', sim: nightscout, user: nsUser, connectionId: nsConnection.id, path: '/api/v1/entries', prepare: none, addReading: nsReading })
  return targets
}

/**
 * Puts a reading a second before now, in whole seconds (every provider's time format keeps them), later than the
 * one before (a fault round can take less than a second) and at a second where nothing is stored yet: the
 * simulators' own 5-minute points fall on whole seconds too, and one a second old may already have been synced,
 * which made the "new" reading a revision (no insert, cursor unmoved) in about one run in ten. The simulator's
 * clock is brought to the real one first: our service refuses future readings.
 */
function reading(app: Running, userId: string, sim: SimulatorControls, put: (at: number) => void): () => Promise<void> {
  let last = 0
  const taken = async (at: number) =>
    at <= last || (await app.db.sql`SELECT 1 FROM glucose_readings WHERE user_id = ${userId} AND time = ${new Date(at)}`).length > 0
  return async () => {
    let at = Math.floor(Date.now() / 1000) * 1000 - 1000
    while (await taken(at)) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      at = Math.floor(Date.now() / 1000) * 1000 - 1000
    }
    last = at
    sim.advanceClock(Date.now() - sim.now())
    put(at)
  }
}

export async function connectionRow(app: Running, id: string) {
  const [row] = await app.db.sql<{ status: string; sync_cursor: unknown; consecutive_failures: number; next_sync_at: Date | null; last_error: string | null }[]>`
    SELECT status, sync_cursor, consecutive_failures, next_sync_at, last_error FROM cgm_connections WHERE id = ${id}`
  return row!
}
