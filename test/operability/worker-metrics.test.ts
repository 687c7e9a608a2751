// A separate `npm run worker` serves its own GET /metrics (WORKER_METRICS_PORT): the syncs it ran are counted in
// that process, which has no API. Same access rule as the API's: loopback without METRICS_TOKEN, else the token.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import t from 'tap'
import { startSimulator } from '../providers/helpers.js'
import { syncEnv, waitFor } from '../sync/support.js'

const TOKEN = 'worker-metrics-token-0123456789'

t.test('npm run worker with WORKER_METRICS_PORT serves the syncs it ran', async (t) => {
  const sim = await startSimulator(t, { users: [{ username: 'user1', historyDays: 1 }] })
  const env = await syncEnv(t, sim)
  await env.connect('user1')

  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/worker.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: env.config.databaseUrl,
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
      WORKER_METRICS_PORT: '0',
      METRICS_TOKEN: TOKEN,
      DEXCOM_CLIENT_ID: 'sim-client-id',
      DEXCOM_CLIENT_SECRET: 'sim-client-secret',
      DEXCOM_BASE_URL: sim.baseUrl,
      SYNC_TICK_SECONDS: '1',
      SYNC_MONITOR_SECONDS: '1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => void child.kill('SIGKILL'))
  // The start line names where the metrics are served (port 0: a free one).
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the worker did not log its start within 30 s')), 30_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: { msg?: string; metrics?: string } = {}
      try {
        entry = JSON.parse(line)
      } catch {} // not a log line
      if (entry.msg === 'sync worker started' && entry.metrics) {
        clearTimeout(timer)
        resolve(entry.metrics)
      }
    })
  })
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  await env.db.sql`UPDATE cgm_connections SET next_sync_at = now()` // due now: the worker's next tick syncs it

  const scrape = (token?: string) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} })
  t.equal((await scrape()).status, 401, 'without the token: 401')
  t.equal((await scrape('wrong-token-wrong-token-000')).status, 401, 'a wrong token: 401')
  const text = await waitFor(async () => {
    const body = await (await scrape(TOKEN)).text()
    return /^glucose_sync_runs_total\{provider="dexcom",outcome="ok"\} [1-9]/m.test(body) ? body : undefined
  }, 30_000, 'the worker to count its first sync')
  t.match(text, /^glucose_readings_stored_total\{source="DEXCOM",kind="inserted"\} [1-9]\d*$/m, 'the readings that sync stored')
  t.match(text, /^process_resident_memory_bytes \d+/m, "and the worker process's own figures")
})
