// Run as a separate process by cross-process.test.ts: stands in for a sync worker on another machine. Commits
// readings for the user in argv[2] straight to the database, with its own pool, and publishes them the way every
// writer does; prints the elapsed milliseconds. DATABASE_URL comes from the parent.
import { connect } from '../../src/db/connect.js'
import { storeReadings } from '../../src/glucose/store-readings.js'
import { readingsCommitted } from '../../src/live/readings-committed.js'

const [userId, value] = [process.argv[2], Number(process.argv[3])]
// Run without arguments (tap given the folder runs every file in it): nothing to do.
if (!userId) process.exit(0)
const db = connect(process.env.DATABASE_URL!, { max: 1 })
const rows = [{ time: new Date(Math.floor(Date.now() / 1000) * 1000), valueMgDl: value, trend: null, trendRate: null, recordId: null }]
const stored = await storeReadings(db.sql, userId, 'DEXCOM', rows)
await readingsCommitted(db.sql, { userId, source: 'DEXCOM', readings: rows, stored })
process.stdout.write(JSON.stringify({ committedAt: Date.now(), stored }))
await db.close()
