// Imports one CGM export file for one user, streaming: records are parsed as bytes arrive and stored in batches,
// so memory holds one batch, never the file. Re-uploading is safe: storeReadings' unique (user, time, source)
// index turns rows already stored into no-ops. A bad row is reported (line, column, reason) and the others are
// stored; only an unrecognised format, an oversized upload or an unknown zone refuse the whole file.
import { parse, type CsvError } from 'csv-parse'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Db } from '../db/connect.js'
import { storeReadings } from '../glucose/store-readings.js'
import { readingsCommitted } from '../live/readings-committed.js'
import { validateReadings, type ReadingRow } from '../glucose/validate-readings.js'
import { getUserSettings } from '../users/users.js'
import { clarity } from './clarity.js'
import { countBytes } from './count-bytes.js'
import { ImportError } from './errors.js'
import type { ImportFormat, RowMapper, RowResult } from './format.js'
import { levels } from './levels.js'
import { libreview } from './libreview.js'
import { LocalClock } from './local-time.js'
import { nutrisense } from './nutrisense.js'

export const FORMATS: readonly ImportFormat[] = [levels, libreview, clarity, nutrisense]

// LibreView's header is on line 3 at the latest (title, patient line); a few more lines leave room for variants.
const HEADER_SEARCH_RECORDS = 6
// A few thousand rows per statement: near COPY speed per row (see store-readings.ts), small enough to hold.
const DEFAULT_BATCH = 5_000
const MAX_REPORTED_ERRORS = 100

export interface RowError {
  line: number
  field: string
  message: string
}

export interface ImportResult {
  format: string
  timezone: string
  rows: number // data rows under the header: readings + skipped + rows with errors
  inserted: number
  updated: number
  unchanged: number
  skipped: number
  /** Rows at an instant an earlier row of the file already had (LibreView: a scan in the same minute as a
   *  historic reading); the first is kept. */
  duplicates: number
  outOfRange: { low: number; high: number }
  errors: RowError[]
  errorCount: number
}

export interface ImportOptions {
  userId: string
  /** IANA zone for local timestamps; the user's own (users.timezone) when absent. */
  timezone?: string | undefined
  batchSize?: number
  /** Refuse the upload (ImportError 'too_large') once it exceeds this many bytes. */
  maxBytes?: number
  /** Called with the bytes read so far (the CLI's progress bar). */
  onBytes?: (total: number) => void
}

/** The one entry point for the route and the CLI. */
export async function importCsv(db: Db, input: Readable, options: ImportOptions): Promise<ImportResult> {
  const timezone = options.timezone ?? (await getUserSettings(db.kysely, options.userId))?.timezone ?? 'UTC'
  let clock: LocalClock
  try {
    clock = new LocalClock(timezone)
  } catch (error) {
    throw new ImportError('bad_timezone', (error as Error).message)
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH
  const result: ImportResult = {
    format: '', timezone, rows: 0, inserted: 0, updated: 0, unchanged: 0, skipped: 0, duplicates: 0,
    outOfRange: { low: 0, high: 0 }, errors: [], errorCount: 0,
  }
  const report = (line: number, field: string, message: string) => {
    result.errorCount++
    if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push({ line, field, message })
  }
  let format: ImportFormat | undefined
  let mapRow: RowMapper | undefined
  const preamble: string[][] = [] // records before the header: only for the "unrecognised" message
  let batch: ReadingRow[] = []
  // Instants already taken by this file. First wins, whatever the batch: "last wins" (storeReadings' rule within
  // a batch) would let a re-upload flip a value when the two rows fall in different batches (LibreView patient
  // reports list all historic rows, then all scans). A number per reading, not the rows: ~1 MB for 90 days.
  const seen = new Set<number>()
  const flush = async () => {
    if (batch.length === 0) return
    const stored = await storeReadings(db.sql, options.userId, format!.source, batch)
    // One live event per committed batch (src/live/readings-committed.ts), not one per reading.
    await readingsCommitted(db.sql, { userId: options.userId, source: format!.source, readings: batch, stored })
    result.inserted += stored.inserted
    result.updated += stored.updated
    result.unchanged += stored.unchanged
    batch = []
  }

  // Records the CSV layer cannot read (an unclosed quote…) are reported with their line, not fatal.
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true, skip_records_with_error: true })
  parser.on('skip', (error: CsvError & { lines?: number }) => {
    if (mapRow) {
      result.rows++
      report(error.lines ?? 0, '', `unreadable CSV: ${error.message}`)
    }
  })

  await pipeline(input, countBytes({ max: options.maxBytes, onBytes: options.onBytes }), parser, async (records: AsyncIterable<{ record: string[]; info: { lines: number } }>) => {
    for await (const { record, info } of records) {
      if (!mapRow) {
        format = FORMATS.find((f) => f.isHeader(record))
        if (format) mapRow = format.rows(record, clock)
        else if (preamble.push(record) >= HEADER_SEARCH_RECORDS) throw unrecognised(preamble)
        continue
      }
      result.rows++
      const row = mapRow(record)
      if (row.kind === 'skip') result.skipped++
      else if (row.kind === 'error') report(startLine(record, info.lines), row.field, row.message)
      else {
        const checked = check(row)
        if ('field' in checked) report(startLine(record, info.lines), checked.field, checked.message)
        else if (seen.has(checked.time.getTime())) result.duplicates++
        else {
          seen.add(checked.time.getTime())
          batch.push(checked)
          if (row.outOfRange) result.outOfRange[row.outOfRange]++
        }
        if (batch.length >= batchSize) await flush()
      }
    }
  })
  if (!format) throw unrecognised(preamble)
  await flush()
  result.format = format.name
  return result
}

/** A mapped reading checked with the same rules as the JSON ingest API: the stored row, or the first problem. */
function check(row: Extract<RowResult, { kind: 'reading' }>): ReadingRow | { field: string; message: string } {
  const { valid, problems } = validateReadings([{ time: row.time, value: row.value, trendRate: row.trendRate ?? null }], row.unit)
  const problem = problems[0]
  if (!problem) return valid[0]!
  return { field: row.fields[problem.field as keyof typeof row.fields] ?? problem.field, message: problem.message }
}

// csv-parse reports the line a record ends on; a quoted field with line breaks began that many lines earlier.
function startLine(record: readonly string[], endLine: number): number {
  return endLine - record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0)
}

/** What the client sees for a file no format claims: the supported formats and the file's shape, not its data. */
function unrecognised(preamble: string[][]): ImportError {
  const supported = FORMATS.map((f) => f.label).join(', ')
  if (preamble.length === 0) return new ImportError('unrecognised_format', `the file is empty; supported formats: ${supported}`)
  // Only the first line is quoted (it is the header in most CSVs); later lines may hold names and readings, so
  // only their column counts are shown.
  const first = preamble[0]!.join(',').slice(0, 200)
  const counts = preamble.slice(1).map((r) => r.length).join(', ')
  return new ImportError(
    'unrecognised_format',
    `unrecognised file: no header of a supported format (${supported}) in its first ${preamble.length} lines. ` +
      `First line: "${first}"${counts ? `; the next lines have ${counts} columns` : ''}. Upload the CSV exactly as the app exported it.`,
  )
}
