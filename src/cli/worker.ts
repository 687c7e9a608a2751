// `npm run worker`: a sync and webhook-delivery worker on its own (run `serve` with SYNC_WORKER=false to keep the API free of sync work).
// Any number may run at once. Migrates first unless MIGRATE_ON_START=false, like `serve`.
import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { loadConfig } from '../config.js'
import { redactingLoggerOptions } from '../http/log-redaction.js'
import { connect } from '../db/connect.js'
import { migrate } from '../db/migrate.js'
import { startBoss } from '../sync/queues.js'
import { startBackgroundWork } from '../sync/background.js'
import { startWorkerMetrics } from '../metrics/worker-server.js'

const config = loadConfig()
const log = pino({ ...redactingLoggerOptions(config.logLevel), name: 'sync-worker' })
if (config.migrateOnStart) {
  const db = connect(config.databaseUrl, { max: 1 })
  log.info(await migrate(db.sql), 'database schema ready')
  await db.close()
}
const boss = await startBoss(config, { supervise: true })
boss.on('error', (error: Error) => log.error({ err: { message: error.message } }, 'pg-boss error'))
// Webhook deliveries read and log through a pool of their own (syncs have theirs).
const webhookDb = connect(config.databaseUrl, { max: 4 })
const background = await startBackgroundWork({ config, boss, sql: webhookDb.sql, log })
const metrics = config.workerMetricsPort === null ? undefined : await startWorkerMetrics(config, config.workerMetricsPort)
const metricsAt = metrics?.server.address()
const metricsUrl = metricsAt && typeof metricsAt === 'object' ? `http://${config.host}:${metricsAt.port}/metrics` : undefined
log.info({ concurrency: config.sync.concurrency, tickSeconds: config.sync.tickSeconds, metrics: metricsUrl }, 'sync worker started')

closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'stopping after an uncaught error')
  else log.info({ signal }, 'stopping: finishing the syncs in flight')
  await metrics?.close()
  await background.stop()
  await boss.stop({ graceful: true, timeout: 20_000 })
  await webhookDb.close()
})
