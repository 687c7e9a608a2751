// (e) Bytes per stored reading, measured on a probe: a scratch hypertable with glucose_readings' columns, defaults,
// constraints, indexes and chunk interval, filled with the workload's N readings by COPY (one user after another,
// each oldest first, as the ingest paths write them), then VACUUM ANALYZE. Not measured on glucose_readings itself:
// the bench deletes its rows at the end, and the space they held stays with the chunks (reused, never returned),
// so after a few runs its size divided by its rows says more about past runs than about a reading.
import type { Sql } from '../../src/db/connect.js'
import { copyText } from '../lib/readings.js'
import { round } from '../lib/timing.js'
import { benchUserIds } from '../lib/users.js'
import type { Workload } from '../lib/workload.js'
import { copyChunks } from './copy.js'

const PROBE = 'bench_storage_probe'

export interface StorageFigures {
  rows: number
  chunks: number
  totalBytes: number
  bytesPerReading: number
  heapBytesPerReading: number // table + TOAST
  indexBytesPerReading: number
  // After REINDEX (leaf pages packed to the default 90 %): the gap to indexBytesPerReading is page-split slack from
  // inserting each user's readings in time order into the middle of the (user_id, time DESC, source) index.
  reindexedIndexBytesPerReading: number
}

interface DetailedSize {
  table_bytes: string
  index_bytes: string
  toast_bytes: string
  total_bytes: string
}

export async function dropProbe(sql: Sql): Promise<void> {
  await sql`DROP TABLE IF EXISTS ${sql(PROBE)}`
}

export async function storageScenario(sql: Sql, workload: Workload): Promise<StorageFigures> {
  await dropProbe(sql)
  const [dimension] = await sql<{ interval: string }[]>`
    SELECT time_interval::text AS interval FROM timescaledb_information.dimensions
    WHERE hypertable_name = 'glucose_readings' AND column_name = 'time'`
  // LIKE copies what shapes a row and its index entries; the foreign key is left out (it adds no bytes), so the
  // probe's user ids need no users rows.
  await sql`CREATE TABLE ${sql(PROBE)} (LIKE glucose_readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`
  await sql`SELECT create_hypertable(${PROBE}::regclass, by_range('time', ${dimension!.interval}::interval), create_default_indexes => false)`
  try {
    const ids = benchUserIds(workload.batches.length)
    await copyChunks(sql, (function* () {
      for (const [i, batch] of workload.batches.entries()) yield copyText(batch, ids[i]!)
    })(), PROBE)
    await sql`VACUUM ANALYZE ${sql(PROBE)}`

    const size = async () => (await sql<DetailedSize[]>`SELECT * FROM hypertable_detailed_size(${PROBE}::regclass)`)[0]!
    const [counts] = await sql<{ rows: number; chunks: number }[]>`
      SELECT (SELECT count(*)::int FROM ${sql(PROBE)}) AS rows, (SELECT count(*)::int FROM show_chunks(${PROBE}::regclass)) AS chunks`
    const rows = counts!.rows
    const perRow = (bytes: number) => round(bytes / rows, 1)
    const ingested = await size()
    await sql`REINDEX TABLE ${sql(PROBE)}` // TimescaleDB recurses into the chunks
    const reindexed = await size()
    return {
      rows,
      chunks: counts!.chunks,
      totalBytes: Number(ingested.total_bytes),
      bytesPerReading: perRow(Number(ingested.total_bytes)),
      heapBytesPerReading: perRow(Number(ingested.table_bytes) + Number(ingested.toast_bytes)),
      indexBytesPerReading: perRow(Number(ingested.index_bytes)),
      reindexedIndexBytesPerReading: perRow(Number(reindexed.index_bytes)),
    }
  } finally {
    await dropProbe(sql)
  }
}
