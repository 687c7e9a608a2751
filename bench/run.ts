// `npm run bench`: ingest, read and storage figures for the readings hypertable, measured side by side in one run
// against one database, printed as JSON (also bench/results/latest.json) and a short table. A report, not a test:
// it exits 0 whether the targets pass or not, and non-zero only when a scenario could not run correctly.
//
//   (a) COPY, the physical limit    (b) HTTP bulk ingest    (c) INSERT ... VALUES, 1000 rows a statement
//   (d) GET last 24 h vs hello-world under autocannon       (e) bytes per stored reading
//
// Knobs: BENCH_ROWS (default 200000), BENCH_ROUNDS (4, see lib/rounds.ts), BENCH_HTTP_CONCURRENCY (1),
// BENCH_READ_USERS (10), BENCH_READ_CONNECTIONS (50), BENCH_READ_SECONDS (10), BENCH_READ_WARMUP_SECONDS (2),
// BENCH_READ_IN_PROCESS (1), BENCH_SPLITS=1 (timing splits of the ingest and read paths, slower), BENCH_CPU_PROF=1
// (a .cpuprofile per child server in bench/results/profiles). MIGRATE_ON_START=false skips the app's start-up
// migration, for a database whose schema is managed otherwise. BENCH_ONLY=core,<section> runs only those: the
// sections (sync scale, Nightscout upload, analytics…) are listed in bench/sections/index.ts.
import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { connect } from '../src/db/connect.js'
import { benchOptions } from './lib/options.js'
import { onGrid } from './lib/readings.js'
import { runRounds } from './lib/rounds.js'
import { summary, targets, verdicts } from './lib/summary.js'
import { round, timed } from './lib/timing.js'
import { benchUserIds, countReadings, deleteBenchUsers } from './lib/users.js'
import { buildWorkload, warmupBatch } from './lib/workload.js'
import { prepareCopy } from './scenarios/copy.js'
import { prepareHttpIngest } from './scenarios/http-ingest.js'
import { ingestSplitsScenario } from './scenarios/ingest-splits.js'
import { prepareInsertValues } from './scenarios/insert-values.js'
import { readsScenario } from './scenarios/reads.js'
import { dropProbe, storageScenario } from './scenarios/storage.js'
import { selectedSections } from './sections/index.js'
import type { SectionResult } from './sections/section.js'

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url))
const ROOT = fileURLToPath(new URL('../', import.meta.url))

// Which code was measured: the commit, and the files of src/ and migrations/ changed since (read-only git calls).
function codeVersion(): { commit: string; uncommitted: string[] } | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' })
    // Porcelain lines are "XY path": two status columns and a space, so the path starts at the fourth character.
    const uncommitted = git('status', '--porcelain', '--', 'src', 'migrations').split('\n').filter(Boolean).map((line) => line.slice(3))
    return { commit: git('rev-parse', '--short', 'HEAD').trim(), uncommitted }
  } catch {
    return undefined // not a git checkout
  }
}

const options = benchOptions(process.env)
// Other work on the box (tests, builds) moves every figure: the load average before and after says if it was idle.
const loadBefore = loadavg()[0]!
// No sync worker beside the measured app: its ticks and the analysis jobs the ingest enqueues would compete for the
// same two cores (the sync-scale section starts the workers it measures).
const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', SYNC_WORKER: 'false' })
// Built first: it migrates the database (MIGRATE_ON_START), so every scenario finds the schema.
const app = await buildApp(config)
const db = connect(config.databaseUrl, { max: 2 })
const { sql } = db

const leftovers = await deleteBenchUsers(sql) // from an interrupted earlier run
const [server] = await sql<{ postgres: string; timescaledb: string; license: string }[]>`
  SELECT current_setting('server_version') AS postgres,
         (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS timescaledb,
         current_setting('timescaledb.license') AS license`

// The newest reading is now (on the 5-minute grid): the HTTP path rejects readings from the future.
const end = onGrid(Date.now())
const workload = buildWorkload(options.rows, end)
const warmup = () => ({ userId: benchUserIds(1)[0]!, batch: warmupBatch(end) })
const users = () => benchUserIds(workload.batches.length)

