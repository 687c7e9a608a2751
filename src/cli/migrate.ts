// `npm run migrate`: apply pending migrations to DATABASE_URL (or the local cluster) and say what was done.
import { loadConfig } from '../config.js'
import { connect } from '../db/connect.js'
import { migrate } from '../db/migrate.js'

const config = loadConfig()
const db = connect(config.databaseUrl, { max: 1 })
try {
  const { edition, applied } = await migrate(db.sql)
  console.log(`TimescaleDB ${edition} edition: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}`)
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
} finally {
  await db.close()
}
