// `npm run doctor`: checks a deployment one line at a time — ✓ fine, ! works but needs attention, ✗ broken, with
// what to do — and exits 1 when anything is broken. Reads only: it migrates nothing, starts no pg-boss, and never
// prints a secret (stored credentials are decrypted in memory to prove the keys work, then dropped).
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { developmentSecretsIn, DEXCOM_SANDBOX_URL, loadConfig, type Config } from '../config.js'
import { connect, type Sql } from '../db/connect.js'
import { detectEdition, listMigrations, MIGRATIONS_DIR, timescaleLicense } from '../db/migrate.js'
import { CredentialCipher, keyIdOf } from '../providers/crypto.js'
import { ENCRYPTED_COLUMNS } from '../providers/rotate-credentials.js'
import { ANALYSIS_QUEUE, BOSS_SCHEMA, SYNC_QUEUE } from '../sync/queues.js'

type Status = 'ok' | 'warn' | 'fail'
const MARK: Record<Status, string> = { ok: '✓', warn: '!', fail: '✗' }
const results: Status[] = []

function line(status: Status, name: string, text: string): void {
  results.push(status)
  console.log(`${MARK[status]} ${name}: ${text}`)
}

// Stored secrets decrypted per table: enough to prove every key in use works, bounded for large installations.
const CREDENTIAL_SAMPLE = 1000

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(not a URL)'
  }
}

function checkConfig(): Config | undefined {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    line('fail', 'configuration', `${(error as Error).message}; fix the environment variable and run again`)
    return undefined
  }
  const dev = developmentSecretsIn(config)
  if (config.env === 'production' && dev.length > 0) {
    line('fail', 'configuration', `NODE_ENV=production with the development ${dev.join(' and ')}: set your own (openssl rand -hex 32)`)
  } else {
    const note = dev.length > 0 ? `; ${dev.join(', ')} at development defaults, refused in production` : ''
    line('ok', 'configuration', `valid (NODE_ENV=${config.env}${note})`)
  }
  return config
}

const CONNECT_HINTS: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there: start PostgreSQL (npm run db -- start) or fix host/port in DATABASE_URL',
  ENOTFOUND: 'unknown host: fix the host in DATABASE_URL',
  ETIMEDOUT: 'no answer: check the host, port and firewall',
  CONNECT_TIMEOUT: 'no answer: check the host, port and firewall',
  '28P01': 'password authentication failed: fix the user or password in DATABASE_URL',
  '28000': 'the server refused this user: check pg_hba.conf and the user in DATABASE_URL',
  '3D000': 'the database does not exist: create it (createdb) or fix the name in DATABASE_URL',
}

async function checkDatabase(sql: Sql, url: string): Promise<boolean> {
  try {
    const [row] = await sql<{ version: string; db: string }[]>`SELECT current_setting('server_version') AS version, current_database() AS db`
    line('ok', 'database', `PostgreSQL ${row!.version}, database "${row!.db}" at ${redactUrl(url)}`)
    return true
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    const hint = CONNECT_HINTS[code] ?? 'check DATABASE_URL and that the server is running'
    line('fail', 'database', `cannot connect to ${redactUrl(url)} (${(error as Error).message}): ${hint}`)
    return false
  }
}

async function checkTimescale(sql: Sql): Promise<boolean> {
  const [ext] = await sql<{ version: string }[]>`SELECT extversion AS version FROM pg_extension WHERE extname = 'timescaledb'`
  if (!ext) {
    const [available] = await sql<{ version: string }[]>`SELECT default_version AS version FROM pg_available_extensions WHERE name = 'timescaledb'`
    line('fail', 'timescaledb', available
      ? `available (${available.version}) but not created in this database: run npm run migrate`
      : 'not installed on this server: install TimescaleDB >= 2.13 (README, "The database") or use the docker-compose image')
    return false
  }
  const license = await timescaleLicense(sql)
  const edition = license === 'timescale'
    ? 'full (Community) edition: continuous aggregates, compression, policies'
    : 'Apache edition: rollups are plain views, no compression'
  line('ok', 'timescaledb', `${ext.version}, ${edition} (timescaledb.license=${license})`)
  return true
}

