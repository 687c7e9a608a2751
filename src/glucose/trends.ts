// Canonical trend names: Dexcom API v3 `trend` values (shared/reference/PROVIDERS.md). Providers map onto these.
export const TRENDS = [
  'doubleUp', 'singleUp', 'fortyFiveUp', 'flat', 'fortyFiveDown', 'singleDown', 'doubleDown',
  'none', 'notComputable', 'rateOutOfRange',
] as const
export type Trend = (typeof TRENDS)[number]

export const READING_SOURCES = ['DEXCOM', 'LIBRE', 'LEVELS', 'NIGHTSCOUT', 'MANUAL', 'IMPORT'] as const
export type ReadingSource = (typeof READING_SOURCES)[number]
