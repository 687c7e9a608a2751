// The full edition's migrations (the .full.sql files, for docker-compose and production) cannot run here: this
// cluster is the Apache build, which refuses continuous aggregates, compression and policies. What can be checked
// is everything else in them: on an empty database, every migration is applied as the full edition would apply it
// (the .full.sql file where there is one), with a plain materialized view standing in for each continuous
// aggregate (the same SELECT, so its columns, functions and the hierarchical day-on-hour rollup must resolve), and
// every statement that fails must fail only for the license. A typo, a wrong column or a function called with the
// wrong arguments fails with another message. Then the retention function of 0021 runs as far as the license lets.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { freshDatabase } from '../helpers.js'

const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url))
const PSQL = ['/usr/lib/postgresql/15/bin/psql'].find((path) => existsSync(path)) ?? 'psql'
const LICENSE = /not supported under the current "apache" license/

/** Runs `sql` statement by statement (psql goes on after an error); returns the ERROR lines. */
function psql(url: string, sql: string): string[] {
  const run = spawnSync(PSQL, [url, '-q', '-X', '-v', 'ON_ERROR_STOP=0', '-f', '-'], { input: sql, encoding: 'utf8', timeout: 60_000 })
  if (run.error) throw run.error
  return run.stderr.split('\n').filter((line) => line.includes('ERROR:'))
}

t.test('the full edition migrations: only the license stops them', async (t) => {
  const { url, db } = await freshDatabase(t, 'glucose_full')
  const files = (await readdir(MIGRATIONS)).filter((f) => f.endsWith('.sql') && !f.endsWith('.apache.sql')).sort()
  const refused: string[] = []
  for (const file of files) {
    const text = await readFile(MIGRATIONS + file, 'utf8')
    const standIn = text.replace(/WITH \(timescaledb\.continuous[^)]*\)/g, '')
    for (const error of psql(url, standIn)) {
      if (LICENSE.test(error)) refused.push(`${file}: ${error.replace(/^.*ERROR:\s*/, '').slice(0, 60)}`)
      else t.fail(`${file}: ${error}`)
    }
  }
  // What only the full edition runs: the continuous aggregates' refresh policies (0007, re-made in 0018) and
  // compression (0008). Anything else refused here would be a license feature used without its .apache twin.
  t.same(refused.map((r) => r.slice(0, r.indexOf(':'))), [
    '0007_glucose_rollups.full.sql', '0007_glucose_rollups.full.sql',
    '0008_readings_compression.full.sql', '0008_readings_compression.full.sql',
    '0018_glucose_rollups_summable.full.sql', '0018_glucose_rollups_summable.full.sql',
  ], `refused for the license only: ${refused.length} statements`)

  const [hourly] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'glucose_hourly'`
  t.equal(hourly!.n, 17, 'the hourly rollup has its columns (as a stand-in view)')
  const daily = psql(url, 'REFRESH MATERIALIZED VIEW glucose_hourly; REFRESH MATERIALIZED VIEW glucose_daily; SELECT count(*) FROM glucose_daily;')
  t.same(daily, [], 'both rollups compute (days on hours)')
  // 0021's function reads timescaledb_information.continuous_aggregates and .jobs, then stops at the policy call.
  t.match(psql(url, 'SELECT apply_glucose_retention_policies(30)'), [/function "remove_retention_policy" is not supported under the current "apache" license/])
})