async function checkMigrations(sql: Sql): Promise<boolean> {
  const [table] = await sql<{ exists: boolean }[]>`SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`
  if (!table!.exists) {
    line('fail', 'migrations', 'none applied (no schema_migrations table): run npm run migrate')
    return false
  }
  const edition = await detectEdition(sql)
  const applied = new Map((await sql<{ id: string; checksum: string; edition: string }[]>`SELECT id, checksum, edition FROM schema_migrations`)
    .map((r) => [r.id, r]))
  const pending: string[] = []
  const changed: string[] = []
  const migrations = await listMigrations()
  for (const m of migrations) {
    const file = m.files.both ?? m.files[edition]!
    const row = applied.get(m.id)
    if (!row) {
      pending.push(m.id)
      continue
    }
    // The checksum src/db/migrate.ts records: sha256 of the file as applied (the edition's file, as recorded).
    const recordedFile = m.files.both ?? m.files[row.edition as 'full' | 'apache'] ?? file
    const text = await readFile(`${MIGRATIONS_DIR}/${recordedFile}`, 'utf8')
    if (createHash('sha256').update(text).digest('hex') !== row.checksum) changed.push(recordedFile)
  }
  const known = new Set(migrations.map((m) => m.id))
  const unknown = [...applied.keys()].filter((id) => !known.has(id)).sort()
  if (changed.length > 0) {
    line('fail', 'migrations', `changed after they were applied: ${changed.map((f) => `migrations/${f}`).join(', ')}; restore them from git and put the change in a new migration`)
  } else if (pending.length > 0) {
    line('fail', 'migrations', `${pending.length} pending (${pending.join(', ')}): run npm run migrate (or start the service with MIGRATE_ON_START=true)`)
  } else if (recordedEditions(applied).some((e) => e !== edition)) {
    line('warn', 'migrations', `applied as the ${recordedEditions(applied).join('/')} edition, but the server is the ${edition} edition: `
      + 'the edition-specific migrations (rollups, compression) do not match this server; see README "two editions"')
  } else if (unknown.length > 0) {
    line('warn', 'migrations', `the database has migrations this code lacks (${unknown.join(', ')}): this checkout is older than the database`)
  } else {
    line('ok', 'migrations', `${applied.size} applied, checksums match, ${edition} edition (latest ${migrations.at(-1)?.id ?? 'none'})`)
  }
  return changed.length === 0 && pending.length === 0
}

const recordedEditions = (applied: Map<string, { edition: string }>) => [...new Set([...applied.values()].map((r) => r.edition))]

async function checkJobs(sql: Sql): Promise<void> {
  const [schema] = await sql<{ exists: boolean }[]>`SELECT to_regclass(${`${BOSS_SCHEMA}.queue`}) IS NOT NULL AS exists`
  if (!schema!.exists) {
    line('fail', 'pg-boss', `no "${BOSS_SCHEMA}" schema: start the service or a worker once (npm start / npm run worker), which creates it`)
    return
  }
  const [version] = await sql<{ version: number }[]>`SELECT version FROM ${sql(BOSS_SCHEMA)}.version`
  const queues = await sql<{ name: string; queued: number }[]>`
    SELECT name, queued_count AS queued FROM ${sql(BOSS_SCHEMA)}.queue ORDER BY name`
  const missing = [SYNC_QUEUE, ANALYSIS_QUEUE].filter((q) => !queues.some((r) => r.name === q))
  if (missing.length > 0) {
    line('fail', 'pg-boss', `queues missing: ${missing.join(', ')}; start the service or a worker once (each creates its queues)`)
    return
  }
  line('ok', 'pg-boss', `schema ${BOSS_SCHEMA} (version ${version?.version ?? '?'}), queues ${queues.map((q) => `${q.name} (${q.queued} queued)`).join(', ')}`)
}

