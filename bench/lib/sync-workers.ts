// The sync workers the sync-scale section measures: one in this process (startBoss + startSyncWorker, as `serve`
// runs it), or n processes of `src/cli/worker.ts` (as `npm run worker` runs them), configured alike.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../src/config.js'
import { startBoss } from '../../src/sync/queues.js'
import { startSyncWorker } from '../../src/sync/worker.js'
import { stopChild } from './dexcom-sim.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PROFILES = fileURLToPath(new URL('../results/profiles', import.meta.url))

export interface TickLog {
  at: number
  enqueued: number
  queued: number | undefined
  active: number | undefined
}

export interface RunningWorkers {
  /** Child process ids (empty for the in-process worker, whose CPU is this process's). */
  pids: number[]
  /** What the in-process worker's tick log said (queue depths per tick); empty for child processes. */
  ticks: TickLog[]
  /** Error lines the workers logged (job crashes, tick failures), the first few. */
  errors: string[]
  stop(): Promise<void>
}

export async function startInProcessWorker(config: Config): Promise<RunningWorkers> {
  const ticks: TickLog[] = []
  const errors: string[] = []
  const noop = () => {}
  // The worker logs one line per tick with the queue depths; kept here instead of printed.
  const log = {
    level: 'info',
    info(obj: { enqueued?: Record<string, number>; queues?: Array<{ name: string; queued: number; active: number }> }) {
      const sync = obj?.queues?.find((q) => q.name === 'sync-connection')
      if (obj?.enqueued) ticks.push({ at: Date.now(), enqueued: Object.values(obj.enqueued).reduce((a, b) => a + b, 0), queued: sync?.queued, active: sync?.active })
    },
    error(obj: unknown, message?: string) {
      if (errors.length < 10) errors.push(`${message ?? ''} ${JSON.stringify(obj).slice(0, 300)}`)
    },
    warn: noop, debug: noop, trace: noop, fatal: noop, silent: noop,
    child: () => log,
  }
  const boss = await startBoss(config, { supervise: true })
  boss.on('error', (error: Error) => log.error({ message: error.message }, 'pg-boss error'))
  const worker = await startSyncWorker({ config, boss, log: log as unknown as FastifyBaseLogger })
  return {
    pids: [],
    ticks,
    errors,
    async stop() {
      await worker.stop()
      await boss.stop({ graceful: false, timeout: 5_000 })
    },
  }
}

export function startWorkerProcesses(n: number, config: Config, options: { cpuProfile: boolean }): RunningWorkers {
  const errors: string[] = []
  const env = {
    ...process.env,
    DATABASE_URL: config.databaseUrl,
    MIGRATE_ON_START: 'false',
    LOG_LEVEL: 'error',
    CREDENTIALS_KEY: config.credentialKeys.join(','),
    DEXCOM_CLIENT_ID: config.dexcom.clientId,
    DEXCOM_CLIENT_SECRET: config.dexcom.clientSecret,
    DEXCOM_BASE_URL: config.dexcom.baseUrl,
    SYNC_CONCURRENCY: String(config.sync.concurrency),
    SYNC_TICK_SECONDS: String(config.sync.tickSeconds),
    SYNC_MONITOR_SECONDS: String(config.sync.monitorSeconds),
    DEXCOM_REQUESTS_PER_HOUR: String(config.sync.requestsPerHour.dexcom),
  }
  const profile = options.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILES}`] : []
  const children: Array<{ child: ChildProcess; exited: Promise<unknown> }> = []
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/cli/worker.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] })
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() && errors.length < 10) errors.push(line.slice(0, 300))
    })
    children.push({ child, exited: once(child, 'exit') })
  }
  return {
    pids: children.map((c) => c.child.pid!),
    ticks: [],
    errors,
    // SIGTERM: the worker's close-with-grace finishes the syncs in flight and stops pg-boss (and writes a profile).
    stop: async () => {
      await Promise.all(children.map(({ child, exited }) => stopChild(child, exited, () => child.kill('SIGTERM'))))
    },
  }
}
