// Closed-loop HTTP load with autocannon: `connections` clients each send a request as soon as the previous answer
// arrives, so req/s is the server's capacity and latency is what a client waits at that load.
import autocannon from 'autocannon'
import type { Sql } from '../../src/db/connect.js'
import { countCpu, type CpuPerRequest } from './cpu.js'
import { round } from './timing.js'

export interface LoadFigures {
  reqPerSec: number // requests answered / seconds run
  requests: number
  seconds: number
  p50Ms: number
  p99Ms: number
  meanMs: number
  maxMs: number
  non2xx: number
  errors: number
  bytesPerResponse: number
  cpuUsPerRequest?: CpuPerRequest
}

export interface LoadOptions {
  url: string
  connections: number
  seconds: number
  // Cycled per connection, one per request: several users' tokens rotate this way with no per-request cost.
  requests: { path: string; headers?: Record<string, string> }[]
  cpu?: { sql: Sql; serverPid: number | undefined } // count CPU per request by process
}

export async function load(options: LoadOptions): Promise<LoadFigures> {
  const stopCpu = options.cpu && (await countCpu(options.cpu.sql, options.cpu.serverPid))
  const r = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    requests: options.requests.map((req) => ({ method: 'GET', ...req })),
  })
  const answered = r.requests.total
  const cpuUsPerRequest = await stopCpu?.(answered)
  return {
    reqPerSec: Math.round(answered / r.duration),
    requests: answered,
    seconds: round(r.duration),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    meanMs: round(r.latency.mean),
    maxMs: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
    bytesPerResponse: answered > 0 ? Math.round(r.throughput.total / answered) : 0,
    ...(cpuUsPerRequest && { cpuUsPerRequest }),
  }
}

/**
 * Figures of several segments of the same load as one. Exact for counts, rates and CPU; the percentiles are
 * approximations (autocannon returns no histogram): p50 weighted by requests, p99 the worst segment's (conservative).
 */
export function combine(parts: readonly LoadFigures[]): LoadFigures {
  const requests = parts.reduce((sum, p) => sum + p.requests, 0)
  const seconds = parts.reduce((sum, p) => sum + p.seconds, 0)
  const weighted = (f: (p: LoadFigures) => number | undefined) => parts.reduce((sum, p) => sum + (f(p) ?? 0) * p.requests, 0) / Math.max(1, requests)
  const cpu = parts.every((p) => p.cpuUsPerRequest) ? parts.map((p) => p.cpuUsPerRequest!) : undefined
  return {
    reqPerSec: Math.round(requests / seconds),
    requests,
    seconds: round(seconds),
    p50Ms: round(weighted((p) => p.p50Ms), 1),
    p99Ms: Math.max(...parts.map((p) => p.p99Ms)),
    meanMs: round(weighted((p) => p.meanMs)),
    maxMs: Math.max(...parts.map((p) => p.maxMs)),
    non2xx: parts.reduce((sum, p) => sum + p.non2xx, 0),
    errors: parts.reduce((sum, p) => sum + p.errors, 0),
    bytesPerResponse: Math.round(weighted((p) => p.bytesPerResponse)),
    ...(cpu && {
      cpuUsPerRequest: {
        ...(cpu.every((c) => c.serverUs !== undefined) && { serverUs: Math.round(weighted((p) => p.cpuUsPerRequest?.serverUs)) }),
        postgresUs: Math.round(weighted((p) => p.cpuUsPerRequest?.postgresUs)),
        loadGeneratorUs: Math.round(weighted((p) => p.cpuUsPerRequest?.loadGeneratorUs)),
      },
    }),
  }
}
