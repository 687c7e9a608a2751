// Seeding and checking for the sync-scale section: N bench users, each with a Dexcom connection in the steady
// state of the 5-minute cycle (an earlier sync stored everything up to `seededAt − 5 min` and left its cursor),
// written in a few batched statements; and afterwards the check that what the workers stored is what the
// simulator serves.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Config } from '../../src/config.js'
import type { Sql } from '../../src/db/connect.js'
import type { ReadingRow } from '../../src/glucose/validate-readings.js'
import { credentialContext } from '../../src/providers/connections.js'
import { CredentialCipher } from '../../src/providers/crypto.js'
import type { DexcomCredentials } from '../../src/providers/dexcom/oauth.js'
import { mapConcurrent, type DexcomSimChild, type SimReader } from './dexcom-sim.js'
import { READING_INTERVAL_MS } from './readings.js'
import { createUsers } from './users.js'

// src/providers/dexcom/index.ts CURSOR_OVERLAP_MS: each sync asks dataRange for what is new since 10 minutes before
// the previous sync started.
export const CURSOR_OVERLAP_MS = 10 * 60_000
const SOURCE = 'DEXCOM'
const CHUNK = 2_000

export interface SeededConnection {
  id: string
  userId: string
  username: string
}

export interface Seeded {
  connections: SeededConnection[]
  /** Readings stored as the previous cycle would have: up to seededAt − 5 min. */
  readings: number
  seededAt: Date
}

/**
 * Users, connections with encrypted credentials for the simulator's tokens, the cursor an earlier sync 5 minutes
 * ago would have left (lastSyncTime = that sync's start − the overlap), and the readings it stored: those a sync
 * now sees again in its overlap, so it takes the upsert path (2–3 unchanged, 1 new) as in production, not the
 * COPY path of a first sync. next_sync_at stays NULL: the caller makes them due when its workers are ready.
 */
export async function seedConnections(sql: Sql, config: Config, sim: DexcomSimChild, reader: SimReader, userIds: readonly string[], seededAt: Date): Promise<Seeded> {
  for (let i = 0; i < userIds.length; i += 5_000) await createUsers(sql, userIds.slice(i, i + 5_000))
  const cipher = CredentialCipher.fromConfig(config.credentialKeys)
  const expiresAt = new Date(seededAt.getTime() + 86_400_000).toISOString() // far ahead: no refresh in the run
  const previousSync = seededAt.getTime() - READING_INTERVAL_MS
  const cursor = { lastSyncTime: new Date(previousSync - CURSOR_OVERLAP_MS).toISOString() }
  const connections: SeededConnection[] = []
  for (let i = 0; i < userIds.length; i += CHUNK) {
    const rows = userIds.slice(i, i + CHUNK).map((userId, k) => {
      const [, accessToken, refreshToken] = sim.tokens[i + k]!
      const credentials: DexcomCredentials = { accessToken, refreshToken, expiresAt, baseUrl: sim.baseUrl, region: 'custom' }
      return {
        user_id: userId,
        provider: 'dexcom',
        status: 'active',
        region: 'custom',
        credentials_encrypted: cipher.encryptJson(credentials, credentialContext(userId, 'dexcom')),
      }
    })
    const inserted = await sql<{ id: string; userId: string }[]>`
      INSERT INTO cgm_connections ${sql(rows)} RETURNING id, user_id AS "userId"`
    const usernameOf = new Map(rows.map((r, k) => [r.user_id, sim.tokens[i + k]![0]]))
    for (const row of inserted) connections.push({ ...row, username: usernameOf.get(row.userId)! })
  }
  await sql`UPDATE cgm_connections SET sync_cursor = ${sql.json(cursor)} WHERE user_id = ANY(${userIds as string[]}::uuid[])`

  // What the previous sync stored: its overlap window (a sync fetches from lastSyncTime on) up to its start.
  const from = new Date(previousSync - CURSOR_OVERLAP_MS - READING_INTERVAL_MS)
  const to = new Date(previousSync)
  let readings = 0
  const perUser = await mapConcurrent(connections, 8, (c) => reader.egvs(c.username, from, to))
  let text = ''
  for (const [k, rows] of perUser.entries()) {
    text += copyLines(connections[k]!.userId, rows)
    readings += rows.length
  }
  const writable = await sql`
    COPY glucose_readings (time, user_id, source, value, trend, trend_rate, source_record_id) FROM STDIN`.writable()
  await pipeline(Readable.from([text]), writable)
  return { connections, readings, seededAt }
}

