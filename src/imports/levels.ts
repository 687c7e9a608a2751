// Levels export (shared/reference/PROVIDERS.md, "Levels"): a `Levels,<name>` title line, then
// `Time (UTC),Time (Local),Glucose Reading (mg/dL),Type of Reading`; types `timeseries` (the sensor's 15-min
// series) and `directRead` (a scan). Both are readings. The UTC column is preferred: it needs no zone and is
// exact across DST changes; the local column is the fallback when a row lacks it.
import { columns, glucoseColumn, localInstant, numberCell, wallFromMatch, type ImportFormat } from './format.js'

const UTC = 'Time (UTC)'
const LOCAL = 'Time (Local)'
const TYPE = 'Type of Reading'
const VALUE_PREFIX = 'Glucose Reading'
const TYPES = new Set(['timeseries', 'directRead'])
// 2021-06-20T19:09:59.000Z — an explicit zone is required, or the "UTC" column would silently be local.
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/

export const levels: ImportFormat = {
  name: 'levels',
  label: 'Levels export',
  source: 'LEVELS',
  isHeader: (cells) => cells.includes(UTC) && cells.includes(LOCAL) && glucoseColumn(cells, VALUE_PREFIX) !== undefined,
  rows(header, clock) {
    const col = columns(header, [UTC, LOCAL, TYPE])
    const glucose = glucoseColumn(header, VALUE_PREFIX)!
    const value = header[glucose.index]!
    const [utcFields, localFields] = [{ time: UTC, value }, { time: LOCAL, value }]
    return (cells) => {
      const type = (cells[col[TYPE]] ?? '').trim()
      if (col[TYPE] >= 0 && type !== '' && !TYPES.has(type)) {
        return { kind: 'error', field: TYPE, message: `"${type.slice(0, 20)}" is not a known type; expected timeseries or directRead` }
      }
      const reading = numberCell(cells[glucose.index], value)
      if (typeof reading !== 'number') return reading
      const utc = (cells[col[UTC]] ?? '').trim()
      if (utc !== '') {
        const time = ISO_UTC.test(utc) ? Date.parse(utc) : NaN
        if (Number.isNaN(time)) return { kind: 'error', field: UTC, message: `"${utc.slice(0, 30)}" is not an ISO 8601 time with zone` }
        return { kind: 'reading', time, value: reading, unit: glucose.unit, fields: utcFields }
      }
      const raw = cells[col[LOCAL]] ?? ''
      const m = ISO_LOCAL.exec(raw.trim())
      const time = localInstant(clock, m ? wallFromMatch(m, [1, 2, 3, 4, 5, 6]) : undefined, raw, LOCAL, 'YYYY-MM-DDThh:mm:ss')
      if (typeof time !== 'number') return time
      return { kind: 'reading', time, value: reading, unit: glucose.unit, fields: localFields }
    }
  },
}
