// Writes validated readings for one user and source. Idempotent: the unique (user_id, time, source) index turns a
// re-sent reading into a no-op, and a revised one (same instant, new value: Dexcom revises EGVs) into an update.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { transaction, type Sql, type Tx } from '../db/connect.js'
import { countStoredReadings } from '../metrics/registry.js'
import { MAX_MG_DL, MIN_MG_DL } from './limits.js'
import { TRENDS, type ReadingSource } from './trends.js'
import type { ReadingRow } from './validate-readings.js'

export interface StoreResult {
  inserted: number
  updated: number
  unchanged: number
}

/**
 * New data (a first upload, a backfill, the next hour of a sync) overlaps nothing stored: one index probe shows it,
 * and it goes in by COPY, PostgreSQL's fastest path. Anything that may overlap takes the upsert, and so do small
 * batches (a sync's next 5 minutes, one upload): for them the probe, the transaction and the user lock would cost
 * more round trips than COPY saves, so they are one upsert statement.
 *
 * COPY must not fail: postgres.js 3.4 never settles a failed COPY and leaks its connection (porsager/postgres#1173).
 * So nothing it writes can conflict: writers of one user's series take turns on an advisory lock (across processes),
 * the probe runs under that lock, the user row is key-share locked (a concurrent account deletion cannot break the
 * foreign key mid-COPY), and every value was checked against the table's constraints by validateReadings. The
 * small-batch upsert takes the same series lock, so it never slips between a probe and its COPY.
 */
export async function storeReadings(sql: Sql, userId: string, source: ReadingSource, rows: ReadingRow[]): Promise<StoreResult> {
  const stored = await writeReadings(sql, userId, source, rows)
  countStoredReadings(source, stored) // after the commit: a rolled-back write is not counted
  return stored
}

async function writeReadings(sql: Sql, userId: string, source: ReadingSource, rows: ReadingRow[]): Promise<StoreResult> {
  const unique = lastPerInstant(rows)
  if (unique.length === 0) return { inserted: 0, updated: 0, unchanged: rows.length }
  if (unique.length <= SMALL_BATCH) {
    // One statement, its own transaction: the lock is the scalar subquery's, taken before the first row is written.
    const { inserted, updated } = await upsertReadings(sql, userId, source, unique, true)
    return { inserted, updated, unchanged: rows.length - inserted - updated }
  }
  const copyable = unique.every(fitsConstraints)
  return transaction(sql, async (tx) => {
    // Pipelined, one round trip: the server runs them in the order sent, so the probe runs (and takes its snapshot)
    // only once the lock is granted. The order is the order of execute() (postgres.js queries are otherwise lazy,
    // sent when first awaited): the probe must never overtake the lock, or two requests both see no overlap and
    // both COPY (found by test/routes/readings.test.ts, concurrent identical batches).
    const lock = tx`SELECT pg_advisory_xact_lock(hashtextextended(${seriesLockKey(userId, source)}, 0))`.execute()
    const user = tx`SELECT 1 FROM users WHERE id = ${userId} FOR KEY SHARE`.execute()
    const probe = copyable ? storedBetween(tx, userId, source, unique).execute() : undefined
    const [, [exists], found] = await Promise.all([lock, user, probe])
    if (!exists) throw new Error(`user ${userId} does not exist`)
    if (found && found.length === 0) {
      await copyReadings(tx, userId, source, unique)
      return { inserted: unique.length, updated: 0, unchanged: rows.length - unique.length }
    }
    const { inserted, updated } = await upsertReadings(tx, userId, source, unique, false)
    return { inserted, updated, unchanged: rows.length - inserted - updated }
  })
}

// Up to this many readings go in by one upsert statement without a probe (see storeReadings): a 5-minute sync, a
// CGM app's upload. A 24 h upload (288) or a backfill window takes the COPY path when it is new.
const SMALL_BATCH = 100

const seriesLockKey = (userId: string, source: ReadingSource) => `glucose_readings:${userId}:${source}`

// The table's CHECK constraints, re-checked here so a caller's slip is an ordinary error (upsert), never a COPY error;
// so is what the COPY text needs (a valid time, a string id), as its lines are formatted while the COPY runs.
function fitsConstraints(r: ReadingRow): boolean {
  return Number.isFinite(r.time.getTime()) && (r.recordId === null || typeof r.recordId === 'string') &&
    Number.isInteger(r.valueMgDl) && r.valueMgDl >= MIN_MG_DL && r.valueMgDl <= MAX_MG_DL &&
    (r.trendRate === null || Number.isFinite(r.trendRate)) && (r.trend === null || TRENDS.includes(r.trend))
}

/** The probe: any stored reading of the series within the rows' span (one row or none). Not yet sent. */
function storedBetween(sql: Tx, userId: string, source: ReadingSource, rows: ReadingRow[]) {
  let min = Infinity
  let max = -Infinity
  for (const r of rows) {
    const ms = r.time.getTime()
    if (ms < min) min = ms
    if (ms > max) max = ms
  }
  return sql`
    SELECT 1 FROM glucose_readings
    WHERE user_id = ${userId} AND source = ${source}::reading_source AND time BETWEEN ${new Date(min)} AND ${new Date(max)}
    LIMIT 1`
}

async function copyReadings(sql: Tx, userId: string, source: ReadingSource, rows: ReadingRow[]): Promise<void> {
  const writable = await sql`
    COPY glucose_readings (time, user_id, source, value, trend, trend_rate, source_record_id) FROM STDIN`.writable()
  await pipeline(Readable.from(copyChunks(userId, source, rows)), writable)
}

