/**
 * Entries of a simulated Nightscout site and the v1 query language over them, following
 * nightscout/cgm-remote-monitor (lib/server/query.js, lib/server/entries.js, lib/api/entries/index.js):
 *  - `find[field][$op]=value`, with `date`, `sgv`, `mbg`, `noise`… parsed by parseInt (so an ISO string
 *    given for `date` never matches a number) and every other field compared as a string;
 *  - no `find[date]` nor `find[dateString]` → only the last 4 days (query.js `deltaAgo`: TWO_DAYS * 2);
 *  - newest first (`sort {date: -1}`), `count` defaults to 10, an invalid count means no limit (count.js);
 *  - writes upsert on sysTime + type (entries.js `upsertQueryFor`), which is how re-sent readings dedupe.
 */
import { createTrace, DAY_MS, hexHash, MINUTE_MS, unitHash, type Trace } from '../realistic-trace.js';

export type NsDirection =
  | 'NONE' | 'TripleUp' | 'DoubleUp' | 'SingleUp' | 'FortyFiveUp' | 'Flat' | 'FortyFiveDown' | 'SingleDown'
  | 'DoubleDown' | 'TripleDown' | 'NOT COMPUTABLE' | 'RATE OUT OF RANGE';

export interface NsEntry {
  _id: string;
  type: string;
  date: number;
  dateString: string;
  sysTime: string;
  utcOffset: number;
  device: string;
  sgv?: number;
  mbg?: number;
  direction?: NsDirection;
  trend?: number;
  delta?: number;
  filtered?: number;
  unfiltered?: number;
  rssi?: number;
  noise?: number;
  [field: string]: unknown;
}

/** Numeric trend codes Nightscout stores beside `direction`. */
const TREND_CODES: Record<NsDirection, number> = {
  NONE: 0, TripleUp: 1, DoubleUp: 1, SingleUp: 2, FortyFiveUp: 3, Flat: 4, FortyFiveDown: 5, SingleDown: 6,
  DoubleDown: 7, TripleDown: 7, 'NOT COMPUTABLE': 8, 'RATE OUT OF RANGE': 9,
};

/** xDrip-style bands in mg/dL per minute. */
export function directionForRate(rate: number): NsDirection {
  if (rate > 3.5) return 'DoubleUp';
  if (rate > 2) return 'SingleUp';
  if (rate > 1) return 'FortyFiveUp';
  if (rate >= -1) return 'Flat';
  if (rate >= -2) return 'FortyFiveDown';
  if (rate >= -3.5) return 'SingleDown';
  return 'DoubleDown';
}

const INT_FIELDS = new Set(['date', 'sgv', 'mbg', 'filtered', 'unfiltered', 'rssi', 'noise']);
const OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte']);
/** query.js: queries without a date constraint only see this far back. */
export const DEFAULT_WINDOW_MS = 4 * DAY_MS;

export interface Condition {
  field: string;
  op: string;
  value: number | string;
}

export type ParsedQuery = { ok: true; conditions: Condition[]; count: number | null } | { ok: false; message: string };

/** Read `find[...]` and `count` from a flat query object (`{"find[date][$gte]": "…"}`). */
export function parseEntriesQuery(query: Record<string, string | string[] | undefined>, type?: string): ParsedQuery {
  const conditions: Condition[] = [];
  for (const [key, raw] of Object.entries(query)) {
    const m = /^find\[([A-Za-z_]\w*)\](?:\[(\$\w+)\])?$/.exec(key);
    if (!m || raw === undefined) continue;
    const field = m[1] as string;
    const op = m[2] ?? '$eq';
    if (!OPERATORS.has(op)) return { ok: false, message: `operator ${op} is not supported on find[${field}]; use $eq, $ne, $gt, $gte, $lt or $lte` };
    for (const text of Array.isArray(raw) ? raw : [raw]) {
      conditions.push({ field, op, value: INT_FIELDS.has(field) ? Number.parseInt(text, 10) : text });
    }
  }
  if (type !== undefined) conditions.push({ field: 'type', op: '$eq', value: type });
  const countText = Array.isArray(query.count) ? query.count[0] : query.count;
  const count = countText === undefined || countText === '' ? 10 : /^\s*\d+\s*$/.test(countText) && Number(countText) > 0 ? Number(countText) : null;
  return { ok: true, conditions, count };
}

function compare(actual: unknown, op: string, expected: number | string): boolean {
  // Like MongoDB, numbers only compare with numbers and strings with strings; NaN (an unparsable int) matches nothing.
  if (typeof expected === 'number' && Number.isNaN(expected)) return false;
  if (op === '$ne') return actual !== expected;
  if (typeof actual !== typeof expected) return false;
  const a = actual as number | string;
  switch (op) {
    case '$eq': return a === expected;
    case '$gt': return a > expected;
    case '$gte': return a >= expected;
    case '$lt': return a < expected;
    case '$lte': return a <= expected;
    default: return false;
  }
}

export interface NsSiteOptions {
  seed: string | number;
  utcOffsetMinutes: number;
  device: string;
  historyDays: number;
  /** Finger-stick (`mbg`) entries a day; real sites mix types, so readers must filter on `type`. */
  mbgPerDay: number;
}

