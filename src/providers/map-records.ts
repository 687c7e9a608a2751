// What every provider mapper checks before a record may become a stored reading, and the loop that maps one
// provider answer into readings plus skip counts. One place, so a bound changed in src/glucose/limits.ts holds
// for every provider alike.
import { EARLIEST_READING, MAX_CLOCK_SKEW_MS, MAX_MG_DL, MIN_MG_DL } from '../glucose/limits.js'
import type { ReadingRow } from '../glucose/validate-readings.js'
import type { Mapped } from './provider.js'

/** Why a reading's instant cannot be stored, or undefined when it can. */
export function timeProblem(time: Date, now: number, field: string): string | undefined {
  // A device clock set by hand, or an epoch in the wrong unit: storing it would put data on the wrong day.
  if (time.getTime() > now + MAX_CLOCK_SKEW_MS || time < EARLIEST_READING) return `${field} out of range`
  return undefined
}

/** Why a mg/dL value cannot be stored (outside what meters report: a unit mistake or corruption), or undefined. */
export function valueProblem(mgDl: number): string | undefined {
  return mgDl < MIN_MG_DL || mgDl > MAX_MG_DL ? `value outside ${MIN_MG_DL}–${MAX_MG_DL} mg/dL` : undefined
}

/** Maps every record; those that fail are counted by reason, never stored. */
export function mapRecords(records: readonly unknown[], map: (record: unknown) => Mapped<ReadingRow>): { readings: ReadingRow[]; skipped: Record<string, number> } {
  const readings: ReadingRow[] = []
  const skipped: Record<string, number> = {}
  for (const record of records) {
    const mapped = map(record)
    if (mapped.ok) readings.push(mapped.value)
    else skipped[mapped.reason] = (skipped[mapped.reason] ?? 0) + 1
  }
  return { readings, skipped }
}
