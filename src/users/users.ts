// Users exist because a trusted issuer signed a token for them: the row is created on first use.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { GlucoseUnit } from '../glucose/units.js'

export interface UserSettings {
  id: string
  timezone: string
  preferredUnit: GlucoseUnit
}

export async function ensureUser(db: Kysely<Database>, id: string): Promise<void> {
  await db.insertInto('users').values({ id }).onConflict((oc) => oc.column('id').doNothing()).execute()
}

export async function getUserSettings(db: Kysely<Database>, id: string): Promise<UserSettings | undefined> {
  const row = await db.selectFrom('users').select(['id', 'timezone', 'preferred_unit']).where('id', '=', id).executeTakeFirst()
  return row && { id: row.id, timezone: row.timezone, preferredUnit: row.preferred_unit }
}

export async function updateUserSettings(
  db: Kysely<Database>,
  id: string,
  changes: { timezone?: string | undefined; preferredUnit?: GlucoseUnit | undefined },
): Promise<UserSettings | undefined> {
  const values = {
    ...(changes.timezone !== undefined && { timezone: changes.timezone }),
    ...(changes.preferredUnit !== undefined && { preferred_unit: changes.preferredUnit }),
  }
  if (Object.keys(values).length > 0) await db.updateTable('users').set(values).where('id', '=', id).execute()
  return getUserSettings(db, id)
}

/** IANA zone names the database knows (time_bucket and AT TIME ZONE use PostgreSQL's zone database). */
export async function isKnownTimezone(db: Kysely<Database>, name: string): Promise<boolean> {
  const result = await sql<{ ok: boolean }>`SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = ${name}) AS ok`.execute(db)
  return result.rows[0]?.ok === true
}
