// (d) GET /api/v1/glucose/readings with defaults (the last 24 h: 288 readings) under closed-loop load, next to a
// hello-world Fastify route measured the same way in the same run.
//
// Layout: on 2 cores the load generator (autocannon, itself a busy event loop) would steal the server's loop if they
// shared a process, so the figures that count run the server in a child process. The in-process layout is measured
// too (shorter) to show how much that choice moves the numbers. Either way PostgreSQL shares the same 2 cores.
// Load: 50 connections against the app's default pool of 10; BENCH_READ_USERS users (10), their tokens rotated per
// request, so the auth cache and the index see several users rather than one hot key. Next to req/s, each run
// reports the CPU time per request of the server, its PostgreSQL backends and autocannon (lib/cpu.ts).
import type { Config } from '../../src/config.js'
import { signToken } from '../../src/auth/sign-token.js'
import type { Sql } from '../../src/db/connect.js'
import { keepAliveAgent, send } from '../lib/http.js'
import { combine, load, type LoadFigures } from '../lib/load.js'
import { copyText, onGrid, READING_INTERVAL_MS, syntheticSeries } from '../lib/readings.js'
import { startChildServer, startServer, type RunningServer, type ServerKind } from '../lib/servers.js'
import { round } from '../lib/timing.js'
import { createUsers } from '../lib/users.js'
import { copyChunks } from './copy.js'

const PATH = '/api/v1/glucose/readings'
const DAY_MS = 24 * 60 * 60 * 1000
const HISTORY_DAYS = 30 // a month of history per user: the 24 h query must find its day among several chunks
const READINGS_PER_DAY = DAY_MS / READING_INTERVAL_MS // 288

export interface ReadOptions {
  users: number
  connections: number
  seconds: number
  warmupSeconds: number
  inProcess: boolean // also measure with server and load generator in one process
  splits: boolean // also load cheaper app routes, to split a read's cost into its layers
}

export interface LayoutFigures {
  hello: LoadFigures
  readings24h: LoadFigures
  ratio: number // readings24h / hello req/s
  // The same ratio from CPU per request (server + PostgreSQL + autocannon): on a CPU-bound box req/s goes as its
  // inverse, and CPU per request barely moves when other work shares the box. Absent without /proc.
  ratioByCpu?: number
  splits?: Record<string, LoadFigures>
}

export interface ReadFigures {
  vacuumMs: number
  users: number
  readingsPerResponse: number
  connections: number
  seconds: number
  child: LayoutFigures
  inProcess?: LayoutFigures
}

/**
 * Users with HISTORY_DAYS of readings ending an hour ahead of now: the default window [now - 24 h, now) slides
 * during the run, and on a 5-minute grid any fully covered 24 h window holds exactly 288 readings.
 */
async function seedReadUsers(sql: Sql, ids: readonly string[]): Promise<void> {
  await createUsers(sql, ids)
  const series = syntheticSeries(HISTORY_DAYS * READINGS_PER_DAY, onGrid(Date.now() + 60 * 60 * 1000), 7)
  await copyChunks(sql, ids.map((id) => copyText(series, id)))
}

// Before loading: every token must get 200 and exactly 288 readings, or the req/s would describe something else.
async function verify(url: string, tokens: readonly string[]): Promise<void> {
  const agent = keepAliveAgent(1)
  try {
    for (const token of tokens) {
      const res = await send(agent, url + PATH, { method: 'GET', headers: { authorization: `Bearer ${token}` } })
      const count = res.status === 200 ? (JSON.parse(res.body) as { readings: unknown[] }).readings.length : -1
      if (count !== READINGS_PER_DAY) throw new Error(`GET ${PATH} answered ${res.status} with ${count} readings, expected ${READINGS_PER_DAY}: ${res.body.slice(0, 200)}`)
    }
  } finally {
    agent.destroy()
  }
}

