// Shared by the security tests: audit-log reads and the shape every audit row must have.
import type { Test } from 'tap'
import type { Db } from '../../src/db/connect.js'
import { waitFor } from '../sync/support.js'

export interface AuditRow {
  id: string
  request_id: string | null
  actor_kind: string
  actor_id: string | null
  subject_user_id: string | null
  action: string
  status: number | null
}

export const auditRows = (db: Db, userId: string) => db.sql<AuditRow[]>`
  SELECT id::text, request_id, actor_kind, actor_id, subject_user_id, action, status
  FROM audit_log WHERE subject_user_id = ${userId} ORDER BY at, id`

/** The audit rows of `userId` once one matches `action` (HTTP entries are written just after the response). */
export async function waitForAudit(db: Db, userId: string, action: string | ((row: AuditRow) => boolean), timeoutMs = 5_000): Promise<AuditRow[]> {
  const matches = (row: AuditRow) => (typeof action === 'string' ? row.action === action : action(row))
  return waitFor(async () => {
    const rows = await auditRows(db, userId)
    return rows.some(matches) ? rows : undefined
  }, timeoutMs, async () => `an audit row "${action}" for ${userId}; have ${JSON.stringify((await auditRows(db, userId)).map((r) => r.action))}`)
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
// What each column may hold: ids, a route pattern or event name, a status. Nothing else fits these shapes, so a
// value, a query string or a token written into the log fails here.
const SHAPES: Record<keyof AuditRow, RegExp> = {
  id: /^\d+$/,
  request_id: new RegExp(`^(${UUID}|sync-run:\\d+)$`),
  actor_kind: /^(user|operator|upload-site|oauth-callback|system)$/,
  // A user, a provider name (OAuth callback), an upload site id (24 hex), a worker (host:pid/n).
  actor_id: new RegExp(`^(${UUID}|[a-z-]{2,30}|[0-9a-f]{24}|sync-worker:[\\w.-]+:\\d+/\\d+)$`),
  subject_user_id: new RegExp(`^${UUID}$`),
  action: /^((GET|HEAD|POST|PUT|PATCH|DELETE) \/[A-Za-z0-9/:._-]*|credentials\.(read|write) [a-z-]+)$/,
  status: /^\d{3}$/,
}

/** Every column of every row has its allowed shape (nulls aside). */
export function assertAuditShapes(t: Test, rows: AuditRow[]): void {
  for (const row of rows) {
    t.same(Object.keys(row).sort(), Object.keys(SHAPES).sort(), 'no other columns')
    for (const [column, shape] of Object.entries(SHAPES)) {
      const value = row[column as keyof AuditRow]
      if (value !== null) t.match(String(value), shape, `${column} of "${row.action}" is an id, pattern or code`)
    }
  }
}
