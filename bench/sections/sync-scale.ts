// Sync at scale (issue 4, "Bench"): N Dexcom connections due at once against the local Dexcom simulator (in a
// child process) answering every request after BENCH_SYNC_LATENCY_MS, each connection in the steady state of the
// 5-minute cycle (its overlap already stored: a sync fetches dataRange + egvs (+ events when a meal was logged),
// stores 1 new reading and finds 2–3 unchanged). The workers are the service's own (src/sync/), started as `serve`
// or `npm run worker` start them. Measured: the cycle (first claim of a tick to the last connection's finished `ok`
// run, from the database's clocks), connections/s, readings and all rows written per second, sync run durations,
// pg-boss job latencies, CPU by process; then checked: every connection synced exactly once, all `ok`, and what
// was stored is exactly what the simulator serves. Everything created is removed, also after a failure.
//
// Knobs: BENCH_SYNC_CONNECTIONS (10000), BENCH_SYNC_LATENCY_MS (50), BENCH_SYNC_CONCURRENCY (syncs in flight per
// worker, 64), BENCH_SYNC_TICK_SECONDS (the service's SYNC_TICK_SECONDS, 15 by default; one tick enqueues at most
// 5,000 per provider, spread evenly over the tick), BENCH_SYNC_WORKER_PROCESSES (0: one worker in this process; n:
// n processes of src/cli/worker.ts), BENCH_SYNC_TIMEOUT_SECONDS (300), BENCH_SYNC_ANALYSIS_WAIT_SECONDS (120: how
// long to wait for the analysis jobs the syncs enqueue), BENCH_CPU_PROF=1 (.cpuprofile of the simulator and of
// worker processes in bench/results/profiles). The Nightscout upload path's rows/s is the nightscout-upload section.
//
// Measured on the 2-core development VM (shared with other work): 10,000 connections in 117 s (85/s) with 15 % of
// the CPU taken by others, 194 s with 39 %; CPU-bound (the machine 95–99 % busy). Per sync ~15 ms of CPU (postgres
// ~11, the worker ~4, the simulator ~0.7) and per analysis job the sync enqueues ~12 ms more (mostly postgres),
// a third of which runs inside the cycle; one postgres.js round trip costs ~135 µs of Node CPU here. Two worker
// processes were slower than one (2,000 connections: 45/s vs 57/s). After the per-sync work was cut (one statement
// to start a run, one to end it, no meal-response statement without meals, no full-hypertable planning per commit):
// 10,000 in 159 s (63/s) with concurrency 24 and ~30 % of the CPU taken by others, every analysis job done inside
// the cycle, ~19 ms of CPU per sync including its analysis (postgres ~12, the worker ~6, the simulator ~0.9); 143 s
// (70/s) at the default 64 with ~22 % taken by others, half the analysis jobs inside the cycle, ~23 ms per sync in
// all. More concurrency than keeps the CPU busy costs CPU: 2,000 back to back
// took 43 ms per sync in all at 64 and 28 ms at 24 (more backends to warm up, more contention).
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { Config } from '../../src/config.js'
import { startDexcomSimChild, simReader } from '../lib/dexcom-sim.js'
import { int } from '../lib/options.js'
import { cpuSnapshot } from '../lib/process-cpu.js'
import { checkStored, seedConnections } from '../lib/sync-scale-seed.js'
import { cleanup, cycleFigures, dbWrites } from '../lib/sync-scale-figures.js'
import { startInProcessWorker, startWorkerProcesses, type RunningWorkers } from '../lib/sync-workers.js'
import { table } from '../lib/table.js'
import { round } from '../lib/timing.js'
import { benchUserIds } from '../lib/users.js'
import type { BenchSection, SectionContext, SectionResult } from './section.js'

const TARGET_SECONDS = 60

function knobs(env: NodeJS.ProcessEnv, config: Config) {
  return {
    connections: int(env, 'BENCH_SYNC_CONNECTIONS', 10_000, 1),
    latencyMs: int(env, 'BENCH_SYNC_LATENCY_MS', 50, 0),
    concurrency: int(env, 'BENCH_SYNC_CONCURRENCY', 64, 1),
    tickSeconds: int(env, 'BENCH_SYNC_TICK_SECONDS', config.sync.tickSeconds, 1),
    workerProcesses: int(env, 'BENCH_SYNC_WORKER_PROCESSES', 0, 0),
    timeoutSeconds: int(env, 'BENCH_SYNC_TIMEOUT_SECONDS', 300, 10),
    analysisWaitSeconds: int(env, 'BENCH_SYNC_ANALYSIS_WAIT_SECONDS', 120, 0),
    cpuProfile: env.BENCH_CPU_PROF === '1',
  }
}
type Knobs = ReturnType<typeof knobs>

