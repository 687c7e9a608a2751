// POST /api/v1/entries: what uploaders send, checked entry by entry and stored as NIGHTSCOUT_UPLOAD readings.
//
// Payload shapes (cited in test/nightscout-upload/payloads.ts): xDrip+ sends sgv, mbg and cal entries in one array,
// with `date` in ms, `dateString`/`sysTime` in local time with an offset, `filtered`/`unfiltered`/`noise`/`rssi`;
// Juggluco the same fields in batches of up to 10,440 entries; nightscout-librelink-up sgv entries where only the
// newest has a `direction`; Dexcom bridges a numeric `trend` beside `direction`; Loop/Trio an `_id`.
//
// Bad entries never fail the request. Uploaders treat any non-200 as "not uploaded" and send the same batch again:
// xDrip+ keeps it queued and retries every cycle, Juggluco re-sends from the same position every 15 minutes. One
// permanently bad entry would then block everything behind it, forever, while real Nightscout (which stores
// whatever it gets) answers 200. So the valid entries are stored, the answer is 200 with them (Nightscout answers
// with what it stored), and the rejected ones are reported with index, field and message in the
// `x-rejected-entries` headers and in the site's last-upload report (GET /api/v1/me/nightscout-upload).
import type { Sql } from '../db/connect.js'
import { EARLIEST_READING, MAX_CLOCK_SKEW_MS, MAX_MG_DL, MIN_MG_DL } from '../glucose/limits.js'
import { storeReadings, type StoreResult } from '../glucose/store-readings.js'
import { ISO_WITH_ZONE, type ItemProblem, type ReadingRow } from '../glucose/validate-readings.js'
import { DEFAULT_DEVICE, entryTrend, toNightscoutEntry, type NightscoutEntry } from './nightscout-entry.js'

export const UPLOAD_SOURCE = 'NIGHTSCOUT_UPLOAD' as const
// Kept in the site's report: enough to see what is wrong, bounded so a bad batch cannot bloat the row.
const MAX_REPORTED_PROBLEMS = 20

export interface UploadSummary extends StoreResult {
  at: string
  received: number
  /** Entries of other types (mbg, cal…), accepted and not stored: counts by type. */
  ignored: Record<string, number>
  rejected: number
  problems: ItemProblem[]
}

export interface UploadResult {
  summary: UploadSummary
  entries: NightscoutEntry[]
  device: string | null
}

/** A body as Nightscout reads it: an array of entries, or one entry object. */
export function entriesOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body
  if (typeof body === 'object' && body !== null) return [body]
  return []
}

export async function uploadEntries(sql: Sql, userId: string, items: readonly unknown[], now = Date.now()): Promise<UploadResult> {
  const rows: ReadingRow[] = []
  const problems: ItemProblem[] = []
  const ignored: Record<string, number> = {}
  let device: string | null = null
  let newest = -Infinity
  items.forEach((item, index) => {
    const fail = (field: string, message: string) => problems.push({ index, field, message })
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail('', 'must be an entry object with type, sgv and date')
    const e = item as Record<string, unknown>
    // Without a type, an entry carrying sgv is one (Nightscout's readers assume sgv too).
    const type = e.type ?? (e.sgv !== undefined ? 'sgv' : undefined)
    if (type !== 'sgv') {
      const name = typeof type === 'string' ? type.slice(0, 20) : '(none)'
      ignored[name] = (ignored[name] ?? 0) + 1
      return
    }
    const time = entryTime(e, now)
    const value = sgvValue(e.sgv)
    if (typeof time === 'string') fail(e.date !== undefined ? 'date' : 'dateString', time)
    if (typeof value === 'string') fail('sgv', value)
    if (typeof time === 'string' || typeof value === 'string') return
    const recordId = typeof e._id === 'string' && e._id.length > 0 && e._id.length <= 200 ? e._id : null
    rows.push({ time, valueMgDl: value, trend: entryTrend(e.direction, e.trend), trendRate: null, recordId })
    if (time.getTime() > newest && typeof e.device === 'string' && e.device.length > 0) {
      newest = time.getTime()
      device = e.device.slice(0, 100)
    }
  })
  const stored = rows.length > 0 ? await storeReadings(sql, userId, UPLOAD_SOURCE, rows) : { inserted: 0, updated: 0, unchanged: 0 }
  const summary: UploadSummary = {
    at: new Date(now).toISOString(),
    received: items.length,
    ...stored,
    ignored,
    rejected: new Set(problems.map((p) => p.index)).size,
    problems: problems.slice(0, MAX_REPORTED_PROBLEMS),
  }
  return { summary, entries: rows.map((r) => toNightscoutEntry(r.time, r.valueMgDl, r.trend, device ?? DEFAULT_DEVICE)), device }
}

/**
 * `date` (epoch ms) is what Nightscout sorts and filters on, so it decides; `dateString` (or `sysTime`), ISO 8601
 * with an offset, stands in when `date` is missing. Whole seconds, like every stored reading.
 */
function entryTime(e: Record<string, unknown>, now: number): Date | string {
  let ms: number
  const date = typeof e.date === 'string' && /^\d+$/.test(e.date) ? Number(e.date) : e.date
  if (date !== undefined) {
    if (typeof date !== 'number' || !Number.isFinite(date)) return `${JSON.stringify(date)?.slice(0, 40)} is not a number of epoch milliseconds`
    if (date > 0 && date < 1e11) return `${date} looks like seconds since the epoch; Nightscout dates are milliseconds`
    ms = date
  } else {
    const text = typeof e.dateString === 'string' ? e.dateString : typeof e.sysTime === 'string' ? e.sysTime : undefined
    if (text === undefined) return 'is missing: give date (epoch milliseconds) or dateString (ISO 8601 with an offset)'
    if (!ISO_WITH_ZONE.test(text)) return `"${text.slice(0, 40)}" is not an ISO 8601 date-time with an offset (e.g. 2025-02-06T09:12:35+01:00)`
    ms = Date.parse(text)
    if (!Number.isFinite(ms)) return `"${text.slice(0, 40)}" is not a valid date`
  }
  const time = new Date(Math.floor(ms / 1000) * 1000)
  if (ms > now + MAX_CLOCK_SKEW_MS) return `${time.toISOString()} is in the future; check the uploading phone's clock and time zone`
  if (time < EARLIEST_READING) return `${time.toISOString()} is before ${EARLIEST_READING.toISOString()}`
  return time
}

function sgvValue(raw: unknown): number | string {
  const sgv = typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw
  if (typeof sgv !== 'number' || !Number.isFinite(sgv)) return `${JSON.stringify(sgv)?.slice(0, 40) ?? 'missing'}: must be a number in mg/dL`
  const mgDl = Math.round(sgv)
  if (mgDl < MIN_MG_DL) {
    return !Number.isInteger(sgv) && sgv < 35
      ? `${sgv} looks like mmol/L; Nightscout sgv values are mg/dL`
      : `${sgv} is below ${MIN_MG_DL} mg/dL: CGM status codes (Dexcom sends 1-12) are not glucose values`
  }
  if (mgDl > MAX_MG_DL) return `${sgv} is above ${MAX_MG_DL} mg/dL, the highest value meters and CGMs report`
  return mgDl
}
