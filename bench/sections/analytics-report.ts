// The 90-day consensus report (GET /api/v1/glucose/report's query) from the hourly rollup vs from raw readings,
// for one user with 90 days × 288 readings, side by side in one run (interleaved, median of BENCH_REPORT_RUNS).
//   raw        every reading of the period summed (sql/glucose-report.sql with no rollup hours)
//   rollup     whole UTC hours from glucose_hourly, edges raw: on this (Apache) edition glucose_hourly is a plain
//              view, so the hours are still aggregated from readings on every call
//   stored     the same query with glucose_hourly shadowed by a temporary table holding the user's hourly rows:
//              what the full edition's materialized continuous aggregate gives (its real-time part, the last hour
//              or so, is not modelled); an estimate of the full edition, which cannot run here
// Each is timed for the summary alone and for the whole report (summary + AGP, whose percentiles read raw
// readings either way: sql/glucose-agp.sql). Before timing, the ways are checked to give the same report.
import { readFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { glucoseReport, rollupHours, type SummaryMode } from '../../src/analytics/glucose-report.js'
import type { Sql } from '../../src/db/connect.js'
import { onGrid } from '../lib/readings.js'
import { table } from '../lib/table.js'
import { round, timed } from '../lib/timing.js'
import { benchUserIds, createUsers } from '../lib/users.js'
import type { BenchSection, SectionContext } from './section.js'

const DAYS = 90
const DAY_MS = 86_400_000

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return round(s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2, 2)
}

// A plausible day: a slow daily wave, three meal peaks and sensor noise, from a deterministic sequence.
async function seed(sql: Sql, userId: string, from: Date, to: Date): Promise<number> {
  const result = await sql`
    INSERT INTO glucose_readings (time, user_id, source, value)
    SELECT t, ${userId}::uuid, 'DEXCOM',
           least(400, greatest(40, round(120 + 25 * sin(2 * pi() * extract(epoch FROM t) / 86400)
             + 70 * exp(-power((extract(epoch FROM t)::bigint % 21600) / 60.0 - 60, 2) / 1800)
             + 12 * sin(extract(epoch FROM t) / 7000.0) * cos(extract(epoch FROM t) / 1300.0))))::smallint
    FROM generate_series(${from}::timestamptz, ${to}::timestamptz - INTERVAL '5 minutes', INTERVAL '5 minutes') t`
  return result.count
}

async function run({ sql, env }: SectionContext) {
  const loadBefore = loadavg()[0]!
  const runs = Number(env.BENCH_REPORT_RUNS ?? 9)
  const [userId] = benchUserIds(1) as [string]
  await createUsers(sql, [userId])
  // A period ending now on the 5-minute grid: its first and last hours are partial, as in real requests.
  const to = new Date(onGrid(Date.now()))
  const from = new Date(to.getTime() - DAYS * DAY_MS)
  const readings = await seed(sql, userId, from, to)
  await sql`VACUUM ANALYZE glucose_readings`

  const summaryText = await readFile(new URL('../../sql/glucose-report.sql', import.meta.url), 'utf8')
  const hours = rollupHours(from, to, 'rollups')!
  const summary = async (s: Sql, mode: SummaryMode) => {
    const [a, b] = mode === 'rollups' ? hours : [to, to]
    return s.unsafe(summaryText, [userId, from, to, a, b] as never[])
  }

  // Two connections: `stored` holds the temporary table in its session (pg_temp comes first in the search path, so
  // there `glucose_hourly` resolves to the table), `plain` reads the view. The ways are interleaved run by run, so
  // the machine's background load falls on all of them alike.
  const plain = await sql.reserve()
  const stored = await sql.reserve()
  try {
    const raw = await glucoseReport(plain, userId, from, to, 'readings')
    const rollup = await glucoseReport(plain, userId, from, to, 'rollups')
    if (JSON.stringify({ ...raw, fromRollups: true }) !== JSON.stringify(rollup)) throw new Error('analytics-report: the rollup report differs from the raw one')
    const hourlyRows = await stored`CREATE TEMPORARY TABLE glucose_hourly AS SELECT * FROM public.glucose_hourly WHERE user_id = ${userId}`
    await stored`CREATE INDEX ON glucose_hourly (user_id, bucket)`
    await stored`ANALYZE glucose_hourly`
    if (JSON.stringify(await glucoseReport(stored, userId, from, to, 'rollups')) !== JSON.stringify(rollup)) throw new Error('analytics-report: the stored-rollup report differs')
    const ways: Record<string, () => Promise<unknown>> = {
      raw: () => summary(plain, 'readings'),
      rollup: () => summary(plain, 'rollups'),
      stored: () => summary(stored, 'rollups'),
      rawFull: () => glucoseReport(plain, userId, from, to, 'readings'),
      rollupFull: () => glucoseReport(plain, userId, from, to, 'rollups'),
      storedFull: () => glucoseReport(stored, userId, from, to, 'rollups'),
    }
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]))
    for (let i = 0; i < runs; i++) {
      for (const [name, way] of Object.entries(ways)) times[name]!.push((await timed(way)).ms)
    }
    await stored`DROP TABLE glucose_hourly`
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<'raw' | 'rollup' | 'stored' | 'rawFull' | 'rollupFull' | 'storedFull', number>
    const figures = {
      days: DAYS, readings, hourlyRows: hourlyRows.count, runs, medianMs: m,
      summaryVsRaw: { rollup: round(m.rollup / m.raw, 3), stored: round(m.stored / m.raw, 3) },
      loadAverage1m: { before: round(loadBefore), after: round(loadavg()[0]!) },
    }
    const ratio = (x: number, base: number) => `${round(x / base, 2)}×`
    const text = table([`90-day report, 1 user, ${readings.toLocaleString('en-US')} readings, median of ${runs}`, 'summary ms', 'vs raw', 'whole report ms', 'vs raw'], [
      ['raw readings', m.raw, '1×', m.rawFull, '1×'],
      ['hourly rollup (Apache: plain view)', m.rollup, ratio(m.rollup, m.raw), m.rollupFull, ratio(m.rollupFull, m.rawFull)],
      [`stored hourly rows (${hourlyRows.count}; full-edition estimate)`, m.stored, ratio(m.stored, m.raw), m.storedFull, ratio(m.storedFull, m.rawFull)],
    ]) + `\nload average (1 min) before ${figures.loadAverage1m.before}, after ${figures.loadAverage1m.after}; the AGP reads raw readings in every row`
    return { figures, targets: [], table: text }
  } finally {
    plain.release()
    stored.release()
  }
}

export const analyticsReportSection: BenchSection = { name: 'analytics-report', run }
