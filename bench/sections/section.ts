// A bench section: one self-contained scenario added after the storage-layer figures (sync scale, Nightscout
// upload, analytics…). Each section seeds what it needs, measures side by side within its own run, cleans up, and
// returns its figures as JSON, its targets, and a short table for the human summary.
import type { Config } from '../../src/config.js'
import type { Sql } from '../../src/db/connect.js'
import type { Target } from '../lib/summary.js'

export interface SectionContext {
  config: Config
  /** A small pool for seeding and checks; sections open their own pools or servers for the measured work. */
  sql: Sql
  env: NodeJS.ProcessEnv
}

export interface SectionResult {
  figures: Record<string, unknown>
  targets: Target[]
  table: string
}

export interface BenchSection {
  /** Lower-case name, used by BENCH_ONLY and as the key in the JSON report. */
  name: string
  run(context: SectionContext): Promise<SectionResult>
}
