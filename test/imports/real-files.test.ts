// Real export files as the apps wrote them (shared/reference/data/cgm-exports, MIT, see its README), read in
// place and never copied into this repository; skipped when that folder is absent. The expected counts come from a
// deliberately naive reading of each file (its glucose rows have no quoted fields): distinct instants whose value
// lies within the stored bounds. A UTC user makes distinct local stamps distinct instants.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import t from 'tap'
import { MAX_MG_DL, MIN_MG_DL } from '../../src/glucose/limits.js'
import { countReadings } from '../helpers.js'
import { startImportApp, upload } from './support.js'

const DIR = resolve(import.meta.dirname, '../../../shared/reference/data/cgm-exports')

interface Expected {
  readings: number // distinct instants within bounds: what ends up stored
  outOfBounds: number // glucose rows rejected by the bounds
  duplicates: number // in-bounds rows at an instant an earlier in-bounds row had
}

/** Glucose rows as [time stamp, value] from `lines` → the expected outcome. */
function expected(rows: Array<[string, string]>): Expected {
  const inBounds = rows.filter(([, v]) => Number(v) >= MIN_MG_DL && Number(v) <= MAX_MG_DL)
  const readings = new Set(inBounds.map(([time]) => time)).size
  return { readings, outOfBounds: rows.length - inBounds.length, duplicates: inBounds.length - readings }
}

const lines = (file: string) => readFileSync(join(DIR, file), 'utf8').split(/\r?\n/).map((l) => l.split(','))

const FILES: Array<{ file: string; format: string; source: string; expect: () => Expected }> = [
  {
    file: 'Firstname4Lastname4_levels.csv', format: 'levels', source: 'LEVELS',
    expect: () => expected(lines('Firstname4Lastname4_levels.csv').slice(2).filter((c) => c[2]).map((c) => [c[0]!, c[2]!])),
  },
  ...['Firstname1Lastname1_glucose.csv', 'Firstname2Lastname2_glucose.csv'].map((file) => ({
    file, format: 'libreview', source: 'LIBRE',
    // Record Type 0: historic value in column 5; 1: scan value in column 6.
    expect: () => expected(lines(file).filter((c) => c[3] === '0' || c[3] === '1').map((c) => [c[2]!, c[3] === '0' ? c[4]! : c[5]!])),
  })),
  {
    file: 'Firstname3Lastname3_nutrisense.csv', format: 'nutrisense', source: 'IMPORT',
    expect: () => expected(lines('Firstname3Lastname3_nutrisense.csv').filter((c) => c[0] === 'GlucoseMeasurement').map((c) => [c[6]!, c[1]!])),
  },
]

for (const { file, format, source, expect } of FILES) {
  const present = existsSync(join(DIR, file))
  t.test(`real ${format} export ${file}: every reading it holds is stored once`, { skip: !present && `${DIR} not present` }, async (t) => {
    const want = expect()
    t.ok(want.readings > 1000, `the oracle found ${want.readings} readings`)
    const app = await startImportApp(t)
    const user = app.newUser()
    const res = await upload(app, user, readFileSync(join(DIR, file)), { multipart: true })
    t.equal(res.status, 200)
    t.equal(res.body.format, format)
    t.equal(res.body.inserted, want.readings)
    t.equal(res.body.duplicates, want.duplicates, 'rows repeating an instant: the first is kept')
    t.equal(res.body.errorCount, want.outOfBounds, 'only the out-of-bounds values are rejected')
    t.equal(await countReadings(app.db, user.id), want.readings)
    const [sources] = await app.db.sql<{ sources: string[] }[]>`
      SELECT array_agg(DISTINCT source::text) AS sources FROM glucose_readings WHERE user_id = ${user.id}`
    t.same(sources!.sources, [source])

    const again = await upload(app, user, readFileSync(join(DIR, file)))
    t.match(again.body, { inserted: 0, updated: 0, unchanged: want.readings }, 're-upload stores nothing new')
    t.equal(await countReadings(app.db, user.id), want.readings)
  })
}