// The COPY text src/glucose/store-readings.ts writes (record ids are the simulator's UUIDs: nothing to escape).
function copyLines(userId: string, rows: readonly ReadingRow[]): string {
  let text = ''
  for (const r of rows) {
    text += `${r.time.toISOString()}\t${userId}\t${SOURCE}\t${r.valueMgDl}\t${r.trend ?? '\\N'}\t${r.trendRate ?? '\\N'}\t${r.recordId ?? '\\N'}\n`
  }
  return text
}

export interface StoredCheck {
  connectionsChecked: number
  /** Readings the simulator serves in [seed window start, the connection's sync start]. */
  served: number
  /** Of those, stored with the same value, trend and record id. */
  matching: number
  /** Served but not stored, stored but not served, or stored with other values. */
  missing: number
  extra: number
  different: number
  /** Stored (user, time) pairs held more than once for the source (the unique index forbids it: expected 0). */
  duplicates: number
  /** The first few differences, to look into. */
  examples: string[]
}

/**
 * Everything the simulator serves for each connection, from the seeded window's start to the moment its sync
 * started, must be stored exactly so (readings after that moment may or may not have been seen, and are not
 * compared). Read back at zero latency after the cycle.
 */
export async function checkStored(sql: Sql, reader: SimReader, connections: readonly SeededConnection[], seededAt: Date): Promise<StoredCheck> {
  // Whole seconds, as the simulator reads startDate: else a reading in the window's first second is served, not selected.
  const from = new Date(Math.floor((seededAt.getTime() - READING_INTERVAL_MS - CURSOR_OVERLAP_MS - READING_INTERVAL_MS) / 1000) * 1000)
  const userIds = connections.map((c) => c.userId)
  const [stored, runs, dupes] = await Promise.all([
    sql<{ userId: string; time: Date; value: number; trend: string | null; recordId: string | null }[]>`
      SELECT user_id AS "userId", time, value, trend::text AS trend, source_record_id AS "recordId" FROM glucose_readings
      WHERE user_id = ANY(${userIds}::uuid[]) AND source = ${SOURCE} AND time >= ${from}`,
    sql<{ connectionId: string; startedAt: Date }[]>`
      SELECT connection_id AS "connectionId", min(started_at) AS "startedAt" FROM sync_runs
      WHERE connection_id = ANY(${connections.map((c) => c.id)}::uuid[]) GROUP BY connection_id`,
    sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM (SELECT 1 FROM glucose_readings WHERE user_id = ANY(${userIds}::uuid[]) AND source = ${SOURCE}
      GROUP BY user_id, time HAVING count(*) > 1) d`,
  ])
  const byUser = new Map<string, Map<number, (typeof stored)[number]>>()
  for (const row of stored) {
    let m = byUser.get(row.userId)
    if (!m) byUser.set(row.userId, (m = new Map()))
    m.set(row.time.getTime(), row)
  }
  const startedAt = new Map(runs.map((r) => [r.connectionId, r.startedAt]))
  const check: StoredCheck = { connectionsChecked: 0, served: 0, matching: 0, missing: 0, extra: 0, different: 0, duplicates: dupes[0]!.n, examples: [] }
  await mapConcurrent(connections, 8, async (c) => {
    const until = startedAt.get(c.id)
    if (!until) return // never synced: reported by the caller
    const served = await reader.egvs(c.username, from, until)
    const mine = byUser.get(c.userId) ?? new Map()
    check.connectionsChecked += 1
    check.served += served.length
    for (const r of served) {
      const row = mine.get(r.time.getTime())
      const note = (what: string) => check.examples.length < 5 && check.examples.push(`${what}: ${c.username} ${r.time.toISOString()} (sync started ${until.toISOString()})`)
      if (!row) {
        check.missing += 1
        note('missing')
      } else if (row.value !== r.valueMgDl || row.trend !== r.trend || row.recordId !== r.recordId) {
        check.different += 1
        note('different')
      } else check.matching += 1
    }
    const servedTimes = new Set(served.map((r) => r.time.getTime()))
    for (const time of mine.keys()) if (time <= until.getTime() && !servedTimes.has(time)) check.extra += 1
  })
  return check
}