async function checkStored(path: string, ids: string[]): Promise<void> {
  const n = await countReadings(sql, ids)
  if (n !== workload.rows) throw new Error(`${path}: expected ${workload.rows} readings stored for its users, found ${n}`)
}

// Dead tuples left by earlier runs' deletes are cleared before the ingest sections (the read scenario does the same
// after seeding its users), so each section starts from the same table state and autovacuum stays idle meanwhile.
const vacuum = async () => Math.round((await timed(() => sql`VACUUM ANALYZE glucose_readings`)).ms)

async function ingestScenarios() {
  const ids = { copy: users(), http: users(), insertValues: users() }
  const copy = await prepareCopy(sql, workload, ids.copy, warmup())
  const http = await prepareHttpIngest(app, config, sql, workload, ids.http, warmup(), options.httpConcurrency)
  const insertValues = await prepareInsertValues(sql, workload, ids.insertValues, warmup())
  const sizes = workload.batches.map((batch) => batch.length)
  const measured = await runRounds(sql, [copy, http, insertValues], sizes, options.rounds)
  await http.close() // closes the app too: the read scenario starts servers of its own
  for (const [path, pathIds] of Object.entries(ids)) await checkStored(path, pathIds)
  const rounds = measured.copy!.rowsPerSecByRound.length
  return {
    batchSize: sizes[0]!,
    rounds,
    copy: { ...measured.copy!, statements: rounds, formatMs: copy.formatMs },
    http: { ...measured.http!, requests: sizes.length, concurrency: http.concurrency, bodyBytes: http.bodyBytes },
    insertValues: { ...measured.insertValues!, statements: Math.ceil(workload.rows / insertValues.rowsPerStatement), rowsPerStatement: insertValues.rowsPerStatement },
  }
}

async function coreScenarios() {
  const vacuumBeforeIngestMs = await vacuum()
  const ingest = await ingestScenarios()
  const splits = options.splits ? await ingestSplitsScenario(sql, workload) : undefined
  const reads = await readsScenario(sql, config, benchUserIds(options.readUsers), vacuum, {
    users: options.readUsers,
    connections: options.readConnections,
    seconds: options.readSeconds,
    warmupSeconds: options.readWarmupSeconds,
    inProcess: options.readInProcess,
    splits: options.splits,
  })
  const storage = await storageScenario(sql, workload)
  return { ingest: { ...ingest, ...(splits && { splits }) }, reads, storage, vacuumBeforeIngestMs }
}

const sections = selectedSections(options.only)
const runCore = !options.only || options.only.includes('core')

async function scenarios() {
  const core = runCore ? await coreScenarios() : undefined
  if (!runCore) await app.close() // the sections start servers of their own
  const extra: Record<string, SectionResult> = {}
  for (const section of sections) extra[section.name] = await section.run({ config, sql, env: process.env })
  return { core, sections: extra }
}

let results: Awaited<ReturnType<typeof scenarios>>
let cleanupMs: number
try {
  results = await scenarios()
} finally {
  await app.close() // a no-op when already closed; here for runs that failed half-way
  await dropProbe(sql)
  cleanupMs = Math.round((await timed(() => deleteBenchUsers(sql))).ms)
  await db.close()
}

const report = {
  meta: {
    at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    postgres: server!.postgres,
    timescaledb: `${server!.timescaledb} (${server!.license})`,
    rows: options.rows,
    code: codeVersion(),
    leftoverBenchUsersRemoved: leftovers,
    cleanupMs,
    loadAverage1m: { before: round(loadBefore), after: round(loadavg()[0]!) },
  },
  targets: [
    ...(results.core ? targets(results.core.ingest, results.core.reads) : []),
    ...Object.values(results.sections).flatMap((s) => s.targets),
  ],
  ...results.core,
  ...Object.fromEntries(Object.entries(results.sections).map(([name, s]) => [name, s.figures])),
}
await mkdir(RESULTS, { recursive: true })
await writeFile(`${RESULTS}latest.json`, `${JSON.stringify(report, null, 2)}\n`)
console.log(JSON.stringify(report, null, 2))
const sectionTables = Object.values(results.sections).map((s) => s.table)
console.log(`\n${[...(results.core ? [summary(results.core)] : []), ...sectionTables, verdicts(report.targets)].join('\n\n')}`)
