// Wall-clock timing and the figures every ingest scenario reports.
import { performance } from 'node:perf_hooks'
import type { Sql } from '../../src/db/connect.js'

export interface IngestFigures {
  rows: number
  ms: number
  rowsPerSec: number
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now()
  const value = await fn()
  return { ms: performance.now() - start, value }
}

export function ingestFigures(rows: number, ms: number): IngestFigures {
  return { rows, ms: round(ms, 1), rowsPerSec: Math.round((rows / ms) * 1000) }
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** Checkpoint before a timed ingest: each section then starts with the same WAL state (full-page writes). */
export async function settle(sql: Sql): Promise<void> {
  await sql`CHECKPOINT`.catch(() => {}) // needs superuser or pg_checkpoint; without it the sections are noisier
}
