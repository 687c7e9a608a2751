// Fault-injection tools for the reliability tests: a seeded random source (a failing run can be replayed from its
// seed), a client that keeps re-sending a batch until it is acknowledged, the truth those batches should leave in
// glucose_readings, and a TCP proxy that plays "the database is down" from the application's side.
import net from 'node:net'
import type { Db } from '../../src/db/connect.js'

/** mulberry32: small, fast and good enough to shuffle and pick; the same seed gives the same sequence. */
export function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  return {
    next,
    /** An integer in [min, max]. */
    int,
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(0, i)
        ;[items[i], items[j]] = [items[j]!, items[i]!]
      }
      return items
    },
  }
}
export type Prng = ReturnType<typeof prng>

export interface Reading {
  /** Epoch ms, whole seconds (what is stored). */
  time: number
  value: number
  trend: 'flat' | 'fortyFiveUp' | 'fortyFiveDown'
}

const TRENDS: Reading['trend'][] = ['flat', 'fortyFiveUp', 'fortyFiveDown']

/** `count` readings every 5 minutes ending about an hour ago, with values and trends from `rng`. */
export function truthSeries(rng: Prng, count: number): Reading[] {
  const end = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000
  return Array.from({ length: count }, (_, i) => ({
    time: end - (count - 1 - i) * 300_000,
    value: rng.int(40, 400),
    trend: TRENDS[rng.int(0, 2)]!,
  }))
}

/**
 * Overlapping windows covering every reading of `truth`: sizes 1–`maxSize` (small ones take the one-statement
 * upsert, large ones the COPY path of store-readings.ts), each starting up to a quarter of its size back into the
 * previous window, so neighbours share readings and race for the same rows.
 */
export function overlappingBatches(rng: Prng, truth: Reading[], maxSize: number): Reading[][] {
  const batches: Reading[][] = []
  let start = 0
  while (start < truth.length) {
    const size = rng.next() < 0.5 ? rng.int(1, 20) : rng.int(101, maxSize)
    const from = Math.max(0, start - rng.int(0, Math.floor(size / 4)))
    batches.push(truth.slice(from, start + size))
    start += size
  }
  return batches
}

/**
 * The body a client would send for `batch`: items in random order, some repeated inside the batch, and every
 * time with millisecond jitter inside its second (re-sends of a clock that is not whole-second exact), as ISO
 * strings or epoch milliseconds.
 */
export function body(rng: Prng, batch: Reading[], source = 'DEXCOM') {
  const items = batch.flatMap((r) => (rng.next() < 0.1 ? [r, r] : [r]))
  return {
    source,
    readings: rng.shuffle(items.map((r) => {
      const ms = r.time + rng.int(0, 999)
      return { time: rng.next() < 0.5 ? new Date(ms).toISOString() : ms, value: r.value, trend: r.trend }
    })),
  }
}

/** Stored readings of one user and source, ordered by time. */
export async function storedReadings(db: Db, userId: string, source: string): Promise<Reading[]> {
  const rows = await db.sql<{ time: Date; value: number; trend: Reading['trend'] }[]>`
    SELECT time, value, trend::text AS trend FROM glucose_readings
    WHERE user_id = ${userId} AND source = ${source}::reading_source ORDER BY time`
  return rows.map((r) => ({ time: r.time.getTime(), value: r.value, trend: r.trend }))
}

/** How `stored` differs from `truth` (empty when equal): missing, unexpected and differing instants. */
export function differences(truth: Reading[], stored: Reading[]): string[] {
  const want = new Map(truth.map((r) => [r.time, r]))
  const got = new Map<number, Reading>()
  const problems: string[] = []
  for (const r of stored) {
    if (got.has(r.time)) problems.push(`${new Date(r.time).toISOString()} stored twice`)
    got.set(r.time, r)
    const w = want.get(r.time)
    if (!w) problems.push(`${new Date(r.time).toISOString()} stored but never sent`)
    else if (w.value !== r.value || w.trend !== r.trend) problems.push(`${new Date(r.time).toISOString()} is ${r.value}/${r.trend}, sent ${w.value}/${w.trend}`)
  }
  for (const r of truth) if (!got.has(r.time)) problems.push(`${new Date(r.time).toISOString()} missing`)
  return problems.slice(0, 10)
}

/** Runs `tasks` with at most `lanes` of them in flight at once. */
export async function inLanes<T>(tasks: Array<() => Promise<T>>, lanes: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await tasks[i]!()
    }
  }))
  return results
}

/**
 * A TCP proxy to the database that can be cut: `cut()` destroys every open connection (both sides, so the server
 * ends those sessions, rolls back their transactions and releases their locks) and closes the listening port, so
 * new connections are refused. From the application's side this is what a database that went down looks like
 * (ECONNRESET / connection closed for what was open, ECONNREFUSED for what comes next), without touching the
 * cluster other tests share. `restore()` listens again on the same port.
 */
export class DbProxy {
  private server: net.Server | undefined
  private readonly sockets = new Set<net.Socket>()
  port = 0
  connections = 0

  constructor(private readonly target: { host: string; port: number }) {}

  static async start(databaseUrl: string): Promise<{ proxy: DbProxy; url: string }> {
    const direct = new URL(databaseUrl)
    const proxy = new DbProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
    await proxy.restore()
    const url = new URL(databaseUrl)
    url.hostname = '127.0.0.1'
    url.port = String(proxy.port)
    return { proxy, url: url.toString() }
  }

  async restore(): Promise<void> {
    const server = net.createServer((client) => {
      this.connections += 1
      const upstream = net.connect(this.target)
      for (const s of [client, upstream]) {
        this.sockets.add(s)
        s.setNoDelay(true)
        s.on('error', () => {}) // a cut connection errors on both sides; that is the point
        s.on('close', () => {
          this.sockets.delete(s)
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream)
      upstream.pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: '127.0.0.1', port: this.port }, () => resolve())
    })
    const address = server.address()
    this.port = typeof address === 'object' && address ? address.port : 0
    this.server = server
  }

  /** Every open connection destroyed and the port closed; resolves once nothing is left open. */
  async cut(): Promise<number> {
    const open = this.sockets.size / 2
    const server = this.server
    this.server = undefined
    const closed = server ? new Promise((resolve) => server.close(resolve)) : Promise.resolve()
    for (const s of this.sockets) s.destroy()
    await closed
    return open
  }

  get isUp(): boolean {
    return this.server !== undefined
  }
}
