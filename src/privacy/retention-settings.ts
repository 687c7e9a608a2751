// A user's own retention period (users.retention_days, migrations/0021_privacy.*.sql), read and set through
// GET/PATCH /api/v1/me. The global period (RETENTION_DAYS) applies to everyone, so the period in force is the
// shorter of the two; null means forever.
import type { Sql } from '../db/connect.js'

export interface RetentionSettings {
  /** The user's own period in days; null: none of their own. */
  retentionDays: number | null
  /** What the retention job applies to this user: the shorter of theirs and the global one; null: kept forever. */
  effectiveRetentionDays: number | null
}

export async function getRetention(sql: Sql, userId: string, globalDays: number | null): Promise<RetentionSettings | undefined> {
  const [row] = await sql<{ retention_days: number | null }[]>`SELECT retention_days FROM users WHERE id = ${userId}`
  return row && settings(row.retention_days, globalDays)
}

export async function setRetention(sql: Sql, userId: string, days: number | null, globalDays: number | null): Promise<RetentionSettings | undefined> {
  const [row] = await sql<{ retention_days: number | null }[]>`
    UPDATE users SET retention_days = ${days} WHERE id = ${userId} RETURNING retention_days`
  return row && settings(row.retention_days, globalDays)
}

function settings(own: number | null, globalDays: number | null): RetentionSettings {
  const periods = [own, globalDays].filter((d): d is number => d !== null)
  return { retentionDays: own, effectiveRetentionDays: periods.length > 0 ? Math.min(...periods) : null }
}