async function run({ config, sql, env }: SectionContext): Promise<Record<string, unknown> & { cycleSeconds: number | null }> {
  const k = knobs(env, config)
  const loadBefore = loadavg()[0]!
  // Each sync holds one pooled connection for its whole run (its advisory lock); a worker's pool is concurrency + 2,
  // and its pg-boss pool 4 more.
  const perWorker = k.concurrency + 2 + 4
  const needed = perWorker * Math.max(1, k.workerProcesses)
  const [room] = await sql<{ free: number; max: number }[]>`
    SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
             - (SELECT count(*) FROM pg_stat_activity)::int AS free, current_setting('max_connections')::int AS max`
  if (needed > room!.free) throw new Error(`sync-scale needs ${needed} database connections (concurrency ${k.concurrency} + 6 per worker) and only ${room!.free} of max_connections ${room!.max} are free: lower BENCH_SYNC_CONCURRENCY`)

  const userIds = benchUserIds(k.connections)
  const setupStart = performance.now()
  const sim = await startDexcomSimChild(k.connections, { cpuProfile: k.cpuProfile })
  const reader = simReader(sim)
  let workers: RunningWorkers | undefined
  let connectionIds: string[] = []
  try {
    const seeded = await seedConnections(sql, config, sim, reader, userIds, new Date())
    connectionIds = seeded.connections.map((c) => c.id)
    const setupMs = performance.now() - setupStart
    await sim.setLatency(k.latencyMs)

    const workerConfig: Config = {
      ...config,
      logLevel: 'error',
      dexcom: { ...config.dexcom, clientId: sim.clientId, clientSecret: sim.clientSecret, baseUrl: sim.baseUrl },
      sync: {
        ...config.sync,
        concurrency: k.concurrency,
        tickSeconds: k.tickSeconds,
        // The simulator is not Dexcom: its budget is not the one under test (Dexcom's 60,000 an hour would let one
        // tick of 15 s start 83 syncs). Lifted so the scheduler's own ceiling (5,000 a tick) applies.
        requestsPerHour: { ...config.sync.requestsPerHour, dexcom: 1_000_000_000 },
      },
    }
    const writesBefore = await dbWrites(sql)
    const cpuBefore = await cpuSnapshot(sql, sim.pid)
    // Due now; the workers' first tick (at their start) claims them.
    await sql`UPDATE cgm_connections SET next_sync_at = now() WHERE id = ANY(${connectionIds}::uuid[])`
    const wallStart = performance.now()
    workers = k.workerProcesses === 0
      ? await startInProcessWorker(workerConfig)
      : startWorkerProcesses(k.workerProcesses, workerConfig, { cpuProfile: k.cpuProfile })
    const finished = await waitForRuns(sql, connectionIds, k.timeoutSeconds)
    const wallMs = performance.now() - wallStart
    const cpu = await cpuBefore.stop(workers.pids)
    await new Promise((resolve) => setTimeout(resolve, 1_500)) // statistics reach pg_stat_database within a second
    const writes = (await dbWrites(sql)).minus(writesBefore)
    // The analysis jobs the syncs enqueued, left at the cycle's end: drained alone, their cost shows apart.
    const analysisLeft = await pendingAnalysis(sql, userIds)
    const cpuDrainStart = await cpuSnapshot(sql, sim.pid)
    const analysisDrainMs = await waitForAnalysis(sql, userIds, k.analysisWaitSeconds)
    const cpuDrain = await cpuDrainStart.stop(workers.pids)
    await workers.stop()
    const workerErrors = workers.errors
    workers = undefined

    const figures = await cycleFigures(sql, connectionIds, userIds)
    await sim.setLatency(0)
    const stored = await checkStored(sql, reader, seeded.connections, seeded.seededAt)
    const cycleSeconds = figures.cycle.seconds
    return {
      knobs: k,
      simulator: { latencyMs: k.latencyMs, requestBudget: 'lifted (the simulator is not Dexcom; Dexcom allows 60,000 calls an hour per app)' },
      setup: { ms: Math.round(setupMs), seededReadings: seeded.readings },
      finished,
      wallSeconds: round(wallMs / 1000),
      cycleSeconds,
      connectionsPerSec: cycleSeconds ? Math.round(k.connections / cycleSeconds) : null,
      ...figures,
      readingsPerSec: cycleSeconds ? Math.round(figures.jobs.inserted / cycleSeconds) : null,
      dbWrites: { ...writes, rowsPerSec: Math.round(writes.rows / (wallMs / 1000)), commitsPerSec: Math.round(writes.commits / (wallMs / 1000)) },
      cpuSeconds: cpu,
      analysisDrainedAfterCycleMs: analysisDrainMs,
      analysisDrain: { jobsLeftAtCycleEnd: analysisLeft, cpuSeconds: cpuDrain },
      stored,
      workerErrors,
      loadAverage1m: { before: round(loadBefore), after: round(loadavg()[0]!) },
    }
  } finally {
    await workers?.stop().catch(() => {})
    reader.close()
    await sim.stop()
    await cleanup(sql, connectionIds, userIds)
  }
}

