// (a) Raw COPY: the physical limit for getting readings into the hypertable from Node. Each round is one COPY
// statement streaming its batches as 10,000-line text chunks through postgres.js' writable, with pipeline()
// honouring backpressure. Chunking matters: a per-row stream measured about half this speed
// (shared/reference/TIMESCALEDB.md).
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Sql } from '../../src/db/connect.js'
import { copyText, type SyntheticReading } from '../lib/readings.js'
import type { IngestPath } from '../lib/rounds.js'
import { timed } from '../lib/timing.js'
import { createUsers } from '../lib/users.js'
import type { Workload } from '../lib/workload.js'

/** One COPY statement; `chunks` may be lazy (a generator): pipeline pulls the next only when the socket drains. */
export async function copyChunks(sql: Sql, chunks: Iterable<string>, table = 'glucose_readings'): Promise<void> {
  const writable = await sql`COPY ${sql(table)} (time, user_id, source, value, trend, trend_rate) FROM STDIN`.writable()
  await pipeline(Readable.from(chunks), writable)
}

export async function prepareCopy(
  sql: Sql,
  workload: Workload,
  userIds: readonly string[],
  warmup: { userId: string; batch: SyntheticReading[] },
): Promise<IngestPath & { formatMs: number }> {
  await createUsers(sql, [...userIds, warmup.userId])
  await copyChunks(sql, [copyText(warmup.batch, warmup.userId)])
  // Formatting happens before the clock starts (the HTTP bodies are pre-serialized too); its cost is reported.
  const formatted = await timed(async () => workload.batches.map((batch, i) => copyText(batch, userIds[i]!)))
  return {
    name: 'copy',
    formatMs: Math.round(formatted.ms),
    run: (batches) => copyChunks(sql, batches.map((i) => formatted.value[i]!)),
  }
}
