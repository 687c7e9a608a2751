// The consensus CGM report (International Consensus on Time in Range, 2019) of one user over one period: computed
// in SQL (sql/glucose-report.sql and sql/glucose-agp.sql hold every definition and its source); this module picks
// how the summary is read (hourly rollup or raw readings), runs both queries and shapes the result.
import { readFile } from 'node:fs/promises'
import type { Sql } from '../db/connect.js'

// Read once per process, on first use (not at import, so a missing file fails the call that needs it, loudly).
const sqlFile = (name: string) => {
  let text: Promise<string> | undefined
  return () => (text ??= readFile(new URL(`../../sql/${name}`, import.meta.url), 'utf8'))
}
const summaryQuery = sqlFile('glucose-report.sql')
const agpQuery = sqlFile('glucose-agp.sql')

const HOUR_MS = 60 * 60 * 1000
/**
 * Periods longer than this read their whole UTC hours from the hourly rollup (glucose_hourly) and only the edges
 * from raw readings. The numbers are the same either way; below 3 days there are too few whole hours for the
 * rollup to save much. On the Apache edition glucose_hourly is a plain view, so there it saves nothing (the bench
 * measured a 90-day summary at 34 ms against 30 ms raw); one code path for both editions is worth that.
 */
export const ROLLUP_MIN_SPAN_MS = 3 * 24 * HOUR_MS

/** `auto`: rollups for periods over ROLLUP_MIN_SPAN_MS; `rollups` / `readings` force one way (tests, bench). */
export type SummaryMode = 'auto' | 'rollups' | 'readings'

/** [start, end) of the whole UTC hours of [from, to) that the summary reads from the rollup; empty = none. */
export function rollupHours(from: Date, to: Date, mode: SummaryMode = 'auto'): [Date, Date] | undefined {
  const use = mode === 'rollups' || (mode === 'auto' && to.getTime() - from.getTime() > ROLLUP_MIN_SPAN_MS)
  if (!use) return undefined
  // UTC hours, as time_bucket('1 hour') makes them (the epoch is on an hour boundary).
  const start = Math.ceil(from.getTime() / HOUR_MS) * HOUR_MS
  const end = Math.floor(to.getTime() / HOUR_MS) * HOUR_MS
  return start < end ? [new Date(start), new Date(end)] : undefined
}

export interface AgpBin {
  /** Bin start, minutes after local midnight in the user's time zone (15-minute bins). */
  minuteOfDay: number
  time: string // HH:MM, the same bin start
  n: number
  p5: number
  p25: number
  p50: number
  p75: number
  p95: number
}

export interface GlucoseReport {
  from: string
  to: string
  unit: 'mg/dL'
  /** The one reading source the report is computed from (one series per user and period, no double counting). */
  source: string | null
  readings: number
  meanMgDl: number | null
  sdMgDl: number | null
  cvPct: number | null
  gmiPct: number | null
  percentVeryLow: number | null // g < 54
  percentLow: number | null // 54 ≤ g < 70
  percentInRange: number | null // 70 ≤ g ≤ 180
  percentHigh: number | null // 180 < g ≤ 250
  percentVeryHigh: number | null // g > 250
  gri: number | null
  lbgi: number | null
  hbgi: number | null
  coveragePct: number
  periodDays: number
  sufficient: boolean
  /** Null when sufficient; otherwise why the period does not meet the consensus (≥ 70 % over 14 days). */
  insufficientReason: string | null
  /** Whether the summary summed the hourly rollup for the period's whole hours (same numbers as from readings). */
  fromRollups: boolean
  agp: AgpBin[]
}

interface Row {
  n: number
  source: string | null
  mean: number | null
  sd: number | null
  cv_pct: number | null
  gmi_pct: number | null
  very_low_pct: number | null
  low_pct: number | null
  in_range_pct: number | null
  high_pct: number | null
  very_high_pct: number | null
  gri: number | null
  lbgi: number | null
  hbgi: number | null
  coverage_pct: number | null
  period_days: number
  insufficient_reason: string | null
}

interface AgpRow {
  minuteOfDay: number
  n: number
  pct: [number, number, number, number, number]
}

// One decimal for glucose and percents (a CGM reading is itself within about ±10 %; more digits would be noise);
// two for GMI and the risk indices, whose clinical cut-offs (e.g. LBGI 2.5, HBGI 4.5) are given to that precision.
const round = (digits: number) => (v: number | null) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits)
const r1 = round(1)
const r2 = round(2)
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`

/** The report of `userId`'s readings in [from, to). Values in mg/dL. */
export async function glucoseReport(sql: Sql, userId: string, from: Date, to: Date, mode: SummaryMode = 'auto'): Promise<GlucoseReport> {
  const hours = rollupHours(from, to, mode)
  // No rollup hours: [to, to) is an empty range, so every reading of [from, to) is read raw.
  const [rollupFrom, rollupTo] = hours ?? [to, to]
  // sql.unsafe only because the text comes from our own files; every value travels as a bind parameter.
  const [row] = (await sql.unsafe(await summaryQuery(), [userId, from, to, rollupFrom, rollupTo] as never[])) as unknown as Row[]
  if (!row) throw new Error('glucose-report.sql returned no row')
  const agp = row.source === null ? [] : ((await sql.unsafe(await agpQuery(), [userId, from, to, row.source] as never[])) as unknown as AgpRow[])
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    unit: 'mg/dL',
    source: row.source,
    readings: row.n,
    meanMgDl: r1(row.mean),
    sdMgDl: r1(row.sd),
    cvPct: r1(row.cv_pct),
    gmiPct: r2(row.gmi_pct),
    percentVeryLow: r1(row.very_low_pct),
    percentLow: r1(row.low_pct),
    percentInRange: r1(row.in_range_pct),
    percentHigh: r1(row.high_pct),
    percentVeryHigh: r1(row.very_high_pct),
    gri: r1(row.gri),
    lbgi: r2(row.lbgi),
    hbgi: r2(row.hbgi),
    coveragePct: r1(row.coverage_pct) ?? 0,
    periodDays: r2(row.period_days) ?? 0,
    sufficient: row.insufficient_reason === null,
    insufficientReason: row.insufficient_reason,
    fromRollups: hours !== undefined,
    agp: agp.map(({ minuteOfDay, n, pct: [p5, p25, p50, p75, p95] }) => ({
      minuteOfDay,
      time: hhmm(minuteOfDay),
      n,
      p5: r1(p5)!,
      p25: r1(p25)!,
      p50: r1(p50)!,
      p75: r1(p75)!,
      p95: r1(p95)!,
    })),
  }
}
