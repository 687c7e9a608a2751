// Sustained mixed load on the app as deployed (child process, its own pool, rate limit on but out of the way):
// many users posting small batches (what uploader apps and 5-minute syncs do) while apps read the newest reading
// and the last 24 h, all at once for BENCH_LOAD_SECONDS (60). Reports per kind: requests/s, p50/p99 latency and
// failures; the server's memory over the run (RSS and heap after a full GC, sampled every 2 s: first, max, last),
// to show whether it stays bounded; and a check that every acknowledged batch is stored.
//
// Knobs: BENCH_LOAD_SECONDS (60), BENCH_LOAD_USERS (200), BENCH_LOAD_INGEST_CONNECTIONS (16),
// BENCH_LOAD_READ_CONNECTIONS (8 for each read kind).
import autocannon from 'autocannon'
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { signToken } from '../../src/auth/sign-token.js'
import type { Sql } from '../../src/db/connect.js'
import { onGrid, READING_INTERVAL_MS } from '../lib/readings.js'
import { table } from '../lib/table.js'
import { round } from '../lib/timing.js'
import { benchUserIds, countReadings, createUsers } from '../lib/users.js'
import type { BenchSection, SectionContext } from './section.js'

// The part of autocannon used here, with setupRequest (called before each request; bench/types/autocannon.d.ts
// covers the other scenarios' part) and the count of 2xx answers.
interface CannonRequest { method?: string; path?: string; headers?: Record<string, string>; body?: string; setupRequest?: (r: CannonRequest) => CannonRequest }
interface CannonResult {
  requests: { total: number }
  latency: { p50: number; p99: number; max: number }
  duration: number
  non2xx: number
  errors: number
  '2xx': number
}
const cannon = autocannon as unknown as (options: { url: string; connections: number; duration: number; requests: CannonRequest[] }) => Promise<CannonResult>

const BATCH = 3 // readings per POST: 15 minutes of CGM data, an uploader's usual catch-up; one upsert statement
const SEEDED = 288 // the last 24 h per user, what the reads return
const SERVE_CHILD = fileURLToPath(new URL('../lib/serve-child.ts', import.meta.url))
// Loaded into the child beside its server: answers 'memory' with process.memoryUsage() after a full GC, so heap
// samples are the live set rather than wherever the collector happened to be.
const MEMORY_REPORTER = `data:text/javascript,${encodeURIComponent(
  "process.on('message', (m) => { if (m === 'memory') { globalThis.gc(); process.send({ memory: process.memoryUsage() }) } })",
)}`

interface MemorySample { atS: number; rssMb: number; heapUsedMb: number }
interface KindFigures { requests: number; reqPerSec: number; p50Ms: number; p99Ms: number; maxMs: number; non2xx: number; errors: number }

async function startServer(): Promise<{ url: string; child: ChildProcess; memory(): Promise<NodeJS.MemoryUsage>; stop(): Promise<void> }> {
  const child = fork(SERVE_CHILD, ['app'], { execArgv: ['--import', 'tsx', '--expose-gc', '--import', MEMORY_REPORTER], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`load: the server exited with ${code} before listening`))),
  ])) as [{ url: string }]
  return {
    url: message.url,
    child,
    async memory() {
      const answer = new Promise<NodeJS.MemoryUsage>((resolve) => {
        const onMessage = (m: { memory?: NodeJS.MemoryUsage }) => {
          if (!m.memory) return
          child.off('message', onMessage)
          resolve(m.memory)
        }
        child.on('message', onMessage)
      })
      child.send('memory')
      return answer
    },
    async stop() {
      const exited = once(child, 'exit')
      child.send('stop')
      await exited
    },
  }
}

function figures(r: CannonResult): KindFigures {
  return {
    requests: r.requests.total,
    reqPerSec: Math.round(r.requests.total / r.duration),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
  }
}