export async function readsScenario(
  sql: Sql,
  config: Config,
  userIds: readonly string[],
  vacuum: () => Promise<number>,
  options: ReadOptions,
): Promise<ReadFigures> {
  await seedReadUsers(sql, userIds)
  // After all the inserts, autovacuum would otherwise start during the first load (hello-world) and skew the ratio.
  const vacuumMs = await vacuum()
  const tokens = userIds.map((id) => signToken(config, id))
  const readRequests = tokens.map((token) => ({ path: PATH, headers: { authorization: `Bearer ${token}` } }))
  const [firstToken] = tokens as [string]
  const auth = { authorization: `Bearer ${firstToken}` }

  type Requests = { path: string; headers?: Record<string, string> }[]
  const loadOptions = (server: RunningServer, requests: Requests, seconds: number) =>
    ({ url: server.url, connections: options.connections, seconds, requests, cpu: { sql, serverPid: server.pid } })

  // Hello-world and the read are loaded in alternating segments against two servers kept running side by side,
  // so a burst of other work on the box falls on both; sequential 10 s runs moved hello-world between 21k and 38k
  // req/s from one run to the next while the read stayed put.
  const measure = async (start: (kind: ServerKind) => Promise<RunningServer>, seconds: number, splits: boolean) => {
    const hello = await start('hello')
    const app = await start('app')
    const parts: { hello: LoadFigures[]; app: LoadFigures[] } = { hello: [], app: [] }
    try {
      await verify(app.url, tokens)
      const sides = [
        { kind: 'hello' as const, server: hello, requests: [{ path: '/' }] },
        { kind: 'app' as const, server: app, requests: readRequests },
      ]
      // Warm-up: JIT, the app's connection pool and PostgreSQL's plan cache reach their steady state.
      for (const side of sides) await load({ ...loadOptions(side.server, side.requests, options.warmupSeconds), cpu: undefined })
      const segments = seconds >= 4 ? 2 : 1
      for (let i = 0; i < segments; i++) {
        for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
          parts[side.kind].push(await load(loadOptions(side.server, side.requests, seconds / segments)))
        }
      }
    } finally {
      await Promise.all([hello.close(), app.close()])
    }
    const figures: LayoutFigures = { hello: combine(parts.hello), readings24h: combine(parts.app), ratio: 0 }
    figures.ratio = round(figures.readings24h.reqPerSec / figures.hello.reqPerSec, 3)
    const total = (f: LoadFigures) => f.cpuUsPerRequest && (f.cpuUsPerRequest.serverUs ?? 0) + f.cpuUsPerRequest.postgresUs + f.cpuUsPerRequest.loadGeneratorUs
    const [helloCpu, readCpu] = [total(figures.hello), total(figures.readings24h)]
    if (helloCpu && readCpu) figures.ratioByCpu = round(helloCpu / readCpu, 3)
    if (splits) {
      // Cheaper app routes, one layer each: the app's hooks only; auth (cached token) + one small query; the read
      // with the unit given. Their CPU per request locates the read's cost.
      const alone = async (requests: Requests) => {
        const server = await start('app')
        try {
          await load({ ...loadOptions(server, requests, options.warmupSeconds), cpu: undefined })
          return await load(loadOptions(server, requests, seconds / 2))
        } finally {
          await server.close()
        }
      }
      figures.splits = {
        appHealth: await alone([{ path: '/health' }]),
        me: await alone([{ path: '/api/v1/me', headers: auth }]),
        readingsUnitGiven: await alone(readRequests.map((r) => ({ ...r, path: `${PATH}?unit=mg%2FdL` }))),
      }
    }
    return figures
  }

  const child = await measure(startChildServer, options.seconds, options.splits)
  const inProcess = options.inProcess ? await measure(startServer, Math.max(3, Math.round(options.seconds / 2)), false) : undefined
  return {
    vacuumMs,
    users: userIds.length,
    readingsPerResponse: READINGS_PER_DAY,
    connections: options.connections,
    seconds: options.seconds,
    child,
    ...(inProcess && { inProcess }),
  }
}
