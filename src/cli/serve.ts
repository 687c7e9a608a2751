// `npm start`: serve the API (migrating first unless MIGRATE_ON_START=false).
import { loadConfig } from '../config.js'
import { startServer } from '../server.js'

await startServer(loadConfig())
