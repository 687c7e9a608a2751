// One postgres.js pool per process; Kysely shares it (kysely-postgres-js) so a request never holds two pools.
import net from 'node:net'
import { Kysely } from 'kysely'
import { PostgresJSDialect } from 'kysely-postgres-js'
import postgres from 'postgres'
import type { Database } from './schema.js'

export type Sql = postgres.Sql
export type Tx = postgres.TransactionSql
export interface Db {
  sql: Sql
  kysely: Kysely<Database>
  close(): Promise<void>
}

export function connect(url: string, options: { max?: number } = {}): Db {
  const sql = postgres(url, {
    max: options.max ?? 10,
    // Session time zone UTC: timestamps rendered by SQL (json, text) are ISO 8601 in UTC regardless of server config.
    connection: { TimeZone: 'UTC', application_name: 'glucose-service' },
    transform: { undefined: null },
    onnotice: () => {},
    idle_timeout: 60,
    connect_timeout: 10,
    // Seconds before a pool connection reconnects after failed ones. postgres.js's default grows to 20 s
    // (3^n / 100): after a short database outage the API kept answering 503 for up to 20 s with the database back.
    // Capped at 1 s (with jitter, so processes do not reconnect in step); a refused connect costs nothing.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1) * (0.5 + Math.random() / 2),
    // A documented option (postgres.js README, "Custom socket") missing from its type definitions.
    ...({ socket: openSocket } as object),
  })
  const kysely = new Kysely<Database>({ dialect: new PostgresJSDialect({ postgres: sql }) })
  return {
    sql,
    kysely,
    async close() {
      await sql.end({ timeout: 5 })
    },
  }
}

/**
 * postgres.js 3.4 leaves Nagle's algorithm on. A COPY sends CopyData and CopyDone as small separate writes, and the
 * second then waits for the server's delayed ACK: measured here, every COPY took ~95 ms instead of ~5 ms. This
 * factory opens the connection postgres.js would (first host of the URL, or its Unix socket) with TCP_NODELAY set.
 * postgres.js adds TLS on top of it when the URL asks for it.
 *
 * The socket is returned before it connects, as postgres.js's own is: a refused or failed connect then reaches
 * postgres.js as the socket's 'error' and 'close', which return the connection to the pool's closed queue, and its
 * connect_timeout applies. A factory that rejects instead leaves the connection stuck "connecting" forever: after
 * `max` failed connects (the database down for a moment) every query waited for ever, even once it was back
 * (found by test/reliability/db-restart.test.ts).
 */
function openSocket(options: { host: string[]; port: number[]; path?: string | false }): net.Socket {
  return options.path
    ? net.connect({ path: options.path })
    : net.connect({ host: options.host[0]!, port: options.port[0]!, noDelay: true })
}

/**
 * `sql.begin(fn)` that also works on a reserved connection (`sql.reserve()`), which in postgres.js 3.4 has no
 * `begin` although its type says so: there the transaction is BEGIN/COMMIT on that one connection. A sync holds a
 * reserved connection for its lock and runs all its statements on it (src/providers/sync-connection.ts).
 */
export async function transaction<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (typeof (sql as { begin?: unknown }).begin === 'function') return sql.begin(fn) as Promise<T>
  await sql`BEGIN`
  try {
    const result = await fn(sql as unknown as Tx)
    await sql`COMMIT`
    return result
  } catch (error) {
    await sql`ROLLBACK`
    throw error
  }
}
