// Setup for the credential providers (LibreLinkUp, Nightscout): their simulators on loopback with a clock that
// stands still, the app pointed at them, and connect calls as a user.
import type { Test } from 'tap'
import { CredentialCipher } from '../../src/providers/crypto.js'
import { credentialContext } from '../../src/providers/connections.js'
import { startLibreLinkUpSimulator, type LibreLinkUpSimulator } from '../../src/simulators/libre-link-up/index.js'
import { startNightscoutSimulator, type NightscoutSimulator } from '../../src/simulators/nightscout/index.js'
import { startApp, type Running, type TestUser } from '../helpers.js'
import { POLICY } from './helpers.js'

export const LLU_VERSION = '4.16.0'

export async function startLlu(t: Test, options: Parameters<typeof startLibreLinkUpSimulator>[0] = {}): Promise<LibreLinkUpSimulator> {
  const t0 = Date.now()
  const sim = await startLibreLinkUpSimulator({ now: () => t0, ...options })
  t.teardown(() => sim.close())
  return sim
}

export async function startNightscout(t: Test, options: Parameters<typeof startNightscoutSimulator>[0] = {}): Promise<NightscoutSimulator> {
  const t0 = Date.now()
  const sim = await startNightscoutSimulator({ now: () => t0, historyDays: 5, ...options })
  t.teardown(() => sim.close())
  return sim
}

export function startCredentialApp(t: Test, llu?: LibreLinkUpSimulator, logStream?: { write(line: string): void }): Promise<Running> {
  const libreLinkUp = llu
    ? { baseUrl: llu.baseUrl, regionUrlTemplate: llu.regionUrlTemplate, version: LLU_VERSION }
    : { baseUrl: 'http://127.0.0.1:9', regionUrlTemplate: 'http://127.0.0.1:9/{region}', version: LLU_VERSION }
  return startApp(t, { libreLinkUp }, logStream)
}

/** POST /api/v1/connections/<provider> with consent (null: without); the raw answer, for tests of refusals too. */
export function connect(user: TestUser, provider: string, fields: Record<string, unknown>, consent: unknown = { policyVersion: POLICY }) {
  return user.request('POST', `/api/v1/connections/${provider}`, { ...fields, ...(consent !== null && { consent }) })
}

/** Connects and throws unless it worked: for tests about what comes after. */
export async function connected(user: TestUser, provider: string, fields: Record<string, unknown>) {
  const res = await connect(user, provider, fields)
  if (res.status !== 201) throw new Error(`connect ${provider} answered ${res.status}: ${JSON.stringify(res.body)}`)
  return res.body.connection as { id: string; status: string; provider: string; region: string | null }
}

export function sync(user: TestUser, id: string) {
  return user.request('POST', `/api/v1/connections/${id}/sync`)
}

export async function storedCredentials<T>(app: Running, userId: string, provider: string): Promise<{ raw: Buffer; plain: T }> {
  const [row] = await app.db.sql<{ raw: Buffer }[]>`
    SELECT credentials_encrypted AS raw FROM cgm_connections WHERE user_id = ${userId} AND provider = ${provider}`
  const cipher = CredentialCipher.fromConfig(app.config.credentialKeys)
  return { raw: row!.raw, plain: cipher.decryptJson<T>(row!.raw, credentialContext(userId, provider)) }
}

/** Neither the bytes nor their base64/hex spelling of `secret` appear in `raw`. */
export function containsSecret(raw: Buffer, secret: string): boolean {
  return raw.includes(Buffer.from(secret)) || raw.toString('base64').includes(secret) || raw.toString('hex').includes(Buffer.from(secret).toString('hex'))
}
