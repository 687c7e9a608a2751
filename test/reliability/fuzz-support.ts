// Bookkeeping for fuzz.test.ts: the distribution of what was sent and answered, and the rows a user has anywhere.
import { randomUUID } from 'node:crypto'
import type { Db } from '../../src/db/connect.js'
import type { FuzzRequest } from './fuzz-requests.js'

export const newUserId = (): string => randomUUID()

export function tally() {
  const byKind: Record<string, number> = {}
  const byStatus: Record<string, number> = {}
  const byWho: Record<string, number> = {}
  const perRoute = new Map<string, number>()
  const bump = (o: Record<string, number>, k: string) => void (o[k] = (o[k] ?? 0) + 1)
  return {
    add(r: FuzzRequest, status: number) {
      bump(byKind, r.kind)
      bump(byStatus, String(status))
      bump(byWho, r.who)
      perRoute.set(r.route, (perRoute.get(r.route) ?? 0) + 1)
    },
    summary() {
      const counts = [...perRoute.values()]
      return { byKind, byStatus, byWho, perRoute, routes: perRoute.size, minPerRoute: Math.min(...counts), maxPerRoute: Math.max(...counts) }
    },
  }
}

/**
 * Rows that belong to `userId` in every base table with a uuid column named user_id or ending in _user_id, found in
 * information_schema at run time: a table added later is counted without changing this test.
 */
export async function rowsOfUser(db: Db, userId: string): Promise<{ tables: number; rows: Record<string, number> }> {
  const columns = await db.sql<{ schema: string; table: string; column: string }[]>`
    SELECT c.table_schema AS schema, c.table_name AS table, c.column_name AS column
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
    WHERE c.data_type = 'uuid' AND (c.column_name = 'user_id' OR c.column_name LIKE '%\\_user\\_id')
      AND c.table_schema NOT IN ('pg_catalog', 'information_schema') AND c.table_schema NOT LIKE '\\_timescaledb%'
    ORDER BY 1, 2, 3`
  const rows: Record<string, number> = {}
  for (const c of columns) {
    // Identifiers come from the catalog above, never from input; quoted all the same.
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${db.sql(c.schema)}.${db.sql(c.table)} WHERE ${db.sql(c.column)} = ${userId}`
    if (row!.n > 0) rows[`${c.schema}.${c.table}.${c.column}`] = row!.n
  }
  return { tables: new Set(columns.map((c) => `${c.schema}.${c.table}`)).size, rows }
}
