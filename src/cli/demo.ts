// `npm run demo`: the demo user with four weeks of realistic CGM readings ending now, its meals and their glucose
// responses (src/demo/seed-demo.ts), then a 30-day token and the web view's address. Safe to re-run: it tops the
// data up to now and adds nothing twice. Migrates first, so it works before the first `npm start`.
import { signToken } from '../auth/sign-token.js'
import { loadConfig } from '../config.js'
import { connect } from '../db/connect.js'
import { migrate } from '../db/migrate.js'
import { appUrl } from '../demo/first-start.js'
import { seedDemo } from '../demo/seed-demo.js'

const config = loadConfig()
if (config.env === 'production') {
  console.error('npm run demo writes a demo user with made-up readings; it refuses to run with NODE_ENV=production')
  process.exit(2)
}
const db = connect(config.databaseUrl, { max: 2 })
try {
  const started = Date.now()
  await migrate(db.sql)
  const result = await seedDemo(db)
  const { inserted, updated } = result.readings
  console.error(`demo user ${result.userId} (${result.timezone}): ${inserted} readings added, ${updated} updated, ${result.mealsAdded} meals added, `
    + `${result.responses} meal responses computed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  console.error(`open ${appUrl(config)} (npm start, if it is not running) and sign in with the token below:`)
  console.log(signToken(config, result.userId))
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
} finally {
  await db.close()
}
