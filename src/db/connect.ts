// One postgres.js pool per process; Kysely shares it (kysely-postgres-js) so a request never holds two pools.
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
