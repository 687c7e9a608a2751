// Nutrisense export (shared/reference/PROVIDERS.md, "Nutrisense"): a `Nutrisense,<name>` title line, then
// `class,value,time,…,occurred_at,…`. Only `GlucoseMeasurement` rows are CGM readings; meals, notes, steps and
// `BloodGlucoseMeasurement` (fingersticks: another measurement) are skipped. `occurred_at` is local time without
// zone, `M/D/YY H:MM`. Stored as source IMPORT: the schema's reading_source has no Nutrisense member, and the
// sensor (a Libre) may also arrive through LibreLinkUp, whose series must stay apart (one source per series).
import { columns, localInstant, numberCell, wallFromMatch, type ImportFormat } from './format.js'

const CLASS = 'class'
const VALUE = 'value'
const OCCURRED = 'occurred_at'
const FIELDS = { time: OCCURRED, value: VALUE }
const GLUCOSE_CLASS = 'GlucoseMeasurement'
// 7/30/21 6:00 — two-digit years are 20YY (no CGM data predates 2000); seconds optional.
const STAMP = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/

export const nutrisense: ImportFormat = {
  name: 'nutrisense',
  label: 'Nutrisense export',
  source: 'IMPORT',
  isHeader: (cells) => cells.includes(CLASS) && cells.includes(VALUE) && cells.includes(OCCURRED),
  rows(header, clock) {
    const col = columns(header, [CLASS, VALUE, OCCURRED])
    return (cells) => {
      if ((cells[col[CLASS]] ?? '').trim() !== GLUCOSE_CLASS) return { kind: 'skip' }
      const value = numberCell(cells[col[VALUE]], VALUE)
      if (typeof value !== 'number') return value
      const raw = cells[col[OCCURRED]] ?? ''
      const m = STAMP.exec(raw.trim())
      const wall = m ? wallFromMatch(m, [3, 1, 2, 4, 5, 6]) : undefined
      if (wall && wall.year < 100) wall.year += 2000
      const time = localInstant(clock, wall, raw, OCCURRED, 'M/D/YY H:MM')
      if (typeof time !== 'number') return time
      return { kind: 'reading', time, value, unit: 'mg/dL', fields: FIELDS }
    }
  },
}