/** Polls until every connection has a finished run, or the timeout: returns how many had. */
async function waitForRuns(sql: SectionContext['sql'], ids: string[], timeoutSeconds: number): Promise<number> {
  const deadline = Date.now() + timeoutSeconds * 1000
  for (;;) {
    const [row] = await sql<{ n: number }[]>`
      SELECT count(DISTINCT connection_id)::int AS n FROM sync_runs WHERE connection_id = ANY(${ids}::uuid[]) AND finished_at IS NOT NULL`
    if (row!.n >= ids.length || Date.now() > deadline) return row!.n
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

async function pendingAnalysis(sql: SectionContext['sql'], userIds: string[]): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM pgboss.job
    WHERE name = 'analyze-readings' AND state IN ('created', 'retry', 'active') AND data->>'userId' = ANY(${userIds})`
  return row!.n
}

/** Waits for the analysis jobs the syncs enqueued (one per connection with new readings); null: not within the wait. */
async function waitForAnalysis(sql: SectionContext['sql'], userIds: string[], waitSeconds: number): Promise<number | null> {
  const start = performance.now()
  for (;;) {
    if ((await pendingAnalysis(sql, userIds)) === 0) return Math.round(performance.now() - start)
    if (performance.now() - start > waitSeconds * 1000) return null
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

function render(f: Awaited<ReturnType<typeof run>>): SectionResult {
  const k = f.knobs as Knobs
  const j = f.jobs as { p50WaitMs: number; p99WaitMs: number; p50TotalMs: number; p99TotalMs: number; inserted: number; updated: number; byOutcome: Record<string, number>; byState: Record<string, number> }
  const r = f.runs as { runs: number; ok: number; p50Ms: number; p99Ms: number; maxPerConnection: number; workers: number }
  const cpu = f.cpuSeconds as Record<string, number>
  const w = f.dbWrites as { rowsPerSec: number; commitsPerSec: number }
  const d = f.analysisDrain as { jobsLeftAtCycleEnd: number; cpuSeconds: Record<string, number> }
  const s = f.stored as { served: number; matching: number; missing: number; extra: number; different: number; duplicates: number }
  const where = k.workerProcesses === 0 ? '1 worker in the bench process' : `${k.workerProcesses} worker processes`
  const text = [
    table([`sync cycle: ${k.connections} Dexcom connections, ${where}, concurrency ${k.concurrency}, tick ${k.tickSeconds} s, ${k.latencyMs} ms latency`, 'value'], [
      ['cycle, first claim to last ok run, s', f.cycleSeconds ?? 'not finished'],
      ['connections synced / s', (f.connectionsPerSec as number | null) ?? '-'],
      ['readings inserted / updated', `${j.inserted} / ${j.updated}`],
      ['readings stored / s', (f.readingsPerSec as number | null) ?? '-'],
      ['DB rows written / s, commits / s (pg_stat_database)', `${w.rowsPerSec} / ${w.commitsPerSec}`],
      ['sync run p50 / p99 ms', `${r.p50Ms} / ${r.p99Ms}`],
      ['job wait past start_after p50 / p99 ms', `${j.p50WaitMs} / ${j.p99WaitMs}`],
      ['job start_after to completed p50 / p99 ms', `${j.p50TotalMs} / ${j.p99TotalMs}`],
      ['runs in the cycle / ok / most runs of one connection', `${r.runs} / ${r.ok} / ${r.maxPerConnection}`],
      ['runs of the next cycle started meanwhile (due again after 5 min)', (f.cycle as { runsOfTheNextCycle: number }).runsOfTheNextCycle],
      ['job outcomes', JSON.stringify(j.byOutcome)],
      ['CPU s: bench process / workers / simulator / postgres backends / whole machine busy', `${cpu.benchProcess} / ${cpu.workerProcesses ?? '-'} / ${cpu.simulator} / ${cpu.postgres} / ${cpu.machineBusy} of ${cpu.machineTotal}`],
      ['stored vs served: matching / missing / extra / different / duplicates', `${s.matching} of ${s.served} / ${s.missing} / ${s.extra} / ${s.different} / ${s.duplicates}`],
      ['analysis jobs drained after the cycle, ms', String(f.analysisDrainedAfterCycleMs ?? `not within ${k.analysisWaitSeconds} s`)],
      ['  left at the cycle end; CPU s of their drain: bench / simulator / postgres', `${d.jobsLeftAtCycleEnd}; ${d.cpuSeconds.benchProcess} / ${d.cpuSeconds.simulator} / ${d.cpuSeconds.postgres}`],
    ]),
    `the simulator's hourly request budget is lifted, and so is the scheduler's Dexcom budget (60,000 calls an hour would start ${Math.floor(60_000 / 3 / 3600 * k.tickSeconds)} syncs a tick); load average (1 min) before ${(f.loadAverage1m as { before: number }).before}, after ${(f.loadAverage1m as { after: number }).after}`,
  ].join('\n')
  const value = f.cycleSeconds ?? Number.POSITIVE_INFINITY
  const correct = r.ok === k.connections && r.runs === k.connections && s.missing + s.extra + s.different + s.duplicates === 0
  return {
    figures: f,
    targets: [{ name: `sync cycle of ${k.connections} connections, s`, value, target: `< ${TARGET_SECONDS}`, pass: correct && value < TARGET_SECONDS }],
    table: text,
  }
}

export const syncScaleSection: BenchSection = {
  name: 'sync-scale',
  async run(context) {
    return render(await run(context))
  },
}
