// LibreView CSV export (shared/reference/PROVIDERS.md, "LibreView and Dexcom Clarity CSV exports"): one or two
// title lines (`Glucose Data,Generated on,…` or `Patient report,…` plus a name/birth-date line), then a header with
// `Device Timestamp` (`MM-DD-YYYY hh:mm AM/PM`, local, no zone), `Record Type` and the glucose columns in mg/dL or
// mmol/L. Record Type 0 is the sensor's 15-minute history, 1 a scan; 2, 5, 6 (strips, notes, food, insulin…) are
// not sensor readings and are skipped. Strip (fingerstick) values stay out: they are a different measurement.
import { columns, glucoseColumn, localInstant, numberCell, wallFromMatch, type ImportFormat } from './format.js'

const TIMESTAMP = 'Device Timestamp'
const RECORD_TYPE = 'Record Type'
const HISTORIC = 'Historic Glucose'
const SCAN = 'Scan Glucose'
// 05-30-2021 04:59 PM; seconds and the AM/PM marker optional (24-hour clocks in some locales).
const STAMP = /^(\d{1,2})-(\d{1,2})-(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AP]M))?$/i
const EXPECTED = 'MM-DD-YYYY hh:mm AM/PM'

export const libreview: ImportFormat = {
  name: 'libreview',
  label: 'LibreView glucose export',
  source: 'LIBRE',
  isHeader: (cells) => cells.includes(TIMESTAMP) && cells.includes(RECORD_TYPE) && glucoseColumn(cells, HISTORIC) !== undefined,
  rows(header, clock) {
    const col = columns(header, [TIMESTAMP, RECORD_TYPE])
    const byType = new Map([[0, glucoseColumn(header, HISTORIC)], [1, glucoseColumn(header, SCAN)]])
    return (cells) => {
      const type = (cells[col[RECORD_TYPE]] ?? '').trim()
      if (!/^\d+$/.test(type)) return { kind: 'error', field: RECORD_TYPE, message: `"${type.slice(0, 10)}" is not a record type number` }
      if (!byType.has(Number(type))) return { kind: 'skip' }
      const glucose = byType.get(Number(type))
      if (!glucose) return { kind: 'error', field: SCAN, message: 'record type 1 (scan) but the file has no Scan Glucose column' }
      const value = numberCell(cells[glucose.index], header[glucose.index]!)
      if (typeof value !== 'number') return value
      const raw = cells[col[TIMESTAMP]] ?? ''
      const time = localInstant(clock, wall(raw), raw, TIMESTAMP, EXPECTED)
      if (typeof time !== 'number') return time
      return { kind: 'reading', time, value, unit: glucose.unit, fields: { time: TIMESTAMP, value: header[glucose.index]! } }
    }
  },
}

function wall(raw: string) {
  const m = STAMP.exec(raw.trim())
  if (!m) return undefined
  const w = wallFromMatch(m, [3, 1, 2, 4, 5, 6])
  const meridiem = m[7]?.toUpperCase()
  if (meridiem) {
    if (w.hour < 1 || w.hour > 12) return undefined // "13:00 PM" is a corrupted stamp, not a time
    w.hour = (w.hour % 12) + (meridiem === 'PM' ? 12 : 0)
  }
  return w
}
