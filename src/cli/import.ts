// `npm run import -- <file> --user <uuid> [--timezone Europe/Berlin]`: import a CGM export file for a user through
// the same code as POST /api/v1/imports, with a progress bar (bytes read / total) on stderr and the result as
// JSON on stdout. Without --timezone, local timestamps are read in the user's zone (users.timezone).
import { createReadStream, statSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config.js'
import { connect } from '../db/connect.js'
import { importCsv } from '../imports/import-csv.js'
import { ensureUser } from '../users/users.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const USAGE = 'usage: npm run import -- <file.csv> --user <uuid> [--timezone Europe/Berlin]'

const { values, positionals } = parseArgs({
  options: { user: { type: 'string' }, timezone: { type: 'string' } },
  allowPositionals: true,
})
const file = positionals[0]
if (!file || positionals.length > 1 || !values.user || !UUID.test(values.user)) {
  console.error(USAGE)
  process.exit(2)
}
const userId = values.user.toLowerCase()
let total: number
try {
  total = statSync(file).size
} catch {
  console.error(`cannot read ${file}; ${USAGE}`)
  process.exit(2)
}
let lastDrawn = 0 // before the import starts: progress() runs during the top-level await below
const config = loadConfig()
const db = connect(config.databaseUrl, { max: 2 })
try {
  await ensureUser(db.kysely, userId)
  const result = await importCsv(db, createReadStream(file), { userId, timezone: values.timezone, onBytes: progress })
  progress(total, true)
  console.log(JSON.stringify(result, null, 2))
  if (result.errorCount > 0) console.error(`${result.errorCount} rows were rejected; see "errors" (first ${result.errors.length})`)
} catch (error) {
  process.stderr.write('\n')
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
} finally {
  await db.close()
}

/** Redraws at most every 100 ms: a terminal repaint per 64 KB chunk would cost more than the import. */
function progress(bytes: number, done = false) {
  const now = Date.now()
  if (!done && now - lastDrawn < 100) return
  lastDrawn = now
  const share = total === 0 ? 1 : Math.min(bytes / total, 1)
  const width = 30
  const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '-')
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1)
  process.stderr.write(`\r[${bar}] ${(share * 100).toFixed(0).padStart(3)}% ${mb(bytes)}/${mb(total)} MB${done ? '\n' : ''}`)
}
