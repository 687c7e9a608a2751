// GET /api/v1/me/export: all of a user's data (src/privacy/export-sections.ts) as one JSON document or one CSV file,
// produced while it is sent. Memory stays bounded whatever the size: each section is read through a cursor,
// CURSOR_BATCH rows at a time, and each batch is encoded and handed to the response stream, whose backpressure
// (the consumer pulls the next chunk when the socket has drained) pauses the cursor while a slow client reads.
//
// Consistency: every section is read in one REPEATABLE READ READ ONLY transaction on one reserved connection, so
// the export is one snapshot (a meal and its items, a webhook and its deliveries agree) even while syncs write.
import type { Sql } from '../db/connect.js'
import { SECTIONS, type Section } from './export-sections.js'

export type ExportFormat = 'json' | 'csv'
export const EXPORT_FORMAT_VERSION = 'glucose-service-export/1'
const CURSOR_BATCH = 1000

interface Encoder {
  start(exportedAt: string): string
  sectionStart(section: Section): string
  /** `columns` is known even for an empty section (from the query's description). */
  rows(section: Section, rows: readonly Record<string, unknown>[], columns: string[], offset: number): string
  sectionEnd(section: Section, rows: number, columns: string[]): string
  end(counts: Record<string, number>): string
}

/**
 * The export as string chunks, in order. Holds a pooled connection until it finishes or is abandoned (a client that
 * disconnects: the stream destroys the generator, and `finally` rolls back and releases it).
 */
export async function* exportUserData(sql: Sql, userId: string, format: ExportFormat): AsyncGenerator<string> {
  const conn = await sql.reserve()
  let committed = false
  try {
    await conn`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
    const [clock] = await conn<{ now: Date }[]>`SELECT now()`
    const encoder = format === 'json' ? jsonEncoder() : csvEncoder()
    yield encoder.start(clock!.now.toISOString())
    const counts: Record<string, number> = {}
    for (const section of SECTIONS) {
      yield encoder.sectionStart(section)
      let rows = 0
      let columns: string[] = []
      for await (const batch of section.query(conn, userId).cursor(CURSOR_BATCH)) {
        if (rows === 0) columns = (batch as unknown as { columns: { name: string }[] }).columns.map((c) => c.name)
        yield encoder.rows(section, batch, columns, rows)
        rows += batch.length
      }
      if (rows === 0 && format === 'csv') columns = (await section.query(conn, userId).describe()).columns.map((c) => c.name)
      yield encoder.sectionEnd(section, rows, columns)
      counts[section.name] = rows
    }
    await conn`COMMIT`
    committed = true
    yield encoder.end(counts)
  } finally {
    if (!committed) await conn`ROLLBACK`.catch(() => {})
    conn.release()
  }
}

/**
 * JSON: {"format", "exportedAt", one key per section in SECTIONS order ("user", ..., "readings"), "counts"}.
 * A `one` section is an object or null, a `many` section an array of objects. A document cut short (the
 * connection dropped mid-export) does not parse, so a partial export cannot pass for a whole one.
 */
function jsonEncoder(): Encoder {
  return {
    start: (exportedAt) => `{"format":${JSON.stringify(EXPORT_FORMAT_VERSION)},"exportedAt":${JSON.stringify(exportedAt)}`,
    sectionStart: (section) => `,${JSON.stringify(section.name)}:${section.shape === 'many' ? '[' : ''}`,
    rows: (section, rows, _columns, offset) => {
      if (section.shape === 'one') return JSON.stringify(rows[0])
      let out = ''
      for (const [i, row] of rows.entries()) out += (offset + i === 0 ? '\n' : ',\n') + JSON.stringify(row)
      return out
    },
    sectionEnd: (section, rows) => (section.shape === 'many' ? ']' : rows === 0 ? 'null' : ''),
    end: (counts) => `,"counts":${JSON.stringify(counts)}}\n`,
  }
}

/**
 * CSV (RFC 4180 quoting, CRLF line ends): one file, the sections one after the other. The first column names the
 * section: a section starts with a header row `section,<its columns>` and each of its rows starts with the
 * section's name (`readings,2026-01-01T00:00:00.000Z,112,...`), so `grep '^readings,'` or a filter on the first
 * column gives one table. Lists and objects (a webhook's event types, an event payload) are JSON in their cell;
 * null is an empty cell. Last comes a `counts` section: one row per section with its row count.
 */
function csvEncoder(): Encoder {
  return {
    start: (exportedAt) => `section,format,exportedAt\r\nexport,${EXPORT_FORMAT_VERSION},${exportedAt}\r\n`,
    sectionStart: () => '',
    rows: (section, rows, columns, offset) => {
      let out = offset === 0 ? csvLine(['section', ...columns]) : ''
      for (const row of rows) out += csvLine([section.name, ...columns.map((c) => row[c])])
      return out
    },
    sectionEnd: (section, rows, columns) => (rows === 0 ? csvLine(['section', ...columns]) : ''),
    end: (counts) => csvLine(['section', 'name', 'rows']) + Object.entries(counts).map(([name, n]) => csvLine(['counts', name, n])).join(''),
  }
}

function csvLine(values: unknown[]): string {
  return values.map(csvCell).join(',') + '\r\n'
}

/**
 * One RFC 4180 cell. Text a person typed (a meal's name, notes) that starts with = + - @ or a tab/CR would run as a
 * formula when the file is opened in a spreadsheet (CSV injection, OWASP): such text gets a leading apostrophe,
 * which spreadsheets show as text and hide. Numbers, dates and JSON cells are never altered; the JSON export keeps
 * every value exactly as stored.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  let text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}
