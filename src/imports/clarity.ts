// Dexcom Clarity CSV export (shared/reference/PROVIDERS.md, "LibreView and Dexcom Clarity CSV exports"): header
// `Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,…,Glucose Value (mg/dL),…,Glucose Rate of Change (mg/dL/min),…`
// (mmol/L and mmol/L/min in mmol locales). The first rows are device, sensor, alert and patient-info rows, mostly
// without timestamps: only `EGV` rows are readings, the rest are skipped. Timestamps are local time without zone.
//
// `Low` / `High` mean below 40 / above 400 mg/dL, the CGM's reporting range. The schema has no flag column, so
// they are stored as the bound (40 / 400 mg/dL) — the value the Dexcom API itself reports for such readings —
// and counted in the import result (outOfRange), so a client knows how many stored values are bounds, not
// measurements. Dropping them would bias time-below/above-range statistics towards normal.
import { columns, glucoseColumn, localInstant, numberCell, wallFromMatch, type ImportFormat } from './format.js'

const EVENT_TYPE = 'Event Type'
const TIMESTAMP_PREFIX = 'Timestamp'
const VALUE_PREFIX = 'Glucose Value'
const RATE_PREFIX = 'Glucose Rate of Change'
const EGV = 'EGV'
const LOW_MG_DL = 40
const HIGH_MG_DL = 400
// 2024-01-31T08:05:00; a space instead of the T and missing seconds are accepted (spreadsheet re-saves do that).
const STAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/

export const clarity: ImportFormat = {
  name: 'clarity',
  label: 'Dexcom Clarity export',
  source: 'DEXCOM',
  isHeader: (cells) => cells.includes(EVENT_TYPE) && timestampIndex(cells) >= 0 && glucoseColumn(cells, VALUE_PREFIX) !== undefined,
  rows(header, clock) {
    const col = columns(header, [EVENT_TYPE])
    const timestamp = timestampIndex(header)
    const glucose = glucoseColumn(header, VALUE_PREFIX)!
    const rateIndex = header.findIndex((name) => name.startsWith(RATE_PREFIX))
    const fields = { time: header[timestamp]!, value: header[glucose.index]!, ...(rateIndex >= 0 && { trendRate: header[rateIndex]! }) }
    return (cells) => {
      if ((cells[col[EVENT_TYPE]] ?? '').trim() !== EGV) return { kind: 'skip' }
      const raw = cells[timestamp] ?? ''
      const m = STAMP.exec(raw.trim())
      const time = localInstant(clock, m ? wallFromMatch(m, [1, 2, 3, 4, 5, 6]) : undefined, raw, header[timestamp]!, 'YYYY-MM-DDThh:mm:ss')
      if (typeof time !== 'number') return time

      const text = (cells[glucose.index] ?? '').trim().toLowerCase()
      if (text === 'low') return { kind: 'reading', time, value: LOW_MG_DL, unit: 'mg/dL', outOfRange: 'low', fields }
      if (text === 'high') return { kind: 'reading', time, value: HIGH_MG_DL, unit: 'mg/dL', outOfRange: 'high', fields }
      const value = numberCell(cells[glucose.index], header[glucose.index]!)
      if (typeof value !== 'number') return value
      // The rate is optional context: a blank or unreadable one leaves the reading without a rate, not rejected.
      const rateText = rateIndex >= 0 ? (cells[rateIndex] ?? '').trim() : ''
      const rate = rateText === '' ? NaN : Number(rateText.replace(',', '.'))
      return { kind: 'reading', time, value, unit: glucose.unit, trendRate: Number.isFinite(rate) ? rate : null, fields }
    }
  },
}

function timestampIndex(header: readonly string[]): number {
  return header.findIndex((name) => name.startsWith(TIMESTAMP_PREFIX))
}
