// The driver when the database goes away (a TCP proxy cut, support.ts), below the app: two bugs found by
// db-restart.test.ts, each pinned here on its own.
//
// 1. Failed connects must not use up the pool: src/db/connect.ts's socket factory used to reject on a refused
// connect, which left that pool connection "connecting" for ever; after `max` of them every query hung, even
// once the database was back.
//
// 2. The connection under a reserved handle (sql.reserve(): every provider sync holds one for its lock)
// closes while the handle is idle. Unpatched postgres.js 3.4.9 then crashes the process on the handle's next query
// (porsager/postgres#1208); scripts/patch-postgres.mjs (postinstall) makes it a CONNECTION_CLOSED rejection, and
// the pool must carry on with the connection reconnected, not poisoned by the handle's release().
import t from 'tap'
import { connect } from '../../src/db/connect.js'
import { testConfig } from '../helpers.js'
import { DbProxy } from './support.js'

t.test('refused connects do not use up the pool: each query fails fast, and the pool works when the database is back', async (t) => {
  const { proxy, url } = await DbProxy.start(testConfig().databaseUrl)
  t.teardown(() => proxy.cut())
  const db = connect(url, { max: 2 })
  t.teardown(() => db.close())
  await db.sql`SELECT 1`
  await proxy.cut()
  const codes: string[] = []
  let slowest = 0
  for (let i = 0; i < 6; i++) { // three times the pool size
    const started = Date.now()
    const outcome = await Promise.race([
      db.sql`SELECT 1`.then(() => 'answered', (e: { code?: string }) => e.code ?? 'no code'),
      new Promise<string>((resolve) => setTimeout(() => resolve('no answer in 5 s'), 5000)),
    ])
    codes.push(outcome)
    slowest = Math.max(slowest, Date.now() - started)
  }
  t.ok(codes.every((c) => ['ECONNREFUSED', 'CONNECTION_CLOSED', 'ECONNRESET'].includes(c)), `every query failed with a connection error (${codes.join(', ')})`)
  t.ok(slowest < 4000, `failed fast, no wait for a timeout (slowest ${slowest} ms)`)
  await proxy.restore()
  const [row] = await db.sql<{ ok: number }[]>`SELECT 1 AS ok`
  t.equal(row!.ok, 1, 'the same pool answers once the database is back')
})

t.test('a reserved connection that closed rejects its queries; the pool recovers', async (t) => {
  const { proxy, url } = await DbProxy.start(testConfig().databaseUrl)
  t.teardown(() => proxy.cut())
  const db = connect(url, { max: 2 })
  t.teardown(() => db.close())

  const reserved = await db.sql.reserve()
  const [before] = await reserved<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`
  t.ok(before!.pid > 0, 'the reserved connection works')
  await proxy.cut()
  await new Promise((resolve) => setTimeout(resolve, 200)) // the close reaches the driver while the handle is idle

  const error = await reserved`SELECT 1`.then(() => undefined, (e: { code?: string }) => e)
  t.equal(error?.code, 'CONNECTION_CLOSED', 'its next query is rejected (not an uncaught exception)')
  const again = await reserved`SELECT 1`.then(() => undefined, (e: { code?: string }) => e)
  t.equal(again?.code, 'CONNECTION_CLOSED', 'and the one after that')
  reserved.release()

  await proxy.restore()
  const pids = new Set<number>()
  for (let i = 0; i < 6; i++) {
    const [row] = await db.sql<{ pid: number; i: number }[]>`SELECT pg_backend_pid() AS pid, ${i}::int AS i`
    t.equal(row!.i, i, `pool query ${i + 1} answered after the database came back`)
    pids.add(row!.pid)
  }
  t.notOk(pids.has(before!.pid), 'on new sessions')
  const next = await db.sql.reserve()
  const [row] = await next<{ ok: number }[]>`SELECT 1 AS ok`
  t.equal(row!.ok, 1, 'a new reservation works')
  next.release()
})
