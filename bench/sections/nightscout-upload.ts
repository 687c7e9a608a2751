// The Nightscout-compatible upload path (POST /ns/<site>/api/v1/entries) beside the bearer ingest
// (POST /api/v1/glucose/readings) for the same rows, in one run against one database and one in-process app:
//  (1) 24 h backfills: one request of 288 xDrip+-shaped entries per user (what xDrip+ sends after a gap), rows/s,
//      interleaved rounds so background load falls on both paths alike; then the same batches again (an uploader
//      re-sending what is stored: every row unchanged);
//  (2) the steady state: 1-entry uploads, one per site in turn, a few uploaders at once, req/s and latency.
// Knobs: BENCH_NS_BACKFILL_USERS (40 per path), BENCH_NS_STEADY_REQUESTS (1000 per path), BENCH_NS_CONCURRENCY (4).
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { buildApp } from '../../src/app.js'
import { sha1Hex } from '../../src/nightscout-upload/credentials.js'
import { createOrRotateSite } from '../../src/nightscout-upload/sites.js'
import { signToken } from '../../src/auth/sign-token.js'
import { keepAliveAgent, send } from '../lib/http.js'
import { ingestBody, onGrid, READING_INTERVAL_MS, syntheticSeries, type SyntheticReading } from '../lib/readings.js'
import { table } from '../lib/table.js'
import { round, settle } from '../lib/timing.js'
import { benchUserIds, countReadings, createUsers } from '../lib/users.js'
import type { BenchSection, SectionContext } from './section.js'

const DIRECTION = { doubleUp: 'DoubleUp', singleUp: 'SingleUp', fortyFiveUp: 'FortyFiveUp', flat: 'Flat', fortyFiveDown: 'FortyFiveDown', singleDown: 'SingleDown', doubleDown: 'DoubleDown' } as Record<string, string>
const ROUNDS = 4

interface Request { url: string; headers: Record<string, string>; body: Buffer }

/** xDrip+'s entry shape (see test/nightscout-upload/payloads.ts for the source). */
function xdripBody(readings: readonly SyntheticReading[]): Buffer {
  return Buffer.from(JSON.stringify(readings.map((r) => {
    const ms = r.time.getTime()
    const local = `${new Date(ms + 3_600_000).toISOString().slice(0, 23)}+0100`
    return { device: 'xDrip-DexcomG6', date: ms, dateString: local, sgv: r.value, delta: r.trendRate * 5, direction: DIRECTION[r.trend], type: 'sgv', filtered: r.value * 1000, unfiltered: r.value * 1000, rssi: 100, noise: 1, sysTime: local }
  })))
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!, 2)
}

async function runAll(agent: ReturnType<typeof keepAliveAgent>, requests: readonly Request[], concurrency: number, expect: (body: string) => void) {
  const latencies: number[] = []
  let next = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests.length) {
      const r = requests[next++]!
      const t0 = performance.now()
      const res = await send(agent, r.url, { method: 'POST', headers: r.headers, body: r.body })
      latencies.push(performance.now() - t0)
      if (res.status !== 200) throw new Error(`POST ${new URL(r.url).pathname.replace(/\/ns\/[^/]+/, '/ns/<site>')} answered ${res.status}: ${res.body.slice(0, 300)}`)
      expect(res.body)
    }
  }))
  return { ms: performance.now() - start, latencies: latencies.sort((a, b) => a - b) }
}

