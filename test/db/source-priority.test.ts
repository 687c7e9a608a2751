// series_source_priority() decides which source's series counts when two cover the same window (migrations 0012,
// 0024). A reading source missing from it sorts last in SQL and first in the Node reference, so every value of the
// reading_source enum must have a place in it.
import t from 'tap'
import { connect } from '../../src/db/connect.js'
import { testConfig } from '../helpers.js'

t.test('every reading source has a place in series_source_priority()', async (t) => {
  const db = connect(testConfig().databaseUrl, { max: 1 })
  t.teardown(() => db.close())
  const [row] = await db.sql<{ sources: string[]; priority: string[] }[]>`
    SELECT enum_range(NULL::reading_source)::text[] AS sources, series_source_priority()::text[] AS priority`
  t.same([...row!.priority].sort(), [...row!.sources].sort(), 'the same set, each once')
  t.equal(new Set(row!.priority).size, row!.priority.length)
  t.ok(row!.priority.indexOf('NIGHTSCOUT_UPLOAD') > row!.priority.indexOf('DEXCOM'), "an uploader's copy after the provider's own API")
})
