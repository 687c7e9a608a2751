// GET /api/v1/entries: Nightscout's v1 query language over the site's readings, newest first. Follows
// cgm-remote-monitor (lib/server/query.js, lib/api/entries/index.js; also src/simulators/nightscout/entries.ts):
// `count` (default 10), `find[field][$op]=value`, and without any date condition only the last 4 days.
import type { Sql } from '../db/connect.js'
import type { Trend } from '../glucose/trends.js'
import { toNightscoutEntry, type NightscoutEntry } from './nightscout-entry.js'
import { UPLOAD_SOURCE } from './upload-entries.js'

export const DEFAULT_COUNT = 10
// Nightscout has no ceiling; ours bounds one answer (35 days of 5-minute readings). Larger counts are clamped.
export const MAX_COUNT = 10_000
// query.js: a query without find[date] or find[dateString] only looks 4 days back (TWO_DAYS * 2).
export const DEFAULT_WINDOW_MS = 4 * 86_400_000

const OPERATORS = { $eq: '=', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const
type Operator = keyof typeof OPERATORS
const FIELDS = ['date', 'dateString', 'sgv', 'type'] as const

interface Condition {
  column: 'time' | 'value'
  op: Operator
  value: Date | number
}

export type EntriesQuery = { ok: true; count: number; conditions: Condition[]; none: boolean } | { ok: false; message: string }

/** Reads `count` and `find[...]` from the flat query object Fastify gives (`{"find[date][$gte]": "…"}`). */
export function parseEntriesQuery(query: Record<string, unknown>, now = Date.now()): EntriesQuery {
  const conditions: Condition[] = []
  let none = false // a condition no stored reading can meet (find[type]=mbg): answer [] without a query
  for (const [key, raw] of Object.entries(query)) {
    const m = /^find\[([A-Za-z_]\w*)\](?:\[(\$\w+)\])?$/.exec(key)
    if (!m) continue
    const [, field, op = '$eq'] = m as unknown as [string, string, string | undefined]
    if (!(FIELDS as readonly string[]).includes(field)) return { ok: false, message: `find[${field}] is not supported; filter on ${FIELDS.join(', ')}` }
    if (!Object.hasOwn(OPERATORS, op)) return { ok: false, message: `find[${field}][${op}]: operator not supported; use ${Object.keys(OPERATORS).join(', ')}` }
    for (const text of Array.isArray(raw) ? raw : [raw]) {
      if (typeof text !== 'string') continue
      const where = `find[${field}][${op}]`
      if (field === 'type') {
        if (op !== '$eq') return { ok: false, message: `${where}: type only takes $eq` }
        if (text !== 'sgv') none = true
        continue
      }
      if (field === 'sgv') {
        if (!/^\d+$/.test(text)) return { ok: false, message: `${where}: "${text.slice(0, 40)}" is not a whole number of mg/dL` }
        conditions.push({ column: 'value', op: op as Operator, value: Number(text) })
        continue
      }
      const ms = field === 'date' ? dateValue(text) : dateStringValue(text)
      if (ms === undefined) return { ok: false, message: `${where}: "${text.slice(0, 40)}" is not ${field === 'date' ? 'epoch milliseconds' : 'an ISO 8601 date'}` }
      conditions.push({ column: 'time', op: op as Operator, value: new Date(ms) })
    }
  }
  if (!conditions.some((c) => c.column === 'time')) conditions.push({ column: 'time', op: '$gte', value: new Date(now - DEFAULT_WINDOW_MS) })
  const countText = Array.isArray(query.count) ? query.count[0] : query.count
  let count = DEFAULT_COUNT
  if (countText !== undefined && countText !== '') {
    if (typeof countText !== 'string' || !/^\d+$/.test(countText) || Number(countText) === 0) return { ok: false, message: `count must be a positive whole number; got "${String(countText).slice(0, 20)}"` }
    count = Math.min(Number(countText), MAX_COUNT)
  }
  return { ok: true, count, conditions, none }
}

// Nightscout parses find[date] with parseInt; an ISO date there is accepted too (clients mix the two up).
function dateValue(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text)
  return dateStringValue(text)
}

// Nightscout compares dateString as text against UTC ISO strings, so a value without an offset means UTC here.
function dateStringValue(text: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text)
  if (!m) return undefined
  const ms = Date.parse(m[5] ? text : `${m[1]}${m[2] ?? 'T00:00:00'}Z`)
  return Number.isFinite(ms) ? ms : undefined
}

export async function readEntries(sql: Sql, userId: string, query: Extract<EntriesQuery, { ok: true }>, device: string): Promise<NightscoutEntry[]> {
  if (query.none) return []
  // Operators and columns come from the allow-lists above, never from the request, hence sql.unsafe for them.
  const where = query.conditions.reduce(
    (acc, c) => sql`${acc} AND ${sql.unsafe(c.column)} ${sql.unsafe(OPERATORS[c.op])} ${c.value}`,
    sql`user_id = ${userId} AND source = ${UPLOAD_SOURCE}::reading_source`,
  )
  const rows = await sql<{ time: Date; value: number; trend: Trend | null }[]>`
    SELECT time, value, trend FROM glucose_readings WHERE ${where} ORDER BY time DESC LIMIT ${query.count}`
  return rows.map((r) => toNightscoutEntry(r.time, r.value, r.trend, device))
}