async function run({ config, sql, env }: SectionContext) {
  const loadBefore = loadavg()[0]!
  const backfillUsers = Number(env.BENCH_NS_BACKFILL_USERS ?? 40)
  const steadyRequests = Number(env.BENCH_NS_STEADY_REQUESTS ?? 1000)
  const concurrency = Number(env.BENCH_NS_CONCURRENCY ?? 4)
  const steadySites = 200
  // The per-site and per-user limits would stop a bench, not an uploader: lifted for this app only.
  const app = await buildApp({ ...config, logLevel: 'silent', rateLimitPerMinute: 10_000_000 })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const agent = keepAliveAgent(concurrency)
  try {
    const ids = { nsBackfill: benchUserIds(backfillUsers), bearerBackfill: benchUserIds(backfillUsers), nsSteady: benchUserIds(steadySites), bearerSteady: benchUserIds(steadySites) }
    await createUsers(sql, Object.values(ids).flat())
    const sites = new Map<string, { url: string; sha1: string }>()
    for (const id of [...ids.nsBackfill, ...ids.nsSteady]) {
      const { siteId, secret } = await createOrRotateSite(sql, id)
      sites.set(id, { url: `${base}/ns/${siteId}/api/v1/entries`, sha1: sha1Hex(secret) })
    }
    const nsRequest = (id: string, body: Buffer): Request => ({ url: sites.get(id)!.url, headers: { 'api-secret': sites.get(id)!.sha1 }, body })
    const bearerRequest = (id: string, body: Buffer): Request => ({ url: `${base}/api/v1/glucose/readings`, headers: { authorization: `Bearer ${signToken(config, id)}` }, body })

    // (1) Backfills: the same 288 readings per user on both paths, in interleaved rounds.
    const end = onGrid(Date.now())
    const series = ids.nsBackfill.map((_, i) => syntheticSeries(288, end, 1000 + i))
    const ns = ids.nsBackfill.map((id, i) => nsRequest(id, xdripBody(series[i]!)))
    const bearer = ids.bearerBackfill.map((id, i) => bearerRequest(id, ingestBody(series[i]!)))
    // Warm-up: compile both routes' schemas and JIT the validation loops, on the bench's own users (stored again below).
    await runAll(agent, [ns[0]!, bearer[0]!], 1, () => {})
    await sql`DELETE FROM glucose_readings WHERE user_id IN ${sql([ids.nsBackfill[0]!, ids.bearerBackfill[0]!])}`
    const totals = { ns: { ms: 0, byRound: [] as number[] }, bearer: { ms: 0, byRound: [] as number[] } }
    for (let r = 0; r < ROUNDS; r++) {
      const pick = <T>(list: T[]) => list.filter((_, i) => i % ROUNDS === r)
      for (const path of r % 2 === 0 ? (['ns', 'bearer'] as const) : (['bearer', 'ns'] as const)) {
        const batch = pick(path === 'ns' ? ns : bearer)
        await settle(sql)
        const { ms } = await runAll(agent, batch, 1, path === 'ns'
          ? (body) => { if (JSON.parse(body).length !== 288) throw new Error('the upload answer should list 288 entries') }
          : (body) => { if (JSON.parse(body).inserted !== 288) throw new Error(`bearer ingest stored ${body.slice(0, 200)}`) })
        totals[path].ms += ms
        totals[path].byRound.push(Math.round((batch.length * 288 / ms) * 1000))
      }
    }
    const rows = backfillUsers * 288
    for (const [name, list] of [['nightscout', ids.nsBackfill], ['bearer', ids.bearerBackfill]] as const) {
      const n = await countReadings(sql, list)
      if (n !== rows) throw new Error(`${name} backfill: expected ${rows} readings stored, found ${n}`)
    }
    const reupload = await runAll(agent, ns, 1, () => {})
    if ((await countReadings(sql, ids.nsBackfill)) !== rows) throw new Error('re-uploading the backfills changed the row count')

    // (2) Steady state: 1-entry uploads, sites in turn, each site's readings moving forward 5 minutes at a time.
    const steady = (path: 'ns' | 'bearer') => Array.from({ length: steadyRequests }, (_, k) => {
      const site = k % steadySites
      const reading = syntheticSeries(1, end - 86_400_000 + Math.floor(k / steadySites) * READING_INTERVAL_MS, k)
      return path === 'ns' ? nsRequest(ids.nsSteady[site]!, xdripBody(reading)) : bearerRequest(ids.bearerSteady[site]!, ingestBody(reading))
    })
    const steadyNs = steady('ns')
    const steadyBearer = steady('bearer')
    const half = Math.floor(steadyRequests / 2)
    const lat = { ns: [] as number[], bearer: [] as number[] }
    const ms = { ns: 0, bearer: 0 }
    for (const [path, list, from, to] of [['ns', steadyNs, 0, half], ['bearer', steadyBearer, 0, half], ['bearer', steadyBearer, half, steadyRequests], ['ns', steadyNs, half, steadyRequests]] as const) {
      await settle(sql)
      const result = await runAll(agent, list.slice(from, to), concurrency, () => {})
      ms[path] += result.ms
      lat[path].push(...result.latencies)
    }
    for (const [name, list] of [['nightscout', ids.nsSteady], ['bearer', ids.bearerSteady]] as const) {
      const n = await countReadings(sql, list)
      if (n !== steadyRequests) throw new Error(`${name} steady state: expected ${steadyRequests} readings stored, found ${n}`)
    }
    const steadyFigures = (path: 'ns' | 'bearer') => {
      const sorted = lat[path].sort((a, b) => a - b)
      return { requests: steadyRequests, ms: round(ms[path], 1), reqPerSec: Math.round((steadyRequests / ms[path]) * 1000), p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) }
    }
    const backfill = (t: { ms: number; byRound: number[] }) => ({ rows, ms: round(t.ms, 1), rowsPerSec: Math.round((rows / t.ms) * 1000), rowsPerSecByRound: t.byRound })
    // What one write transaction's commit costs here (WAL flush, on a disk other work shares): a floor for both paths.
    const commits: number[] = []
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now()
      await sql.begin((tx) => tx`SELECT txid_current()`) // an xid makes the commit write and flush a WAL record
      commits.push(performance.now() - t0)
    }
    commits.sort((a, b) => a - b)
    return {
      commitMs: { p50: percentile(commits, 0.5), p99: percentile(commits, 0.99) },
      backfill288: { requestsPerPath: backfillUsers, nightscout: backfill(totals.ns), bearer: backfill(totals.bearer), nightscoutReupload: { rows, ms: round(reupload.ms, 1), rowsPerSec: Math.round((rows / reupload.ms) * 1000) } },
      steady1: { concurrency, sites: steadySites, nightscout: steadyFigures('ns'), bearer: steadyFigures('bearer') },
      loadAverage1m: { before: round(loadBefore), after: round(loadavg()[0]!) },
    }
  } finally {
    agent.destroy()
    await app.close()
  }
}

