// The real server (src/cli/serve.ts in a child process) killed with SIGKILL while batches are in flight (once;
// RELIABILITY_KILLS=n for more) and started again on the same port; the client re-sends every batch it got no 2xx
// for. Nothing may be lost or stored twice, and a batch cut off mid-request is stored whole or not at all (it is
// one transaction).
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { signToken } from '../../src/auth/sign-token.js'
import { connect } from '../../src/db/connect.js'
import { testConfig } from '../helpers.js'
import { body, differences, prng, storedReadings, truthSeries, type Reading } from './support.js'

const SERVE = fileURLToPath(new URL('../../src/cli/serve.ts', import.meta.url))
const LANES = 4
// Each restart is a cold start of the whole app under tsx: seconds on a quiet machine, far more on a busy one.
const KILLS = Number(process.env.RELIABILITY_KILLS ?? 1)
const START_TIMEOUT_MS = 60_000

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

function startServer(port: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', SERVE], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SYNC_WORKER: 'false', MIGRATE_ON_START: 'false', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000' },
    stdio: 'ignore',
  })
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before answering`)
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false)
    if (ok) return Date.now() - started
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the server did not answer /health within ${timeoutMs} ms`)
}

t.test('kill -9 mid-flight, restart, re-send what was not acknowledged: no loss, no duplicates, no torn batch', async (t) => {
  const config = testConfig()
  const db = connect(config.databaseUrl, { max: 2 })
  t.teardown(() => db.close())
  const rng = prng(Number(process.env.RELIABILITY_SEED ?? 7))
  const userId = randomUUID()
  const token = signToken(config, userId)
  // Back to back, not overlapping, so each batch's rows are its own and "whole or nothing" can be checked.
  const truth = truthSeries(rng, 6000)
  const batches: Reading[][] = []
  for (let i = 0; i < truth.length;) {
    const size = rng.next() < 0.3 ? rng.int(1, 100) : rng.int(200, 600)
    batches.push(truth.slice(i, i + size))
    i += size
  }

  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let child = startServer(port)
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  await waitHealthy(url, child, START_TIMEOUT_MS)

  const acked = new Set<number>()
  const inFlight = new Set<number>()
  const kills: Array<{ inFlight: number[]; whole: number; none: number; torn: number; restartMs: number }> = []
  let failedSends = 0
  let killing: Promise<void> | undefined
  let next = 0

  // A kill when 1/(KILLS+1) of the batches are acknowledged (then 2/(KILLS+1)…) and at least two are in flight.
  const maybeKill = () => {
    if (killing || kills.length >= KILLS || acked.size < ((kills.length + 1) * batches.length) / (KILLS + 1) || inFlight.size < 2) return
    const cut = [...inFlight]
    const victim = child
    victim.kill('SIGKILL')
    killing = (async () => {
      await once(victim, 'exit')
      // Server gone: nothing else can write. Each batch it had in flight is committed whole or not at all.
      await new Promise((resolve) => setTimeout(resolve, 200))
      const stored = new Set((await storedReadings(db, userId, 'DEXCOM')).map((r) => r.time))
      const counts = cut.map((i) => batches[i]!.filter((r) => stored.has(r.time)).length)
      const whole = counts.filter((n, k) => n === batches[cut[k]!]!.length).length
      const none = counts.filter((n) => n === 0).length
      child = startServer(port)
      const restartMs = await waitHealthy(url, child, START_TIMEOUT_MS)
      kills.push({ inFlight: cut, whole, none, torn: cut.length - whole - none, restartMs })
      killing = undefined
    })()
  }

  const send = async (i: number): Promise<boolean> => {
    inFlight.add(i)
    try {
      const response = await fetch(`${url}/api/v1/glucose/readings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body(rng, batches[i]!)),
      })
      await response.arrayBuffer()
      return response.ok
    } catch {
      return false // connection reset or refused: the answer is unknown, so the batch is sent again
    } finally {
      inFlight.delete(i)
    }
  }

  const deadline = Date.now() + 45_000 + KILLS * START_TIMEOUT_MS
  await Promise.all(Array.from({ length: LANES }, async () => {
    while (next < batches.length) {
      const i = next++
      // A real client: on no 2xx, wait and re-send the same batch until it is acknowledged.
      while (!(await send(i))) {
        failedSends += 1
        if (Date.now() > deadline) throw new Error(`batch ${i} still not acknowledged by the deadline`)
        await (killing ?? new Promise((resolve) => setTimeout(resolve, 100)))
      }
      acked.add(i)
      maybeKill()
    }
  }))
  await killing

  t.equal(kills.length, KILLS, `the server was killed ${KILLS} times with batches in flight`)
  for (const [k, kill] of kills.entries()) {
    t.equal(kill.torn, 0, `kill ${k + 1}: of ${kill.inFlight.length} batches in flight, ${kill.whole} were stored whole, ${kill.none} not at all, none partly (restart ${kill.restartMs} ms)`)
  }
  t.ok(failedSends >= kills.reduce((n, k) => n + k.inFlight.length, 0), `${failedSends} sends got no 2xx and were re-sent`)
  t.equal(acked.size, batches.length, `all ${batches.length} batches acknowledged in the end`)
  const stored = await storedReadings(db, userId, 'DEXCOM')
  t.equal(stored.length, truth.length, `${truth.length} rows`)
  t.same(differences(truth, stored), [], 'every reading stored exactly once with the value sent')
})
