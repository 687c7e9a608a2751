// The tick: every SYNC_TICK_SECONDS a worker claims the connections due within the next tick and enqueues one sync
// job each, spread evenly over the tick, so 10,000 connections due together start a few milliseconds apart rather
// than in the same second. Claims use FOR UPDATE SKIP LOCKED, so ticks of several workers never claim one connection
// twice; pg-boss's `stately` policy would refuse the duplicate anyway.
import type { PgBoss } from 'pg-boss'
import type { SyncConfig } from '../config.js'
import type { Sql } from '../db/connect.js'
import type { CgmProvider } from '../providers/provider.js'
import type { ProviderRegistry } from '../providers/registry.js'
import { SYNC_QUEUE, type SyncJobData } from './queues.js'

export interface SchedulerDeps {
  sql: Sql
  boss: PgBoss
  providers: ProviderRegistry
  config: SyncConfig
}

export interface TickResult {
  /** Connections enqueued, by provider. */
  enqueued: Record<string, number>
  /** Due within the tick but left for later by the provider's app-wide request budget, by provider. */
  overBudget: Record<string, number>
}

// A claimed connection is not claimed again for this long whatever becomes of its job: the sync sets the real next
// time when it ends, and a job lost with its worker (and retries exhausted) is enqueued again after the lease.
const CLAIM_LEASE_SECONDS = 10 * 60
// One tick never enqueues more than this per provider: bounds the tick's own work and the queue's growth when
// workers fall behind. At a 15 s tick that is 20,000 a minute per provider.
const MAX_PER_TICK = 5_000

export async function enqueueDueSyncs(deps: SchedulerDeps, now = Date.now()): Promise<TickResult> {
  const tickMs = deps.config.tickSeconds * 1000
  const result: TickResult = { enqueued: {}, overBudget: {} }
  for (const provider of deps.providers.values()) {
    const allowance = syncsPerTick(provider, tickMs, deps.config.requestsPerHour[provider.name])
    const due = await claimDue(deps.sql, provider.name, allowance, new Date(now + tickMs))
    if (due.length > 0) {
      due.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
      const step = tickMs / due.length
      await deps.boss.insert(SYNC_QUEUE, due.map((c, i) => ({
        data: { userId: c.userId, connectionId: c.id } satisfies SyncJobData,
        singletonKey: c.id,
        startAfter: new Date(Math.max(c.dueAt.getTime(), now + Math.round(i * step))),
      })))
    }
    result.enqueued[provider.name] = due.length
    if (due.length === allowance) result.overBudget[provider.name] = await countDue(deps.sql, provider.name, new Date(now + tickMs))
  }
  return result
}

/**
 * How many syncs of this provider one tick may start. An app-wide budget (Dexcom: 60,000 requests an hour for all
 * users) is shared out per tick at the requests one sync makes at most; connections over it wait for a later
 * tick, oldest due first, so every connection is served and the cadence stretches evenly as users grow. A
 * per-connection budget is kept by the cadence itself.
 */
export function syncsPerTick(provider: CgmProvider, tickMs: number, requestsPerHourOverride?: number): number {
  const { rateLimit, requestsPerSync } = provider.limits
  if (rateLimit.per === 'connection') return MAX_PER_TICK
  const perHour = requestsPerHourOverride ?? (rateLimit.requests * 3_600_000) / rateLimit.perMs
  return Math.max(1, Math.min(MAX_PER_TICK, Math.floor((perHour * tickMs) / 3_600_000 / requestsPerSync)))
}

async function claimDue(sql: Sql, provider: string, limit: number, horizon: Date) {
  return sql<{ id: string; userId: string; dueAt: Date }[]>`
    WITH due AS (
      SELECT id, next_sync_at FROM cgm_connections
      WHERE provider = ${provider} AND next_sync_at <= ${horizon}
      ORDER BY next_sync_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE cgm_connections c
    SET next_sync_at = now() + make_interval(secs => ${CLAIM_LEASE_SECONDS}), sync_enqueued_at = now()
    FROM due WHERE c.id = due.id
    RETURNING c.id, c.user_id AS "userId", due.next_sync_at AS "dueAt"`
}

async function countDue(sql: Sql, provider: string, horizon: Date): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM cgm_connections WHERE provider = ${provider} AND next_sync_at <= ${horizon}`
  return row!.n
}
