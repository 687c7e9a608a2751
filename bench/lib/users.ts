// Bench users: fresh per scenario so every ingest path does pure inserts. Their ids end in a fixed marker, so rows
// left by an interrupted run are recognised and removed by the next one; the marker sits in the last group (not
// the first) so the ids still spread over the (user_id, time, source) index like real random UUIDs do.
import { randomUUID } from 'node:crypto'
import type { Sql } from '../../src/db/connect.js'

const MARKER = 'be4c00be4c00' // "bench"

export function benchUserIds(count: number): string[] {
  return Array.from({ length: count }, () => `${randomUUID().slice(0, 24)}${MARKER}`)
}

export async function createUsers(sql: Sql, ids: readonly string[]): Promise<void> {
  await sql`INSERT INTO users ${sql(ids.map((id) => ({ id })))} ON CONFLICT DO NOTHING`
}

/**
 * Deletes every bench user; their readings go with them (ON DELETE CASCADE). Returns the users removed. Users the
 * audit log mentions (their syncs decrypted credentials) go one at a time, each named in glucose.erasing_user: the
 * audit log refuses any other delete of its rows (migrations/0022). One transaction either way.
 */
export async function deleteBenchUsers(sql: Sql): Promise<number> {
  return sql.begin(async (tx) => {
    const audited = await tx<{ id: string }[]>`
      SELECT DISTINCT subject_user_id AS id FROM audit_log WHERE subject_user_id::text LIKE ${`%-${MARKER}`}`
    for (const { id } of audited) {
      await tx`SELECT set_config('glucose.erasing_user', ${id}, true)`
      await tx`DELETE FROM users WHERE id = ${id}`
    }
    const rest = await tx`DELETE FROM users WHERE id::text LIKE ${`%-${MARKER}`}`
    return audited.length + rest.count
  })
}

/** Readings stored for these users: each scenario checks it stored every row before its figure is trusted. */
export async function countReadings(sql: Sql, ids: readonly string[]): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM glucose_readings WHERE user_id = ANY(${ids}::uuid[])`
  return row?.n ?? 0
}
