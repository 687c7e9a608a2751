// The one interface every export format implements, and the helpers they share. A format recognises its header
// row by column names (never positions: apps add and reorder columns between versions and locales) and then maps
// each data row on its own, so one bad row never hides the others.
import type { ReadingSource } from '../glucose/trends.js'
import type { GlucoseUnit } from '../glucose/units.js'
import type { LocalClock, WallTime } from './local-time.js'

export type RowResult =
  | {
    kind: 'reading'
    time: number // epoch ms
    value: number // in `unit`
    unit: GlucoseUnit
    trendRate?: number | null // `unit` per minute
    /** The device reported Low/High instead of a number; `value` is the bound it stands for. */
    outOfRange?: 'low' | 'high'
    /** The file's column names, so validation problems name the column the user sees. */
    fields: ReadingFields
  }
  /** A row that is not a glucose reading (events, notes, other record types): counted, not an error. */
  | { kind: 'skip' }
  | { kind: 'error'; field: string; message: string }

export interface ReadingFields {
  time: string
  value: string
  trendRate?: string
}

export type RowMapper = (cells: readonly string[]) => RowResult

export interface ImportFormat {
  name: string // as answered to clients: 'levels', 'libreview', 'clarity', 'nutrisense'
  label: string // for people: 'Levels export'
  source: ReadingSource
  /** Whether this record is this format's header row. */
  isHeader(cells: readonly string[]): boolean
  /** A mapper for the rows under `header`; local times are read with `clock`. */
  rows(header: readonly string[], clock: LocalClock): RowMapper
}

/** Column positions by name; the names must all be present (isHeader checked them). */
export function columns<const N extends string>(header: readonly string[], names: readonly N[]): Record<N, number> {
  return Object.fromEntries(names.map((n) => [n, header.indexOf(n)])) as Record<N, number>
}

/** The glucose column whose name is `prefix` followed by a unit, e.g. `Historic Glucose mg/dL`, `Glucose Value (mmol/L)`. */
export function glucoseColumn(header: readonly string[], prefix: string): { index: number; unit: GlucoseUnit } | undefined {
  for (const [index, name] of header.entries()) {
    if (!name.startsWith(prefix)) continue
    const rest = name.slice(prefix.length).trim().replace(/^\((.*)\)$/, '$1')
    if (rest === 'mg/dL' || rest === 'mmol/L') return { index, unit: rest }
  }
  return undefined
}

const NUMBER = /^-?\d+(\.\d+)?$/

/** A glucose cell as a number, or the row error saying what the cell held. */
export function numberCell(raw: string | undefined, field: string): number | RowResult {
  const text = (raw ?? '').trim()
  if (text === '') return { kind: 'error', field, message: 'is empty; expected a glucose value' }
  // Some locales write a decimal comma (mmol/L "5,4"); the field is quoted in the CSV, so it arrives whole.
  const normal = text.replace(',', '.')
  if (!NUMBER.test(normal)) return { kind: 'error', field, message: `"${text.slice(0, 20)}" is not a number` }
  return Number(normal)
}

/** A local wall time converted with the user's zone, or the row error. `expected` describes the layout. */
export function localInstant(clock: LocalClock, wall: WallTime | undefined, raw: string, field: string, expected: string): number | RowResult {
  const instant = wall && clock.toInstant(wall)
  if (instant === undefined) {
    const shown = raw.trim() === '' ? 'is empty' : `"${raw.trim().slice(0, 30)}" is not a date-time`
    return { kind: 'error', field, message: `${shown}; expected ${expected} (local time)` }
  }
  return instant
}

/** A wall time from regex groups numbered in the order year, month, day, hour, minute, second (absent → 0). */
export function wallFromMatch(m: RegExpExecArray, order: readonly [number, number, number, number, number, number]): WallTime {
  const [year, month, day, hour, minute, second] = order.map((g) => Number(m[g] ?? 0)) as [number, number, number, number, number, number]
  return { year, month, day, hour, minute, second }
}
