// What a stored reading may be. The same bounds are a CHECK constraint in migrations/0003_glucose_readings.sql.

// 20–600 mg/dL is the widest range blood glucose meters and CGMs report as numbers (below and above they show
// LO/HI; Dexcom CGMs stop at 40/400). Anything outside is a unit mistake or a corrupted value, not physiology.
export const MIN_MG_DL = 20
export const MAX_MG_DL = 600

// Device clocks drift and phones sync late: a reading up to 10 minutes ahead of the server clock is accepted.
export const MAX_CLOCK_SKEW_MS = 10 * 60 * 1000
// No CGM data predates 2000 (the first CGM was approved in 1999): an older time is a parsing or epoch-unit mistake.
export const EARLIEST_READING = new Date('2000-01-01T00:00:00Z')
