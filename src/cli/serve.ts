// `npm start`: serve the API (migrating first unless MIGRATE_ON_START=false). On an empty local development
// database it also seeds the demo user once and says how to open the web view (src/demo/first-start.ts).
import { loadConfig } from '../config.js'
import { seedDemoOnFirstStart } from '../demo/first-start.js'
import { startServer } from '../server.js'

const config = loadConfig()
const app = await startServer(config)
try {
  const demo = await seedDemoOnFirstStart(app.db, config)
  if (demo) {
    app.log.info({ userId: demo.userId, url: demo.appUrl }, 'empty development database: seeded the demo user (DEMO=false turns this off)')
    // On stderr, not in the structured log: a development token for a demo user, for the person at this terminal.
    console.error(`\nDemo: open ${demo.appUrl} and sign in with this token (npm run demo prints it again):\n\n${demo.token}\n`)
  }
} catch (error) {
  // The service itself is up; a failed demo seed must not take it down.
  app.log.error({ err: error }, 'seeding the demo user failed')
}
