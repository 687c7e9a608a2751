// Shared test setup: the real app on a real port against the real test database (DATABASE_URL, set by `npm test`),
// and users with signed tokens. Every test works on fresh random users, so test files can run in parallel.
import { randomBytes, randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { buildApp } from '../src/app.js'
import { signToken } from '../src/auth/sign-token.js'
import { loadConfig, type Config } from '../src/config.js'
import { connect, type Db } from '../src/db/connect.js'

export function testConfig(overrides: Partial<Config> = {}): Config {
  // The schema is migrated once by scripts/test.sh; test/db/migrate.test.ts covers migrating on its own database.
  // No sync worker in the app: tests that need one start it themselves (test/sync/).
  return loadConfig({ ...process.env, LOG_LEVEL: 'silent', MIGRATE_ON_START: 'false', SYNC_WORKER: 'false' }, overrides)
}

export interface Running {
  /** The Fastify instance itself: its routes, inject with a chosen client address. */
  app: Awaited<ReturnType<typeof buildApp>>
  url: string
  config: Config
  db: Db
  /** A new user with a valid token; `request` sends authenticated JSON requests as that user. */
  newUser(): TestUser
}

export interface TestUser {
  id: string
  token: string
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>
}

/** Starts the app on 127.0.0.1:random for the test `t`, closed when `t` ends; `logStream` captures its log. */
export async function startApp(t: Test, overrides: Partial<Config> = {}, logStream?: { write(line: string): void }): Promise<Running> {
  const config = testConfig(logStream ? { logLevel: 'info', ...overrides } : overrides)
  const app = await buildApp(config, logStream ? { logStream } : {})
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  const db = connect(config.databaseUrl, { max: 2 })
  t.teardown(async () => {
    await app.close()
    await db.close()
  })
  return {
    app,
    url,
    config,
    db,
    newUser() {
      const id = randomUUID()
      const token = signToken(config, id)
      return { id, token, request: (method, path, body) => request(url, token, method, path, body) }
    },
  }
}

export async function request(url: string, token: string | undefined, method: string, path: string, body?: unknown) {
  const response = await fetch(url + path, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers }
}

/** `count` readings every `stepMinutes` ending `endMinutesAgo` before now, with values from `value(i)`. */
export function series(count: number, opts: { stepMinutes?: number; endMinutesAgo?: number; value?: (i: number) => number } = {}) {
  const step = (opts.stepMinutes ?? 5) * 60_000
  const end = Math.floor(Date.now() / 60_000) * 60_000 - (opts.endMinutesAgo ?? 0) * 60_000
  return Array.from({ length: count }, (_, i) => ({
    time: new Date(end - (count - 1 - i) * step).toISOString(),
    value: opts.value ? opts.value(i) : 100 + (i % 50),
  }))
}

export async function countReadings(db: Db, userId: string): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM glucose_readings WHERE user_id = ${userId}`
  return row!.n
}

/**
 * An empty database of its own for the test `t` (on the test cluster), dropped when `t` ends: for tests that
 * migrate from nothing, or whose workers would otherwise act on every other test file's rows.
 */
export async function freshDatabase(t: Test, prefix: string, poolMax = 2): Promise<{ url: string; db: Db }> {
  const url = new URL(testConfig().databaseUrl)
  const name = `${prefix}_${randomBytes(4).toString('hex')}`
  const admin = connect(url.toString(), { max: 1 })
  await admin.sql.unsafe(`CREATE DATABASE ${name}`) // generated above, not user input
  url.pathname = `/${name}`
  const db = connect(url.toString(), { max: poolMax })
  t.teardown(async () => {
    await db.close()
    await admin.sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.close()
  })
  return { url: url.toString(), db }
}
