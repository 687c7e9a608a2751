// Canonical trend names: Dexcom API v3 `trend` values (shared/reference/PROVIDERS.md). Providers map onto these.
export const TRENDS = [
  'doubleUp', 'singleUp', 'fortyFiveUp', 'flat', 'fortyFiveDown', 'singleDown', 'doubleDown',
  'none', 'notComputable', 'rateOutOfRange',
] as const
export type Trend = (typeof TRENDS)[number]

export const READING_SOURCES = ['DEXCOM', 'LIBRE', 'LEVELS', 'NIGHTSCOUT', 'MANUAL', 'IMPORT'] as const
// Written only by the Nightscout-compatible upload API (migrations/0014), so not a choice of the bearer ingest.
export type ReadingSource = (typeof READING_SOURCES)[number] | 'NIGHTSCOUT_UPLOAD'