async function run({ config, sql, env }: SectionContext) {
  const seconds = Number(env.BENCH_LOAD_SECONDS ?? 60)
  const userCount = Number(env.BENCH_LOAD_USERS ?? 200)
  const ingestConnections = Number(env.BENCH_LOAD_INGEST_CONNECTIONS ?? 16)
  const readConnections = Number(env.BENCH_LOAD_READ_CONNECTIONS ?? 8)
  const loadBefore = loadavg()[0]!

  const ids = benchUserIds(userCount)
  await seed(sql, ids)
  const tokens = ids.map((id) => `Bearer ${signToken(config, id)}`)
  // Each POST carries the user's next 15 minutes, going forward from 7 days ago: new rows every time (a re-send
  // would be cheaper and flatter the figure), never overlapping the seeded last 24 h the reads return.
  const nextTime = ids.map(() => onGrid(Date.now()) - 7 * 86_400_000)
  let posted = 0
  const ingestRequest = (request: CannonRequest): CannonRequest => {
    const u = posted++ % ids.length
    const readings = Array.from({ length: BATCH }, (_, i) => ({
      time: new Date(nextTime[u]! + i * READING_INTERVAL_MS).toISOString(), value: 80 + ((posted + i * 7) % 120), trend: 'flat',
    }))
    nextTime[u]! += BATCH * READING_INTERVAL_MS
    return { ...request, headers: { ...request.headers, authorization: tokens[u]! }, body: JSON.stringify({ source: 'IMPORT', readings }) }
  }
  const rotating = (path: string) => {
    let i = 0
    return { method: 'GET', path, setupRequest: (request: CannonRequest) => ({ ...request, headers: { authorization: tokens[i++ % tokens.length]! } }) }
  }

  const server = await startServer()
  const memory: MemorySample[] = []
  const started = Date.now()
  const sample = async () => {
    const m = await server.memory()
    memory.push({ atS: round((Date.now() - started) / 1000, 1), rssMb: round(m.rss / 2 ** 20, 1), heapUsedMb: round(m.heapUsed / 2 ** 20, 1) })
  }
  let results: [CannonResult, CannonResult, CannonResult]
  try {
    await sample()
    const sampler = setInterval(() => void sample(), 2000)
    try {
      results = await Promise.all([
        cannon({
          url: server.url, connections: ingestConnections, duration: seconds,
          requests: [{ method: 'POST', path: '/api/v1/glucose/readings', headers: { 'content-type': 'application/json' }, setupRequest: ingestRequest }],
        }),
        cannon({ url: server.url, connections: readConnections, duration: seconds, requests: [rotating('/api/v1/glucose/latest')] }),
        cannon({ url: server.url, connections: readConnections, duration: seconds, requests: [rotating('/api/v1/glucose/readings')] }),
      ])
    } finally {
      clearInterval(sampler)
    }
    await sample()
  } finally {
    await server.stop()
  }
  const [ingest, latest, day] = results.map(figures) as [KindFigures, KindFigures, KindFigures]
  // Every acknowledged batch stored: a 2xx means committed. (A request cut at the end of the run may have
  // committed without its answer being counted, so stored may exceed acknowledged, never fall short.)
  const stored = (await countReadings(sql, ids)) - ids.length * SEEDED
  const acknowledged = results[0]['2xx'] * BATCH
  if (stored < acknowledged) throw new Error(`load: ${acknowledged} readings acknowledged, only ${stored} stored`)
  // The analysis jobs the ingest enqueued: no worker ran beside the server, so they would wait in the queue for ever.
  await sql`DELETE FROM pgboss.job WHERE name = 'analyze-readings' AND data->>'userId' = ANY(${ids})`.catch(() => {})

  const peak = (key: 'rssMb' | 'heapUsedMb') => Math.max(...memory.map((m) => m[key]))
  const mem = (key: 'rssMb' | 'heapUsedMb') => ({ first: memory[0]![key], max: peak(key), last: memory.at(-1)![key] })
  const secondHalf = memory.filter((m) => m.atS >= seconds / 2)
  const result = {
    seconds, users: userCount, batchReadings: BATCH, connections: { ingest: ingestConnections, latest: readConnections, readings24h: readConnections },
    ingest: { ...ingest, rowsPerSec: Math.round(acknowledged / seconds), readingsAcknowledged: acknowledged, readingsStored: stored },
    latest,
    readings24h: day,
    memoryMb: { rss: mem('rssMb'), heapUsedAfterGc: mem('heapUsedMb'), samples: memory.length, heapSecondHalfMax: Math.max(...secondHalf.map((m) => m.heapUsedMb)) },
    memorySamples: memory,
    loadAverage1m: { before: round(loadBefore), after: round(loadavg()[0]!) },
  }
  const text = table([`mixed load, ${seconds} s, ${userCount} users, server in a child process`, 'connections', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'failed'], [
    [`POST ${BATCH} readings (${result.ingest.rowsPerSec.toLocaleString('en-US')} rows/s)`, ingestConnections, ingest.reqPerSec, ingest.p50Ms, ingest.p99Ms, ingest.maxMs, ingest.non2xx + ingest.errors],
    ['GET latest', readConnections, latest.reqPerSec, latest.p50Ms, latest.p99Ms, latest.maxMs, latest.non2xx + latest.errors],
    ['GET readings (24 h, 288)', readConnections, day.reqPerSec, day.p50Ms, day.p99Ms, day.maxMs, day.non2xx + day.errors],
  ]) + '\n\n' + table(['server memory, MiB', 'first', 'max', 'last'], [
    ['RSS', result.memoryMb.rss.first, result.memoryMb.rss.max, result.memoryMb.rss.last],
    ['heap used after GC', result.memoryMb.heapUsedAfterGc.first, result.memoryMb.heapUsedAfterGc.max, result.memoryMb.heapUsedAfterGc.last],
  ]) + `\n${memory.length} samples every 2 s; ${acknowledged.toLocaleString('en-US')} readings acknowledged, ${stored.toLocaleString('en-US')} stored; ` +
    `load average (1 min) before ${result.loadAverage1m.before}, after ${result.loadAverage1m.after}`
  return { figures: result, targets: [], table: text }
}

/** The users, each with the last 24 h of readings (288) so every read returns a full day. */
async function seed(sql: Sql, ids: string[]): Promise<void> {
  await createUsers(sql, ids)
  const end = onGrid(Date.now())
  await sql`
    INSERT INTO glucose_readings (time, user_id, source, value, trend)
    SELECT t, u, 'DEXCOM', (100 + 40 * sin(extract(epoch FROM t) / 5400))::smallint, 'flat'
    FROM unnest(${ids}::uuid[]) AS u,
         generate_series(${new Date(end - (SEEDED - 1) * READING_INTERVAL_MS)}::timestamptz, ${new Date(end)}::timestamptz, INTERVAL '5 minutes') AS t`
  await sql`ANALYZE glucose_readings`
}

export const loadSection: BenchSection = { name: 'load', run }
