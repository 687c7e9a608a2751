// Alert thresholds and the hysteresis that turns readings into episodes. Pure functions: src/live/alerts.ts applies
// them to stored readings. Informational only — this service is not a medical device and must not be relied on for
// treatment decisions (said in the API docs too).

export type AlertKind = 'urgent_low' | 'low' | 'high' | 'rising_fast' | 'falling_fast'
export const ALERT_KINDS: readonly AlertKind[] = ['urgent_low', 'low', 'high', 'rising_fast', 'falling_fast']

/** mg/dL (rate: mg/dL/min); null turns an alert off. */
export interface AlertSettings {
  urgentLow: number | null
  low: number | null
  high: number | null
  rate: number | null
}

/**
 * Defaults, from the Dexcom G6/G7 default alert settings (Dexcom G7 User Guide, "Alerts": Urgent Low 55 mg/dL,
 * Low 70 mg/dL, High 250 mg/dL, Rise/Fall rate 3 mg/dL/min) and the international consensus on CGM targets
 * (Battelino et al., Diabetes Care 2019;42:1593–1603: level 1 hypoglycemia < 70, level 2 < 54, level 2
 * hyperglycemia > 250 mg/dL).
 */
export const DEFAULT_ALERT_SETTINGS: AlertSettings = { urgentLow: 55, low: 70, high: 250, rate: 3 }

/** An episode ends only once glucose is back past its threshold by this much (no alert flapping around 70). */
export const RECOVERY_MARGIN_MG_DL = 10
/** The same for rate alerts: a rise of 3 mg/dL/min ends below 2. */
export const RECOVERY_MARGIN_RATE = 1
/** An open episode with no reading for this long is over: the next reading past the threshold is a new episode. */
export const EPISODE_GAP_MS = 30 * 60_000
/** Readings older than this when they arrive (backfills, imports, a phone catching up) are not alerted on. */
export const ALERT_MAX_AGE_MS = 30 * 60_000

export interface AlertReading {
  time: Date
  value: number
  trendRate: number | null
}

export function thresholdOf(settings: AlertSettings, kind: AlertKind): number | null {
  switch (kind) {
    case 'urgent_low': return settings.urgentLow
    case 'low': return settings.low
    case 'high': return settings.high
    case 'rising_fast': case 'falling_fast': return settings.rate
  }
}

/** Whether the reading is past the threshold: opens an episode, or keeps one open. */
export function isPast(kind: AlertKind, threshold: number, r: AlertReading): boolean {
  switch (kind) {
    case 'urgent_low': case 'low': return r.value < threshold
    case 'high': return r.value > threshold
    case 'rising_fast': return r.trendRate !== null && r.trendRate >= threshold
    case 'falling_fast': return r.trendRate !== null && r.trendRate <= -threshold
  }
}

/** Whether the reading ends an open episode: back past the threshold by the margin (a reading without a rate cannot). */
export function hasRecovered(kind: AlertKind, threshold: number, r: AlertReading): boolean {
  switch (kind) {
    case 'urgent_low': case 'low': return r.value >= threshold + RECOVERY_MARGIN_MG_DL
    case 'high': return r.value <= threshold - RECOVERY_MARGIN_MG_DL
    case 'rising_fast': return r.trendRate !== null && r.trendRate < threshold - RECOVERY_MARGIN_RATE
    case 'falling_fast': return r.trendRate !== null && r.trendRate > -(threshold - RECOVERY_MARGIN_RATE)
  }
}

/** Problems with a settings update, by field (empty when fine). */
export function settingsProblems(s: AlertSettings): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = []
  if (s.urgentLow !== null && s.low !== null && s.urgentLow >= s.low) problems.push({ field: 'urgentLow', message: 'must be below low' })
  if (s.low !== null && s.high !== null && s.low >= s.high) problems.push({ field: 'low', message: 'must be below high' })
  if (s.urgentLow !== null && s.high !== null && s.urgentLow >= s.high) problems.push({ field: 'urgentLow', message: 'must be below high' })
  return problems
}
