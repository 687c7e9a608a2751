// The sync-scale section's figures, read from the database after the cycle (the engine's own records: sync_runs,
// cgm_connections, pg-boss's job table, pg_stat_database), and its cleanup.
import type { Sql } from '../../src/db/connect.js'
import { round } from './timing.js'

export interface DbWrites {
  rows: number
  commits: number
  minus(before: DbWrites): { rows: number; commits: number }
}

/** Rows inserted, updated and deleted and commits in this database so far (every session: the engine's and ours). */
export async function dbWrites(sql: Sql): Promise<DbWrites> {
  await sql`SELECT pg_stat_clear_snapshot()`
  const [row] = await sql<{ rows: string; commits: string }[]>`
    SELECT (tup_inserted + tup_updated + tup_deleted)::text AS rows, xact_commit::text AS commits
    FROM pg_stat_database WHERE datname = current_database()`
  const rows = Number(row!.rows)
  const commits = Number(row!.commits)
  return { rows, commits, minus: (b) => ({ rows: rows - b.rows, commits: commits - b.commits }) }
}

const ms = (v: number | null) => (v === null ? null : Math.round(v))

export async function cycleFigures(sql: Sql, connectionIds: string[], userIds: string[]) {
  // The cycle ends when every connection has finished its first ok run. A connection synced early is due again
  // after its cadence (5 min ± 10 %): a cycle slower than that starts the next one, whose runs are counted apart.
  const [cycle] = await sql<{ firstClaim: Date | null; lastFinished: Date | null; synced: number }[]>`
    WITH first AS (SELECT connection_id, min(finished_at) AS at FROM sync_runs
                   WHERE connection_id = ANY(${connectionIds}::uuid[]) AND outcome = 'ok' GROUP BY connection_id)
    SELECT null::timestamptz AS "firstClaim", (SELECT max(at) FROM first) AS "lastFinished", (SELECT count(*)::int FROM first) AS synced`
  // The tick inserts the jobs of the connections it claims: the first insert is the cycle's first claim.
  const [claim] = await sql<{ at: Date | null }[]>`
    SELECT min(created_on) AS at FROM pgboss.job WHERE name = 'sync-connection' AND singleton_key = ANY(${connectionIds})`
  cycle!.firstClaim = claim!.at
  const nextCycleRuns = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM sync_runs WHERE connection_id = ANY(${connectionIds}::uuid[]) AND started_at > ${cycle!.lastFinished ?? new Date(8.64e15)}`
  const [runs] = await sql<{ runs: number; ok: number; connections: number; maxPerConnection: number; workers: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null }[]>`
    WITH r AS (SELECT connection_id, outcome, worker, extract(epoch FROM finished_at - started_at) * 1000 AS ms
               FROM sync_runs WHERE connection_id = ANY(${connectionIds}::uuid[]) AND started_at <= ${cycle!.lastFinished ?? new Date(8.64e15)})
    SELECT count(*)::int AS runs, count(*) FILTER (WHERE outcome = 'ok')::int AS ok,
           count(DISTINCT connection_id)::int AS connections, count(DISTINCT worker)::int AS workers,
           coalesce((SELECT max(n) FROM (SELECT count(*)::int AS n FROM r GROUP BY connection_id) c), 0) AS "maxPerConnection",
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS "p50Ms", percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS "p99Ms", max(ms) AS "maxMs"
    FROM r`
  const runOutcomes = await sql<{ outcome: string | null; n: number; error: string | null }[]>`
    SELECT outcome, count(*)::int AS n, min(error) AS error FROM sync_runs WHERE connection_id = ANY(${connectionIds}::uuid[]) GROUP BY outcome`
  const keys = connectionIds
  const [jobs] = await sql<{ jobs: number; inserted: number; updated: number; spreadMs: number | null; p50WaitMs: number | null; p99WaitMs: number | null; p50TotalMs: number | null; p99TotalMs: number | null }[]>`
    SELECT count(*)::int AS jobs, coalesce(sum((output->>'inserted')::int), 0)::int AS inserted, coalesce(sum((output->>'updated')::int), 0)::int AS updated,
           extract(epoch FROM max(start_after) - min(start_after)) * 1000 AS "spreadMs",
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_on - start_after) * 1000) AS "p50WaitMs",
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_on - start_after) * 1000) AS "p99WaitMs",
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_on - start_after) * 1000) AS "p50TotalMs",
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM completed_on - start_after) * 1000) AS "p99TotalMs"
    FROM (SELECT DISTINCT ON (singleton_key) * FROM pgboss.job WHERE name = 'sync-connection' AND singleton_key = ANY(${keys})
          ORDER BY singleton_key, created_on) first_jobs`
  const byState = await sql<{ state: string; outcome: string | null; n: number }[]>`
    SELECT state::text, output->>'outcome' AS outcome, count(*)::int AS n FROM pgboss.job
    WHERE name = 'sync-connection' AND singleton_key = ANY(${keys}) GROUP BY 1, 2`
  const [analysis] = await sql<{ jobs: number; completed: number }[]>`
    SELECT count(*)::int AS jobs, count(*) FILTER (WHERE state = 'completed')::int AS completed FROM pgboss.job
    WHERE name = 'analyze-readings' AND data->>'userId' = ANY(${userIds})`
  const seconds = cycle!.firstClaim && cycle!.lastFinished && cycle!.synced === connectionIds.length
    ? round((cycle!.lastFinished.getTime() - cycle!.firstClaim.getTime()) / 1000) : null
  const count = (f: (s: { state: string; outcome: string | null }) => string) =>
    byState.reduce<Record<string, number>>((acc, s) => ({ ...acc, [f(s)]: (acc[f(s)] ?? 0) + s.n }), {})
  return {
    cycle: { seconds, firstClaim: cycle!.firstClaim, lastFinished: cycle!.lastFinished, connectionsSynced: cycle!.synced, runsOfTheNextCycle: nextCycleRuns[0]!.n },
    runs: { ...runs!, p50Ms: ms(runs!.p50Ms), p99Ms: ms(runs!.p99Ms), maxMs: ms(runs!.maxMs), byOutcome: runOutcomes },
    jobs: {
      jobs: jobs!.jobs, inserted: jobs!.inserted, updated: jobs!.updated,
      scheduledSpreadMs: ms(jobs!.spreadMs),
      p50WaitMs: ms(jobs!.p50WaitMs), p99WaitMs: ms(jobs!.p99WaitMs), p50TotalMs: ms(jobs!.p50TotalMs), p99TotalMs: ms(jobs!.p99TotalMs),
      byState: count((s) => s.state), byOutcome: count((s) => s.outcome ?? `(${s.state})`),
    },
    analysisJobs: analysis!,
  }
}

/**
 * Removes what the section created: its pg-boss jobs (sync jobs keyed by connection, analysis jobs by user), then
 * its users, whose connections, runs, readings and meals go with them (ON DELETE CASCADE); readings first in one
 * statement, which is faster than 10,000 cascades.
 */
export async function cleanup(sql: Sql, connectionIds: string[], userIds: string[]): Promise<void> {
  const [boss] = await sql<{ exists: boolean }[]>`SELECT to_regclass('pgboss.job') IS NOT NULL AS exists`
  if (boss!.exists) await deleteJobs(sql, connectionIds, userIds)
  await sql`DELETE FROM glucose_readings WHERE user_id = ANY(${userIds}::uuid[])`
  // The syncs' audit entries (credential reads) go only with their user's erasure, each user named in
  // glucose.erasing_user (migrations/0022): one user per DELETE, looped server-side (10,000 round trips saved).
  // The ids reach the DO block through a transaction-local setting: DO takes no parameters.
  await sql.begin(async (tx) => {
    await tx`SELECT set_config('bench.user_ids', ${userIds.join(',')}, true)`
    await tx`
      DO $$
      DECLARE u uuid;
      BEGIN
        FOR u IN SELECT unnest(string_to_array(current_setting('bench.user_ids'), ',')::uuid[]) LOOP
          PERFORM set_config('glucose.erasing_user', u::text, true);
          DELETE FROM users WHERE id = u;
        END LOOP;
      END $$`
  })
}

async function deleteJobs(sql: Sql, connectionIds: string[], userIds: string[]): Promise<void> {
  if (connectionIds.length > 0) await sql`DELETE FROM pgboss.job WHERE name = 'sync-connection' AND singleton_key = ANY(${connectionIds})`
  await sql`DELETE FROM pgboss.job WHERE name = 'analyze-readings' AND data->>'userId' = ANY(${userIds})`
}
