// The audit log (migrations/0022_audit_log.sql): who touched whose health data or credentials. Entries carry ids,
// a route pattern or event name and a status code — never values, query strings or bodies.
import type { Sql } from '../db/connect.js'

export type ActorKind = 'user' | 'operator' | 'upload-site' | 'oauth-callback' | 'system'

export interface AuditEntry {
  requestId?: string | null
  actorKind: ActorKind
  actorId: string | null
  /** Whose data; null for none. A user that no longer exists is recorded as null (see insertAudit). */
  subjectUserId: string | null
  /** 'METHOD /route/pattern' or an event name such as 'credentials.read'. */
  action: string
  status?: number | null
  at?: Date
}

const FOREIGN_KEY_VIOLATION = '23503'

/**
 * One INSERT for any number of entries. The subject is joined against users, so an entry about a user erased in
 * the meantime (the DELETE /api/v1/me being recorded, a sync finishing after it) is kept with subject NULL, and
 * with actor NULL too when that user was the actor: nothing identifying an erased user stays behind. Should the
 * user vanish between the join and the insert's foreign-key check, the retry sees them gone.
 */
export async function insertAudit(sql: Sql, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return
  const column = <T>(pick: (e: AuditEntry) => T) => entries.map(pick)
  const statement = () => sql`
    INSERT INTO audit_log (at, request_id, actor_kind, actor_id, subject_user_id, action, status)
    SELECT e.at, e.request_id, e.actor_kind,
           CASE WHEN u.id IS NULL AND e.actor_id = e.subject::text THEN NULL ELSE e.actor_id END,
           u.id, e.action, e.status
    FROM unnest(${column((e) => (e.at ?? new Date()).toISOString())}::timestamptz[], ${column((e) => e.requestId ?? null)}::text[],
                ${column((e) => e.actorKind)}::text[], ${column((e) => e.actorId)}::text[],
                ${column((e) => e.subjectUserId)}::uuid[], ${column((e) => e.action.slice(0, 200))}::text[],
                ${column((e) => e.status ?? null)}::smallint[])
           AS e (at, request_id, actor_kind, actor_id, subject, action, status)
    LEFT JOIN users u ON u.id = e.subject`
  try {
    await statement()
  } catch (error) {
    if ((error as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw error
    await statement()
  }
}

export interface AuditRow {
  id: string
  at: Date
  requestId: string | null
  actorKind: ActorKind
  actorId: string | null
  subjectUserId: string | null
  action: string
  status: number | null
}

/** Newest first; `beforeId` pages on (ids only grow). */
export async function listAudit(
  sql: Sql,
  filter: { userId?: string | undefined; from: Date; to: Date; limit: number; beforeId?: string | undefined },
): Promise<AuditRow[]> {
  return sql<AuditRow[]>`
    SELECT id::text, at, request_id AS "requestId", actor_kind AS "actorKind", actor_id AS "actorId",
           subject_user_id AS "subjectUserId", action, status
    FROM audit_log
    WHERE at >= ${filter.from} AND at < ${filter.to}
      ${filter.userId ? sql`AND subject_user_id = ${filter.userId}` : sql``}
      ${filter.beforeId ? sql`AND id < ${filter.beforeId}` : sql``}
    ORDER BY id DESC
    LIMIT ${filter.limit}`
}