async function checkCredentials(sql: Sql, config: Config): Promise<void> {
  const cipher = CredentialCipher.fromConfig(config.credentialKeys) // parsed by loadConfig already: valid
  let checked = 0
  let total = 0
  const oldKey = new Map<string, number>()
  const failed: string[] = []
  for (const target of ENCRYPTED_COLUMNS) {
    const [exists] = await sql<{ exists: boolean }[]>`SELECT to_regclass(${target.table}) IS NOT NULL AS exists`
    if (!exists!.exists) continue // not migrated yet: the migrations line says so
    const [count] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${sql(target.table)} WHERE ${sql(target.column)} IS NOT NULL`
    total += count!.n
    const rows = await sql<Array<Record<string, string> & { id: string; envelope: Uint8Array }>>`
      SELECT ${sql(['id', ...target.contextColumns])}, ${sql(target.column)} AS envelope FROM ${sql(target.table)}
      WHERE ${sql(target.column)} IS NOT NULL LIMIT ${CREDENTIAL_SAMPLE}`
    for (const row of rows) {
      checked++
      try {
        cipher.decrypt(row.envelope, target.context(row))
        const keyId = keyIdOf(row.envelope)
        if (keyId !== cipher.currentKeyId) oldKey.set(keyId, (oldKey.get(keyId) ?? 0) + 1)
      } catch (error) {
        failed.push(`${target.table} ${row.id} (${(error as Error).message})`)
      }
    }
  }
  const keys = `key "${cipher.currentKeyId}" current${config.credentialKeys.length > 1 ? ` + ${config.credentialKeys.length - 1} older` : ''}`
  const scope = checked === total ? `${total}` : `${checked} sampled of ${total}`
  if (failed.length > 0) {
    const shown = failed.slice(0, 5).join('; ') + (failed.length > 5 ? `; and ${failed.length - 5} more` : '')
    line('fail', 'credentials', `${failed.length} of ${scope} stored secrets cannot be decrypted with CREDENTIALS_KEY (${keys}): ${shown}. `
      + 'Add the key they were made with to CREDENTIALS_KEY (after the current one), or have those users connect again')
  } else if (oldKey.size > 0) {
    const list = [...oldKey].map(([id, n]) => `${n} under "${id}"`).join(', ')
    line('warn', 'credentials', `all ${scope} stored secrets decrypt (${keys}); ${list}: run npm run rotate-credentials before retiring that key`)
  } else {
    line('ok', 'credentials', `all ${scope} stored secrets decrypt (${keys})`)
  }
}

function checkProviders(config: Config): void {
  const { clientId, clientSecret, redirectUri } = config.dexcom
  if (clientId && clientSecret) {
    const insecure = config.env === 'production' && !redirectUri.startsWith('https://')
    line(insecure ? 'fail' : 'ok', 'dexcom', insecure
      ? `DEXCOM_REDIRECT_URI ${redirectUri} is not https in production: Dexcom requires the https URI registered with your app`
      : `client configured, redirect URI ${redirectUri} (must equal the one registered with Dexcom)`)
  } else if (clientId || clientSecret) {
    line('fail', 'dexcom', `only ${clientId ? 'DEXCOM_CLIENT_ID' : 'DEXCOM_CLIENT_SECRET'} is set: set both (developer.dexcom.com, your app's keys)`)
  } else {
    line('warn', 'dexcom', 'not configured: linking Dexcom answers 503; set DEXCOM_CLIENT_ID and DEXCOM_CLIENT_SECRET (developer.dexcom.com)')
  }

  const urls = { DEXCOM_BASE_URL: config.dexcom.baseUrl, LIBRE_LINK_UP_BASE_URL: config.libreLinkUp.baseUrl, LIBRE_LINK_UP_REGION_URL: config.libreLinkUp.regionUrlTemplate }
  const problems: string[] = []
  const notes: string[] = []
  for (const [name, url] of Object.entries(urls)) {
    const host = new URL(url.replace('{region}', 'x')).hostname
    const local = host === 'localhost' || host.startsWith('127.') || host === '[::1]'
    if (config.env === 'production' && (local || !url.startsWith('https://'))) problems.push(`${name}=${url} (${local ? 'a local address' : 'not https'})`)
  }
  if (config.dexcom.baseUrl === DEXCOM_SANDBOX_URL) notes.push('Dexcom sandbox (test users only; set DEXCOM_BASE_URL=https://api.dexcom.com for real users)')
  const summary = `Dexcom ${config.dexcom.baseUrl}, LibreLinkUp ${config.libreLinkUp.baseUrl} (regions ${config.libreLinkUp.regionUrlTemplate}, app version ${config.libreLinkUp.version})`
  if (problems.length > 0) line('fail', 'provider URLs', `${problems.join(', ')} in production: point them at the providers' https hosts`)
  else if (config.env === 'production' && notes.length > 0) line('warn', 'provider URLs', `${summary}; ${notes.join('; ')}`)
  else line('ok', 'provider URLs', `${summary}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`)
}

async function main(): Promise<void> {
  const config = checkConfig()
  if (!config) return
  const db = connect(config.databaseUrl, { max: 2 })
  try {
    if (await checkDatabase(db.sql, config.databaseUrl)) {
      if (await checkTimescale(db.sql)) await checkMigrations(db.sql)
      await checkJobs(db.sql)
      await checkCredentials(db.sql, config)
    } else {
      console.log('  (timescaledb, migrations, pg-boss and credentials need the database: not checked)')
    }
  } finally {
    await db.close()
  }
  checkProviders(config)
}

try {
  await main()
} catch (error) {
  // A check that crashed is a finding too, not a stack trace.
  line('fail', 'doctor', `a check failed unexpectedly: ${(error as Error).message}`)
}
const count = (s: Status) => results.filter((r) => r === s).length
console.log(`${count('ok')} ok, ${count('warn')} to look at, ${count('fail')} broken`)
process.exitCode = count('fail') > 0 ? 1 : 0