export const nightscoutUploadSection: BenchSection = {
  name: 'nightscout-upload',
  async run(context) {
    const figures = await run(context)
    const { backfill288: b, steady1: s } = figures
    const spread = (byRound: number[]) => `${Math.min(...byRound).toLocaleString('en-US')}-${Math.max(...byRound).toLocaleString('en-US')}`
    const vs = (x: number, y: number) => `${Math.round((x / y) * 100)} %`
    const text = [
      table([`Nightscout upload vs bearer ingest, ${b.requestsPerPath} x 288 rows each, ${ROUNDS} rounds`, 'rows', 'ms', 'rows/s', 'vs bearer', 'rows/s by round'], [
        ['POST /ns/<site>/api/v1/entries (xDrip+ shape)', b.nightscout.rows, Math.round(b.nightscout.ms), b.nightscout.rowsPerSec, vs(b.nightscout.rowsPerSec, b.bearer.rowsPerSec), spread(b.nightscout.rowsPerSecByRound)],
        ['POST /api/v1/glucose/readings', b.bearer.rows, Math.round(b.bearer.ms), b.bearer.rowsPerSec, '100 %', spread(b.bearer.rowsPerSecByRound)],
        ['same uploads again (all unchanged)', b.nightscoutReupload.rows, Math.round(b.nightscoutReupload.ms), b.nightscoutReupload.rowsPerSec, '', ''],
      ]),
      table([`1-entry uploads, ${s.sites} sites, concurrency ${s.concurrency}`, 'requests', 'req/s', 'vs bearer', 'p50 ms', 'p99 ms'], [
        ['Nightscout upload', s.nightscout.requests, s.nightscout.reqPerSec, vs(s.nightscout.reqPerSec, s.bearer.reqPerSec), s.nightscout.p50Ms, s.nightscout.p99Ms],
        ['bearer ingest', s.bearer.requests, s.bearer.reqPerSec, '100 %', s.bearer.p50Ms, s.bearer.p99Ms],
      ]),
      `an empty write transaction's commit: p50 ${figures.commitMs.p50} ms, p99 ${figures.commitMs.p99} ms; load average (1 min) before ${figures.loadAverage1m.before}, after ${figures.loadAverage1m.after}`,
    ].join('\n\n')
    return { figures, targets: [], table: text }
  },
}