export class NsEntries {
  private readonly trace: Trace;
  private readonly stored = new Map<string, NsEntry | null>();
  private readonly historyStart: number;

  constructor(
    private readonly site: NsSiteOptions,
    private readonly now: () => number,
    private readonly dataDelayMs: () => number,
  ) {
    this.trace = createTrace({ seed: site.seed, utcOffsetMinutes: site.utcOffsetMinutes });
    this.historyStart = now() - site.historyDays * DAY_MS;
  }

  private base(type: string, date: number): NsEntry {
    const iso = new Date(date).toISOString();
    return { _id: hexHash(24, String(this.site.seed), type, date), type, date, dateString: iso, sysTime: iso, utcOffset: this.site.utcOffsetMinutes, device: this.site.device };
  }

  private sgvAt(index: number): NsEntry {
    const p = this.trace.pointAt(index);
    const notComputable = unitHash(String(this.site.seed), 'nc', index) < 0.003;
    const direction = notComputable ? 'NOT COMPUTABLE' : directionForRate(p.rate);
    const delta = Math.round((this.trace.valueAt(p.time) - this.trace.valueAt(p.time - 5 * MINUTE_MS)) * 1000) / 1000;
    const raw = Math.round(p.mgdl * 1000 + (unitHash(String(this.site.seed), 'raw', index) - 0.5) * 4000);
    return { ...this.base('sgv', p.time), sgv: p.mgdl, direction, trend: TREND_CODES[direction], delta, filtered: raw, unfiltered: raw + 352, rssi: 100, noise: 1 };
  }

  /** Generated entries with from <= date <= to (not yet filtered by the query). */
  private generated(from: number, to: number): NsEntry[] {
    const out: NsEntry[] = [];
    const start = Math.max(from, this.historyStart);
    for (let i = this.trace.slotIndexAtOrAfter(start); this.trace.slotTime(i) <= to; i++) {
      if (!this.trace.isGap(i)) out.push(this.sgvAt(i));
    }
    const offset = this.site.utcOffsetMinutes * MINUTE_MS;
    for (let day = Math.floor((start + offset) / DAY_MS); day * DAY_MS - offset <= to; day++) {
      for (let k = 0; k < this.site.mbgPerDay; k++) {
        const time = day * DAY_MS - offset + (7 + (k * 12) / Math.max(1, this.site.mbgPerDay)) * 3_600_000 + Math.floor(unitHash(String(this.site.seed), 'mbg', day, k) * 1800) * 1000;
        if (time < start || time > to) continue;
        const mbg = Math.round(this.trace.valueAt(time) * (0.93 + unitHash(String(this.site.seed), 'mbg-err', day, k) * 0.14));
        out.push({ ...this.base('mbg', time), mbg, device: 'Contour Next One' });
      }
    }
    return out;
  }

  /** Run a parsed query: newest first, at most `count`. */
  find(conditions: Condition[], count: number | null): NsEntry[] {
    const all = [...conditions];
    if (!all.some((c) => c.field === 'date' || c.field === 'dateString')) {
      all.push({ field: 'date', op: '$gte', value: this.now() - DEFAULT_WINDOW_MS });
    }
    // Narrow generation to the date bounds the query states; the exact predicate runs afterwards.
    let from = this.historyStart;
    let to = this.now() - this.dataDelayMs();
    for (const c of all) {
      const t = c.field === 'date' ? c.value : c.field === 'dateString' ? Date.parse(String(c.value)) : Number.NaN;
      if (typeof t !== 'number' || Number.isNaN(t)) continue;
      if (c.op === '$gt' || c.op === '$gte' || c.op === '$eq') from = Math.max(from, t - (c.field === 'dateString' ? DAY_MS : 0));
      if (c.op === '$lt' || c.op === '$lte' || c.op === '$eq') to = Math.min(to, t + (c.field === 'dateString' ? DAY_MS : 0));
    }
    const byKey = new Map<string, NsEntry>();
    for (const e of this.generated(from, to)) byKey.set(`${e.type}|${e.sysTime}`, e);
    for (const [key, e] of this.stored) {
      if (e === null) byKey.delete(key);
      else byKey.set(key, e);
    }
    const matches = [...byKey.values()].filter((e) => all.every((c) => compare(e[c.field], c.op, c.value)));
    matches.sort((a, b) => b.date - a.date);
    return count === null ? matches : matches.slice(0, count);
  }

  /** Upsert like entries.js: normalise dates, key on sysTime + type. */
  upsert(doc: Partial<NsEntry>): NsEntry {
    const date = typeof doc.date === 'number' ? doc.date : doc.dateString ? Date.parse(doc.dateString) : this.now();
    if (Number.isNaN(date)) throw new Error('entry needs a numeric date or a parsable dateString');
    const type = typeof doc.type === 'string' ? doc.type : 'sgv';
    const iso = new Date(date).toISOString();
    const entry: NsEntry = { ...this.base(type, date), ...doc, type, date, dateString: iso, sysTime: iso } as NsEntry;
    this.stored.set(`${type}|${iso}`, entry);
    return entry;
  }

  remove(type: string, date: number): void {
    this.stored.set(`${type}|${new Date(date).toISOString()}`, null);
  }
}
