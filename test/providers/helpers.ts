// Shared setup for provider tests: the real app (with the connections routes) on a real port, the real Dexcom
// simulator over HTTP, and the browser's part of the OAuth dance done with fetch.
import type { Test } from 'tap'
import type { Config } from '../../src/config.js'
import { startDexcomSimulator, type DexcomSimulator } from '../../src/simulators/dexcom/index.js'
import { SANDBOX_USERS } from '../../src/simulators/dexcom/users.js'
import { request, startApp, type Running } from '../helpers.js'

// Nothing listens here: the simulator redirects the "browser" to this URL, and the test replays its query string
// against the app's callback (the app's port is only known after it listens). Token exchange must send the same URI.
/** The privacy-policy version test users consent to. */
export const POLICY = 'test-policy-1'

export const REDIRECT_URI = 'http://127.0.0.1:9/api/v1/connections/dexcom/callback'

/** A simulator whose clock stands still at its start, so what it serves cannot change between two assertions. */
export async function startSimulator(t: Test, options: Parameters<typeof startDexcomSimulator>[0] = {}): Promise<DexcomSimulator> {
  const t0 = Date.now()
  const sim = await startDexcomSimulator({
    now: () => t0,
    users: SANDBOX_USERS.map((u) => ({ ...u, historyDays: 2 })),
    ...options,
  })
  t.teardown(() => sim.close())
  return sim
}

export function startProviderApp(
  t: Test,
  sim: DexcomSimulator,
  overrides: Partial<Config> = {},
  logStream?: { write(line: string): void },
): Promise<Running> {
  const dexcom = { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', redirectUri: REDIRECT_URI, baseUrl: sim.baseUrl }
  return startApp(t, { dexcom, ...overrides }, logStream)
}

/** authorize (as the user) → simulator login page (as the browser) → redirect back to our callback. */
export async function startLogin(app: Running, user: ReturnType<Running['newUser']>, sim: DexcomSimulator, username: string) {
  const authorize = await user.request('GET', `/api/v1/connections/dexcom/authorize?consent=${POLICY}`)
  if (authorize.status !== 200) throw new Error(`authorize answered ${authorize.status}: ${JSON.stringify(authorize.body)}`)
  const login = new URL(authorize.body.authorizeUrl)
  login.searchParams.set('login_hint', username) // the sandbox login page's user choice
  const res = await fetch(login, { redirect: 'manual' })
  if (res.status !== 302) throw new Error(`simulator login answered ${res.status}`)
  const back = new URL(res.headers.get('location')!)
  return { authorizeUrl: login, back, callbackPath: `/api/v1/connections/dexcom/callback${back.search}` }
}

export async function connectDexcom(app: Running, user: ReturnType<Running['newUser']>, sim: DexcomSimulator, username: string) {
  const { callbackPath } = await startLogin(app, user, sim, username)
  const callback = await request(app.url, undefined, 'GET', callbackPath)
  if (callback.status !== 200) throw new Error(`callback answered ${callback.status}: ${JSON.stringify(callback.body)}`)
  return callback.body.connection as { id: string; status: string; provider: string; region: string }
}

export async function rawConnection(app: Running, id: string) {
  const [row] = await app.db.sql<{ credentials: Buffer; status: string; user_id: string; sync_cursor: Record<string, unknown>; last_error: string | null }[]>`
    SELECT credentials_encrypted AS credentials, status, user_id, sync_cursor, last_error FROM cgm_connections WHERE id = ${id}`
  return row!
}

/** What the simulator serves for the windows our service asked for: recorded requests replayed with our own token. */
export async function servedEgvs(sim: DexcomSimulator, username: string, urls: string[]) {
  const token = sim.issueTokens(username).access_token
  const records: Array<{ value: number | null; systemTime: string; recordId: string }> = []
  for (const url of urls) {
    const body = (await (await fetch(sim.baseUrl + url, { headers: { authorization: `Bearer ${token}` } })).json()) as { records: typeof records }
    records.push(...body.records)
  }
  return records
}
