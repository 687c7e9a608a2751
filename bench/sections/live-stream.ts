// Live stream delivery: N concurrent GET /api/v1/glucose/stream subscribers (one bench user each, default 1,000)
// on one in-process app, while a separate pool commits readings at a steady rate the way a sync worker does
// (storeReadings + readingsCommitted: commit, NOTIFY). Latency = from the commit's return to the SSE message
// reaching the subscriber's socket, p50/p99. Target p99 < 500 ms (issue 7). Both sides share this process's event
// loop, so the figure includes the load generator's own cost: an upper bound for a dedicated API process.
// Knobs: BENCH_LIVE_SUBSCRIBERS (1000), BENCH_LIVE_RATE (commits per second, 50), BENCH_LIVE_SECONDS (20).
import { Agent, request, type IncomingMessage } from 'node:http'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { buildApp } from '../../src/app.js'
import { signToken } from '../../src/auth/sign-token.js'
import { connect } from '../../src/db/connect.js'
import { storeReadings } from '../../src/glucose/store-readings.js'
import { readingsCommitted } from '../../src/live/readings-committed.js'
import { table } from '../lib/table.js'
import { round } from '../lib/timing.js'
import { benchUserIds, createUsers, deleteBenchUsers } from '../lib/users.js'
import type { BenchSection, SectionContext } from './section.js'

const TARGET_P99_MS = 500
const OPEN_CONCURRENCY = 50

function openStream(agent: Agent, url: string, token: string, onReading: () => void): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`))
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          if (buffer.slice(0, end).includes('\nevent: reading\n')) onReading()
          buffer = buffer.slice(end + 2)
        }
      })
      res.on('error', () => {})
      resolve(res)
    })
    req.on('error', reject)
    req.end()
  })
}

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!, 1))

async function run({ config, sql, env }: SectionContext) {
  const subscribers = Number(env.BENCH_LIVE_SUBSCRIBERS ?? 1000)
  const rate = Number(env.BENCH_LIVE_RATE ?? 50)
  const seconds = Number(env.BENCH_LIVE_SECONDS ?? 20)
  const loadBefore = loadavg()[0]!
  const ids = benchUserIds(subscribers)
  await createUsers(sql, ids)
  const app = await buildApp({ ...config, logLevel: 'silent', rateLimitPerMinute: 10_000_000, live: { heartbeatMs: 15_000, maxStreamsPerUser: 5 } })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity })
  const writer = connect(config.databaseUrl, { max: 4 })
  const pending = new Map<string, number>() // user → when its commit returned
  const latencies: number[] = []
  let unexpected = 0
  const streams: IncomingMessage[] = []
  try {
    const openStart = performance.now()
    for (let i = 0; i < ids.length; i += OPEN_CONCURRENCY) {
      streams.push(...(await Promise.all(ids.slice(i, i + OPEN_CONCURRENCY).map((id) =>
        openStream(agent, `${base}/api/v1/glucose/stream`, signToken(config, id), () => {
          const t0 = pending.get(id)
          if (t0 === undefined) return void unexpected++
          pending.delete(id)
          latencies.push(performance.now() - t0)
        })))))
    }
    const openMs = performance.now() - openStart

    // Steady ingest: one 1-reading commit every 1000/rate ms, users in turn; a user's commits are
    // subscribers/rate seconds apart, so each delivery matches exactly one pending commit.
    const commits = Math.round(rate * seconds)
    let sent = 0
    const startedAt = performance.now()
    const inFlight: Promise<void>[] = []
    while (sent < commits) {
      const due = startedAt + (sent * 1000) / rate
      const wait = due - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const id = ids[sent % ids.length]!
      const time = new Date(Math.floor(Date.now() / 1000) * 1000 - (commits - sent) * 1000)
      const rows = [{ time, valueMgDl: 100 + (sent % 100), trend: null, trendRate: null, recordId: null }]
      inFlight.push((async () => {
        const stored = await storeReadings(writer.sql, id, 'DEXCOM', rows)
        await readingsCommitted(writer.sql, { userId: id, source: 'DEXCOM', readings: rows, stored })
        pending.set(id, performance.now())
      })())
      sent++
    }
    await Promise.all(inFlight)
    const ingestMs = performance.now() - startedAt
    const deadline = performance.now() + 5000
    while (pending.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    const sorted = latencies.sort((a, b) => a - b)
    return {
      subscribers, openMs: round(openMs, 0), commits, commitsPerSec: round(commits / (ingestMs / 1000), 1), delivered: sorted.length,
      lost: pending.size, unexpected, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: round(sorted.at(-1) ?? 0, 1),
      loadAverage: { before: round(loadBefore, 1), after: round(loadavg()[0]!, 1) },
    }
  } finally {
    for (const s of streams) s.destroy()
    agent.destroy()
    await app.close()
    await writer.close()
    await deleteBenchUsers(sql)
  }
}

export const liveStreamSection: BenchSection = {
  name: 'live-stream',
  async run(context: SectionContext) {
    const f = await run(context)
    const complete = f.lost === 0 && f.delivered === f.commits && f.unexpected === 0
    return {
      figures: f,
      targets: [{ name: `live stream commit→delivery p99 with ${f.subscribers} subscribers, ms`, value: f.p99Ms, target: `< ${TARGET_P99_MS}`, pass: complete && f.p99Ms < TARGET_P99_MS }],
      table: table([`live stream, ${f.subscribers} subscribers, ${f.commits} commits`, 'commits/s', 'delivered', 'lost', 'p50 ms', 'p99 ms', 'max ms', 'open all ms'], [
        ['commit → SSE message', f.commitsPerSec, f.delivered, f.lost, f.p50Ms, f.p99Ms, f.maxMs, f.openMs],
      ]),
    }
  },
}
