// The tick: oldest due first, within Dexcom's app-wide request budget, spread over the tick, never the same
// connection twice while its claim holds, never one that needs the user; and what operators see of it.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { signToken } from '../../src/auth/sign-token.js'
import { createProviders } from '../../src/providers/registry.js'
import { startBoss } from '../../src/sync/queues.js'
import { enqueueDueSyncs, syncsPerTick } from '../../src/sync/scheduler.js'
import { request } from '../helpers.js'
import { startSimulator } from '../providers/helpers.js'
import { syncEnv } from './support.js'

const MINUTE = 60_000

t.test('the app-wide budget per tick: Dexcom 60,000 requests an hour at 3 a sync', async (t) => {
  const providers = createProviders((await import('../helpers.js')).testConfig())
  // 60,000 / 3600 s × 15 s = 250 requests a tick, 3 a sync → 83 syncs (floor).
  t.equal(syncsPerTick(providers.get('dexcom')!, 15_000), 83)
  // An override of 3,600 an hour: 15 requests a tick → 5 syncs.
  t.equal(syncsPerTick(providers.get('dexcom')!, 15_000, 3_600), 5)
  // Per-connection budgets (a user's own Nightscout site) are kept by the cadence, not rationed by the tick.
  t.equal(syncsPerTick(providers.get('nightscout')!, 15_000), 5_000)
})

t.test('a tick claims the oldest due first, within budget, spread over the tick, once', async (t) => {
  const sim = await startSimulator(t)
  const env = await syncEnv(t, sim, { tickSeconds: 15, requestsPerHour: { dexcom: 3_600 } })
  const { sql } = env.db
  // 12 due Dexcom connections (due 1..12 minutes ago), 1 that needs the user, 1 due later, 2 due Nightscout ones.
  const make = async (provider: string, nextSyncAt: Date | null) => {
    const userId = randomUUID()
    await sql`INSERT INTO users (id) VALUES (${userId})`
    const [row] = await sql<{ id: string }[]>`
      INSERT INTO cgm_connections (user_id, provider, status, next_sync_at) VALUES (${userId}, ${provider}, 'active', ${nextSyncAt}) RETURNING id`
    return row!.id
  }
  const now = Date.now()
  const due: string[] = []
  for (let i = 12; i >= 1; i--) due.push(await make('dexcom', new Date(now - i * MINUTE)))
  const needsUser = await make('dexcom', null)
  const later = await make('dexcom', new Date(now + 10 * MINUTE))
  const sites = [await make('nightscout', new Date(now - MINUTE)), await make('nightscout', new Date(now))]

  const boss = await startBoss(env.config, { supervise: false })
  t.teardown(() => boss.stop({ graceful: false }))
  const deps = { sql, boss, providers: createProviders(env.config), config: env.config.sync }
  const first = await enqueueDueSyncs(deps, now)
  t.same(first.enqueued, { dexcom: 5, 'libre-link-up': 0, nightscout: 2 })
  t.same(first.overBudget, { dexcom: 7 }, 'the other 7 due Dexcom connections wait for the next tick')

  const jobs = await sql<{ key: string; start: Date }[]>`
    SELECT singleton_key AS key, start_after AS start FROM pgboss.job WHERE name = 'sync-connection' ORDER BY start_after`
  const dexcomJobs = jobs.filter((j) => due.includes(j.key))
  t.same(dexcomJobs.map((j) => j.key).sort(), due.slice(0, 5).sort(), 'the five due longest')
  // 15 s / 5 = 3 s apart: the first now, the last 12 s later.
  const offsets = dexcomJobs.map((j) => Math.round((j.start.getTime() - now) / 1000))
  t.same(offsets, [0, 3, 6, 9, 12], 'spread evenly over the tick')
  t.same(jobs.filter((j) => sites.includes(j.key)).length, 2, 'both Nightscout sites')

  const second = await enqueueDueSyncs(deps, now)
  t.equal(second.enqueued.dexcom, 5, 'the next five')
  const third = await enqueueDueSyncs(deps, now)
  t.equal(third.enqueued.dexcom, 2, 'then the last two')
  t.equal((await enqueueDueSyncs(deps, now)).enqueued.dexcom, 0, 'claimed connections are not claimed again')
  const claimed = await sql<{ key: string }[]>`SELECT singleton_key AS key FROM pgboss.job WHERE name = 'sync-connection'`
  t.same(claimed.map((c) => c.key).filter((k) => due.includes(k)).sort(), [...due].sort(), 'every due connection exactly once')
  t.notOk(claimed.some((c) => c.key === needsUser || c.key === later), 'neither the reauth one nor the one due later')

  // Operators: the admin route needs the admin scope.
  const plain = await request(env.app.url, signToken(env.config, randomUUID()), 'GET', '/api/v1/admin/sync')
  t.equal(plain.status, 403)
  t.match(plain.body.message, /admin/)
  const admin = await request(env.app.url, signToken(env.config, randomUUID(), undefined, 'admin'), 'GET', '/api/v1/admin/sync')
  t.equal(admin.status, 200)
  t.same(admin.body.connections.byState.find((s: { provider: string }) => s.provider === 'dexcom'),
    { provider: 'dexcom', status: 'active', connections: 14, due: 0, scheduled: 13 }, 'claimed ones are leased, not due')
  t.ok(admin.body.queues.some((q: { name: string }) => q.name === 'sync-connection'))
})
