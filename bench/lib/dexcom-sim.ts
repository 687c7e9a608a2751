// The Dexcom simulator in a child process (entry: dexcom-sim-child.ts), and the bench's own reads of it: the EGVs
// a user's window holds, mapped by the provider's own mapper, for seeding what an earlier sync stored and for
// checking afterwards that what the workers stored is exactly what the simulator serves.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { ReadingRow } from '../../src/glucose/validate-readings.js'
import { mapEgv, naiveIso } from '../../src/providers/dexcom/map.js'
import { mapRecords } from '../../src/providers/map-records.js'
import type { SimChildReady } from './dexcom-sim-child.js'
import { keepAliveAgent, send } from './http.js'

const CHILD = fileURLToPath(new URL('./dexcom-sim-child.ts', import.meta.url))
const PROFILES = fileURLToPath(new URL('../results/profiles', import.meta.url))

export interface DexcomSimChild extends SimChildReady {
  pid: number
  setLatency(ms: number): Promise<void>
  stop(): Promise<void>
}

export async function startDexcomSimChild(users: number, options: { cpuProfile: boolean }): Promise<DexcomSimChild> {
  const profile = options.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILES}`] : []
  const child = fork(CHILD, [String(users)], { execArgv: ['--import', 'tsx', ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = once(child, 'exit')
  const [ready] = (await Promise.race([
    once(child, 'message'),
    exited.then(([code]) => Promise.reject(new Error(`the Dexcom simulator child exited with ${code} before listening`))),
  ])) as [SimChildReady]
  return {
    ...ready,
    pid: child.pid!,
    async setLatency(ms) {
      const acked = once(child, 'message')
      child.send({ latencyMs: ms })
      await acked
    },
    async stop() {
      await stopChild(child, exited, () => child.send('stop'))
    },
  }
}

/** Asks a child to stop, and kills it (by its pid, through the handle) if it has not exited within 10 s. */
export async function stopChild(child: ChildProcess, exited: Promise<unknown>, ask: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  try {
    ask()
  } catch {
    child.kill('SIGKILL') // IPC already closed
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

export interface SimReader {
  /** The EGVs of `username` with from <= systemTime <= to, as the Dexcom provider maps them (newest first). */
  egvs(username: string, from: Date, to: Date): Promise<ReadingRow[]>
  close(): void
}

export function simReader(sim: SimChildReady): SimReader {
  const agent = keepAliveAgent(8)
  const tokens = new Map(sim.tokens.map(([username, access]) => [username, access]))
  return {
    async egvs(username, from, to) {
      const query = new URLSearchParams({ startDate: naiveIso(from), endDate: naiveIso(to) })
      const res = await send(agent, `${sim.baseUrl}/v3/users/self/egvs?${query}`, { method: 'GET', headers: { authorization: `Bearer ${tokens.get(username)}` } })
      if (res.status !== 200) throw new Error(`simulator /egvs for ${username} answered ${res.status}: ${res.body.slice(0, 200)}`)
      return mapRecords((JSON.parse(res.body) as { records: unknown[] }).records, (record) => mapEgv(record)).readings
    },
    close: () => agent.destroy(),
  }
}

/** Runs `fn` over `items` with `concurrency` in flight, keeping the input order in the result. */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }))
  return out
}