// COPY text in Buffers of this many lines, made as the socket takes them: the server parses the first while the
// rest are formatted, and no 1 MB string is built and flattened (one string per batch measured ~10x slower).
const COPY_CHUNK_LINES = 1000

function* copyChunks(userId: string, source: ReadingSource, rows: ReadingRow[]): Generator<Buffer> {
  const times = new IsoSeconds()
  let text = ''
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!
    text += `${times.format(r.time)}\t${userId}\t${source}\t${r.valueMgDl}\t${r.trend ?? '\\N'}\t${r.trendRate ?? '\\N'}\t${r.recordId === null ? '\\N' : copyEscape(r.recordId)}\n`
    if ((i + 1) % COPY_CHUNK_LINES === 0 || i === rows.length - 1) {
      yield Buffer.from(text)
      text = ''
    }
  }
}

const DAY_MS = 86_400_000
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'))

/**
 * ISO 8601 UTC times for COPY, as Date#toISOString writes them but ~10x cheaper: a batch spans few days, so the
 * date part is formatted once per day and the time of day from a table. Stored readings are whole seconds; any
 * other time goes through toISOString.
 */
class IsoSeconds {
  private day = Number.NaN
  private prefix = ''

  format(time: Date): string {
    const ms = time.getTime()
    if (ms % 1000 !== 0) return time.toISOString()
    const day = Math.floor(ms / DAY_MS)
    if (day !== this.day) {
      this.day = day
      const midnight = new Date(day * DAY_MS).toISOString()
      this.prefix = midnight.slice(0, midnight.indexOf('T') + 1) // "YYYY-MM-DDT" (or "+YYYYYY-MM-DDT")
    }
    const second = (ms - day * DAY_MS) / 1000
    return `${this.prefix}${TWO_DIGITS[Math.floor(second / 3600)]}:${TWO_DIGITS[Math.floor(second / 60) % 60]}:${TWO_DIGITS[second % 60]}.000Z`
  }
}

// COPY text format: backslash, tab, newline and carriage return inside a value must be escaped (client-sent ids).
function copyEscape(text: string): string {
  return text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
}

/**
 * The rows travel as five arrays unnested server-side: one statement, and ON CONFLICT, which COPY lacks. `lock`:
 * take the series lock in the statement itself (an uncorrelated subquery runs once, before any row is inserted),
 * for a caller outside a transaction that holds it already.
 */
async function upsertReadings(sql: Sql | Tx, userId: string, source: ReadingSource, rows: ReadingRow[], lock: boolean) {
  const [counts] = await sql<{ inserted: number; updated: number }[]>`
    WITH upserted AS (
      INSERT INTO glucose_readings AS g (time, user_id, source, value, trend, trend_rate, source_record_id)
      SELECT t.time, ${userId}::uuid, ${source}::reading_source, t.value, t.trend, t.trend_rate, t.record_id
      FROM unnest(${rows.map((r) => r.time.toISOString())}::timestamptz[], ${rows.map((r) => r.valueMgDl)}::smallint[],
                  ${rows.map((r) => r.trend)}::text[]::glucose_trend[], ${rows.map((r) => r.trendRate)}::real[],
                  ${rows.map((r) => r.recordId)}::text[]) AS t(time, value, trend, trend_rate, record_id)
      ${lock ? sql`WHERE (SELECT true FROM pg_advisory_xact_lock(hashtextextended(${seriesLockKey(userId, source)}, 0)))` : sql``}
      ON CONFLICT (user_id, time, source) DO UPDATE
        SET value = EXCLUDED.value, trend = EXCLUDED.trend, trend_rate = EXCLUDED.trend_rate,
            source_record_id = EXCLUDED.source_record_id, ingested_at = now()
        -- an identical re-send changes nothing (no dead tuple, no write amplification)
        WHERE (g.value, g.trend, g.trend_rate, g.source_record_id)
              IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.trend, EXCLUDED.trend_rate, EXCLUDED.source_record_id)
      RETURNING (xmax = 0) AS inserted -- xmax is 0 only for a freshly inserted tuple
    )
    SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
    FROM upserted`
  return { inserted: counts?.inserted ?? 0, updated: counts?.updated ?? 0 }
}

// Two items for the same second in one batch would make ON CONFLICT touch a row twice (an error) and COPY violate
// the unique index: the later wins, as it would had they come in two requests.
function lastPerInstant(rows: ReadingRow[]): ReadingRow[] {
  // Clients upload oldest first: strictly ascending times have no duplicate, and checking that is cheaper than a Map.
  let ascending = true
  for (let i = 1; i < rows.length && ascending; i++) ascending = rows[i - 1]!.time.getTime() < rows[i]!.time.getTime()
  if (ascending) return rows
  const byTime = new Map<number, ReadingRow>()
  for (const row of rows) byTime.set(row.time.getTime(), row)
  return byTime.size === rows.length ? rows : [...byTime.values()]
}

/**
 * The span of `readings` whose store changed something (null when it changed nothing): for what recomputes around
 * a commit (the analysis job) and tells about it (the live `reading` event).
 */
export function changedSpan(
  userId: string, readings: ReadonlyArray<{ time: Date }>, stored: Pick<StoreResult, 'inserted' | 'updated'>,
): { userId: string; from: Date; to: Date } | null {
  if (stored.inserted + stored.updated === 0 || readings.length === 0) return null
  let from = Infinity
  let to = -Infinity
  for (const r of readings) {
    from = Math.min(from, r.time.getTime())
    to = Math.max(to, r.time.getTime())
  }
  return { userId, from: new Date(from), to: new Date(to) }
}
