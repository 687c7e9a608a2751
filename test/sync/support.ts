// Sync-engine tests run on a database of their own: the scheduler claims every due connection of its database and
// the workers run every queued job, so on the shared test database they would sync other test files' connections.
import type { Test } from 'tap'
import type { Config } from '../../src/config.js'
import type { Db } from '../../src/db/connect.js'
import { migrate } from '../../src/db/migrate.js'
import { startBoss } from '../../src/sync/queues.js'
import { startSyncWorker, type SyncWorker } from '../../src/sync/worker.js'
import type { DexcomSimulator } from '../../src/simulators/dexcom/index.js'
import { freshDatabase, startApp, testConfig, type Running } from '../helpers.js'
import { connectDexcom, REDIRECT_URI } from '../providers/helpers.js'

/** A migrated database made for the test `t`, dropped when it ends. */
export async function privateDatabase(t: Test): Promise<{ url: string; db: Db }> {
  const fresh = await freshDatabase(t, 'glucose_sync', 4)
  await migrate(fresh.db.sql)
  return fresh
}

export interface SyncEnv {
  app: Running
  db: Db
  config: Config
  /** Starts a worker (its own pg-boss) on the private database; stopped when the test ends. */
  startWorker(overrides?: Partial<Config['sync']>): Promise<SyncWorker>
  /** A new user with a Dexcom connection (the real OAuth redirect against the simulator). */
  connect(username: string): Promise<{ user: ReturnType<Running['newUser']>; connectionId: string }>
}

// Short ticks and a fast pg-boss monitor: the tests wait for the engine, so it must not sit idle.
export const FAST_SYNC: Partial<Config['sync']> = { tickSeconds: 1, monitorSeconds: 1, heartbeatSeconds: 10, retryDelaySeconds: 1 }

export async function syncEnv(t: Test, sim: DexcomSimulator, sync: Partial<Config['sync']> = {}): Promise<SyncEnv> {
  const { url, db } = await privateDatabase(t)
  const base = testConfig()
  const config: Config = {
    ...base,
    databaseUrl: url,
    dexcom: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret', redirectUri: REDIRECT_URI, baseUrl: sim.baseUrl },
    sync: { ...base.sync, ...FAST_SYNC, ...sync, worker: false },
  }
  const app = await startApp(t, config)
  return {
    app,
    db,
    config,
    async startWorker(overrides = {}) {
      const workerConfig = { ...config, sync: { ...config.sync, ...overrides } }
      const boss = await startBoss(workerConfig, { supervise: true })
      const worker = await startSyncWorker({ config: workerConfig, boss, log: silentLog })
      t.teardown(async () => {
        await worker.stop()
        await boss.stop({ graceful: false, timeout: 5_000 })
      })
      return worker
    },
    async connect(username) {
      const user = app.newUser()
      const connection = await connectDexcom(app, user, sim, username)
      return { user, connectionId: connection.id }
    },
  }
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string | (() => Promise<string>)): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : await what()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export async function connectionRow(db: Db, id: string) {
  const [row] = await db.sql<{
    status: string; sync_cursor: Record<string, unknown>; next_sync_at: Date | null; consecutive_failures: number; last_error: string | null; last_success_at: Date | null
  }[]>`SELECT status, sync_cursor, next_sync_at, consecutive_failures, last_error, last_success_at FROM cgm_connections WHERE id = ${id}`
  return row!
}

const noop = () => {}
export const silentLog = { info: noop, error: noop, warn: noop, debug: noop, trace: noop, fatal: noop, level: 'silent', child: () => silentLog, silent: noop } as never
