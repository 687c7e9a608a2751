// Interleaved rounds for the ingest paths. Other work on a shared 2-core box comes and goes within seconds; timing
// COPY, then HTTP, then INSERT one after another lets a burst of it land on one path only and skew the ratios
// (COPY alone moved between 65k and 125k rows/s across runs that way). Instead the workload's batches are split into
// rounds, each round runs every path on its share, and the order rotates from round to round, so background load
// and the table's growth fall on all paths alike. A path's figure is its rows over the sum of its timed rounds.
import type { Sql } from '../../src/db/connect.js'
import { ingestFigures, settle, timed, type IngestFigures } from './timing.js'

/** One ingest path, prepared (users created, warm-up done, payloads built) and ready to time. */
export interface IngestPath {
  name: string
  /** Stores the given batches of the workload; only this is timed. */
  run(batches: readonly number[]): Promise<void>
  close?(): Promise<void>
}

export interface RoundFigures extends IngestFigures {
  rowsPerSecByRound: number[] // the spread shows how steady the box was
}

export async function runRounds(sql: Sql, paths: readonly IngestPath[], batchSizes: readonly number[], rounds: number): Promise<Record<string, RoundFigures>> {
  const count = Math.min(rounds, batchSizes.length)
  const groups = Array.from({ length: count }, (_, r) => batchSizes.map((_, i) => i).filter((i) => i % count === r))
  const totals = new Map(paths.map((p) => [p.name, { ms: 0, byRound: [] as number[] }]))
  for (const [r, group] of groups.entries()) {
    const rows = group.reduce((sum, i) => sum + batchSizes[i]!, 0)
    for (let k = 0; k < paths.length; k++) {
      const path = paths[(r + k) % paths.length]!
      await settle(sql)
      const { ms } = await timed(() => path.run(group))
      const total = totals.get(path.name)!
      total.ms += ms
      total.byRound.push(Math.round((rows / ms) * 1000))
    }
  }
  const rows = batchSizes.reduce((sum, n) => sum + n, 0)
  return Object.fromEntries(
    [...totals].map(([name, t]) => [name, { ...ingestFigures(rows, t.ms), rowsPerSecByRound: t.byRound }]),
  )
}
