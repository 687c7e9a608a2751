// A sync worker: works the sync and analysis queues and runs the tick that enqueues due connections. `serve` runs
// one beside the API unless SYNC_WORKER=false; `npm run worker` runs one alone. Any number may run at once: claims
// are SKIP LOCKED, jobs are stately per connection, and each sync holds its connection's advisory lock.
import { hostname } from 'node:os'
import type { Job, JobResult, PgBoss } from 'pg-boss'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import { connect } from '../db/connect.js'
import { CredentialCipher } from '../providers/crypto.js'
import { createProviders } from '../providers/registry.js'
import { analysisBatcher } from './analysis-batcher.js'
import { logJobFailure, runAnalysisJob, runSyncJob } from './jobs.js'
import { ANALYSIS_QUEUE, SYNC_QUEUE, type AnalysisJobData, type SyncJobData } from './queues.js'
import { enqueueDueSyncs, type TickResult } from './scheduler.js'
import { pruneRuns } from './sync-runs.js'
import { syncStatus } from './status.js'

export interface SyncWorker {
  /** One tick now (the timer also runs them); resolves with what it enqueued. */
  tick(): Promise<TickResult>
  stop(): Promise<void>
}

// Jobs fetched per poll: with burstWhenBatchFull a full batch makes the poller fetch again at once, so a backlog
// drains at the concurrency's pace, not one poll interval per job.
const BATCH_SIZE = 8
const PRUNE_EVERY_MS = 3_600_000

export async function startSyncWorker(opts: { config: Config; boss: PgBoss; log: FastifyBaseLogger }): Promise<SyncWorker> {
  const { config, boss, log } = opts
  // A pool of its own: each sync holds one connection from start to end (its lock; src/providers/sync-connection.ts),
  // so the worker's syncs must not take the API's connections.
  const db = connect(config.databaseUrl, { max: config.sync.concurrency + 2 })
  const { sql } = db
  const providers = createProviders(config)
  const analysis = analysisBatcher(boss)
  const deps = { sql, analysis, providers, cipher: CredentialCipher.fromConfig(config.credentialKeys), worker: workerName() }
  const batchSize = Math.min(BATCH_SIZE, config.sync.concurrency)
  const polling = { batchSize, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5, perJobResults: true } as const

  await boss.work<SyncJobData>(SYNC_QUEUE, { ...polling, localConcurrency: Math.ceil(config.sync.concurrency / batchSize) },
    (jobs) => settle(jobs, (job) => runSyncJob(deps, job.data), SYNC_QUEUE, log))
  await boss.work<AnalysisJobData>(ANALYSIS_QUEUE, { ...polling, localConcurrency: 1 },
    (jobs) => settle(jobs, (job) => runAnalysisJob(sql, job.data), ANALYSIS_QUEUE, log))

  let lastPrune = 0
  const tick = async (): Promise<TickResult> => {
    const result = await enqueueDueSyncs({ sql, boss, providers, config: config.sync })
    if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = Date.now()
      await pruneRuns(sql)
    }
    return result
  }
  let running: Promise<unknown> | undefined
  const onTimer = () => {
    if (running) return // a slow tick (a large backlog) is not overlapped by the next
    running = tick()
      .then(async (result) => {
        const enqueued = Object.values(result.enqueued).reduce((a, b) => a + b, 0)
        if (enqueued > 0 || Object.keys(result.overBudget).length > 0) {
          const { queues, runs } = await syncStatus(sql, boss, { minutes: 1 })
          log.info({ enqueued: result.enqueued, overBudget: result.overBudget, queues, lastMinute: runs }, 'sync tick')
        }
      })
      .catch((error: Error) => log.error({ err: { message: error.message } }, 'sync tick failed; the next tick tries again'))
      .finally(() => {
        running = undefined
      })
  }
  const timer = setInterval(onTimer, config.sync.tickSeconds * 1000)
  timer.unref()
  onTimer()

  return {
    tick,
    async stop() {
      clearInterval(timer)
      await running
      await boss.offWork(SYNC_QUEUE, { wait: true })
      await analysis.flush() // the last syncs' spans (their jobs have completed only once these are in)
      await boss.offWork(ANALYSIS_QUEUE, { wait: true })
      await db.close()
    },
  }
}

let instances = 0
/** host:pid/n — n tells apart several workers in one process (tests do that). */
function workerName(): string {
  instances += 1
  return `${hostname()}:${process.pid}/${instances}`
}

/** Runs each job of a batch concurrently and settles each on its own: one crash does not fail its neighbours. */
async function settle<T>(jobs: Job<T>[], run: (job: Job<T>) => Promise<object>, queue: string, log: FastifyBaseLogger): Promise<JobResult[]> {
  return Promise.all(jobs.map(async (job): Promise<JobResult> => {
    try {
      return { id: job.id, status: 'completed', output: await run(job) }
    } catch (error) {
      logJobFailure(log, queue, error)
      return { id: job.id, status: 'failed', output: { message: error instanceof Error ? error.message : String(error) } }
    }
  }))
}
