// Applies migrations/ in order, once each, recorded in schema_migrations.
//
// One history, two TimescaleDB editions: `NNNN_name.sql` runs on both; a pair `NNNN_name.full.sql` +
// `NNNN_name.apache.sql` runs the file matching `SHOW timescaledb.license` (full = 'timescale'). The full edition
// gets continuous aggregates, compression and policies; the Apache edition the same relation names as plain views.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Sql } from './connect.js'

export type Edition = 'full' | 'apache'
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

interface Migration {
  id: string
  files: Partial<Record<'both' | Edition, string>>
}

// Any constant works: it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK_KEY = 7_411_902_233

export async function listMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const byId = new Map<string, Migration>()
  for (const file of (await readdir(dir)).sort()) {
    const match = /^(\d{4}_[a-z0-9_]+?)(?:\.(full|apache))?\.sql$/.exec(file)
    if (!match) throw new Error(`migrations/${file}: name must be NNNN_name.sql, NNNN_name.full.sql or NNNN_name.apache.sql`)
    const [, id, edition] = match as unknown as [string, string, Edition | undefined]
    const migration = byId.get(id) ?? { id, files: {} }
    migration.files[edition ?? 'both'] = file
    byId.set(id, migration)
  }
  for (const m of byId.values()) {
    const { both, full, apache } = m.files
    if (both && (full || apache)) throw new Error(`migration ${m.id}: has both a shared file and edition files`)
    if (!both && !(full && apache)) throw new Error(`migration ${m.id}: needs both ${m.id}.full.sql and ${m.id}.apache.sql`)
  }
  return [...byId.values()]
}

/** The server's `timescaledb.license`: 'timescale' (full edition) or 'apache'. */
export async function timescaleLicense(sql: Sql): Promise<string> {
  // current_setting, not SHOW: SHOW names its column after the setting, dot included, and a lookup of
  // `timescaledb_license` found nothing, so every server, the full edition too, was taken for the Apache one.
  const [row] = await sql<{ license: string }[]>`SELECT current_setting('timescaledb.license') AS license`
  return row!.license
}

export async function detectEdition(sql: Sql): Promise<Edition> {
  return (await timescaleLicense(sql)) === 'timescale' ? 'full' : 'apache'
}

export interface MigrationResult {
  edition: Edition
  applied: string[]
}

export async function migrate(sql: Sql, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const migrations = await listMigrations(dir)
  // The extension must exist before the edition can be read; it is also migration 0001, which is idempotent.
  await sql`CREATE EXTENSION IF NOT EXISTS timescaledb`
  const edition = await detectEdition(sql)
  const applied: string[] = []
  await sql.begin(async (tx) => {
    // Several API and worker processes may start at once: the first migrates, the others wait, then find nothing to do.
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY, edition text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`
    const done = new Map((await tx<{ id: string; checksum: string }[]>`SELECT id, checksum FROM schema_migrations`)
      .map((r) => [r.id, r.checksum]))
    for (const m of migrations) {
      const file = m.files.both ?? m.files[edition]!
      const text = await readFile(`${dir}/${file}`, 'utf8')
      const checksum = createHash('sha256').update(text).digest('hex')
      const previous = done.get(m.id)
      if (previous !== undefined) {
        // Migrations are frozen once applied: a changed file means a new migration is needed instead.
        if (previous !== checksum) throw new Error(`migrations/${file} changed after it was applied; add a new migration instead`)
        continue
      }
      await tx.savepoint(async (sp) => {
        await sp.unsafe(text).simple()
      }).catch((error: Error) => {
        throw new Error(`migrations/${file} failed: ${error.message}`, { cause: error })
      })
      await tx`INSERT INTO schema_migrations (id, edition, checksum) VALUES (${m.id}, ${edition}, ${checksum})`
      applied.push(m.id)
    }
  })
  return { edition, applied }
}
