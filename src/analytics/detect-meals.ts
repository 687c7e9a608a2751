// Meal detection: glucose rises that look like a meal, found on the user's one series (sql/detect-meals.sql does
// the window-function work: series choice, smoothing, rates, look-ahead rises) and walked here. Storing and
// reconciling the events is src/analytics/detected-meals.ts.
import { readFile } from 'node:fs/promises'
import type { Sql } from '../db/connect.js'
import { storeDetectedMeals, type ReconcileCounts } from './detected-meals.js'

/**
 * Every detection parameter, in one place. The structure follows GRID, the Glucose Rate Increase Detector
 * (Harvey et al., J Diabetes Sci Technol 2014;8(2):307-320, as implemented in cgmguru::grid): a meal is flagged
 * when the rate of change stays above a threshold for 2 of the last 3 CGM intervals, after the signal is filtered.
 * GRID was tuned for type 1 diabetes (rate ≥ 90–95 mg/dL/h and glucose ≥ 130 mg/dL); this service also serves
 * people without diabetes, whose meal rises start near 90 mg/dL and climb more slowly, so the 130 mg/dL floor is
 * dropped and the rate is lowered to 60 mg/dL/h, and the amplitude rule (≥ 30 mg/dL within 60 min) is
 * required on top. Onset, peak and the excursion rule are this module's own choices, explained per line.
 */
export const DETECTION = {
  /** Centred moving average ±10 min (5 readings at 5-minute sampling): damps sensor noise before rates are taken. */
  smoothHalfWidthMin: 10,
  /** A step longer than this is a gap: no rate across it (GRID's own default gap is 15 min). */
  maxStepMin: 15,
  /** GRID-style trigger: smoothed rate ≥ 1.0 mg/dL/min (60 mg/dL/h) on at least 2 of 3 consecutive steps. */
  triggerRateMgDlMin: 1.0,
  triggerSteps: 3,
  triggerHits: 2,
  /** Onset: walk back from the trigger while glucose still rises faster than this (the trough where it began)… */
  onsetRateMgDlMin: 0.2,
  /** …but not further back than this from the trigger. */
  maxOnsetLookbackMin: 60,
  /** The amplitude rule: the smoothed level must climb ≥ 30 mg/dL within 60 min of the onset. */
  riseWindowMin: 60,
  minRiseMgDl: 30,
  /** Peak: highest smoothed value after the onset, searched until glucose falls for 2 steps, at most 3 h. */
  peakSearchMin: 180,
  /**
   * The peak must also stand ≥ 20 mg/dL above the mean of the 2 h before the onset. A recovery from a low or from
   * exercise climbs fast but only back to where glucose was; a meal climbs above it.
   */
  levelLookbackMin: 120,
  minExcursionMgDl: 20,
  /**
   * A rise that starts below 70 mg/dL (hypoglycaemia, level 1: Battelino et al., Diabetes Care 2019;42:1593-1603)
   * is counter-regulation or a treated low, which the user knows about: not a meal to ask about.
   */
  minOnsetMgDl: 70,
  /**
   * A logged meal eaten in [onset − 60 min, onset + 30 min] explains a rise: glucose starts climbing 5–15 min
   * after eating starts, meals are logged imprecisely, and a long meal may be logged at its start. The same
   * window matches detections to known meals when precision and recall are measured.
   */
  explainBeforeMin: 60,
  explainAfterMin: 30,
  /** Two detections whose onsets are within 30 min are the same event (re-detection updates, never duplicates). */
  sameEventMin: 30,
} as const

export interface SeriesPoint {
  time: Date
  source: string
  g: number
  s: number
  rate: number | null
  riseAhead: number
  levelBefore: number
}

export interface DetectedRise {
  onsetAt: Date
  peakAt: Date
  onsetMgDl: number
  peakMgDl: number
  riseMgDl: number
  maxRateMgDlMin: number
  /** A ranking heuristic in [0, 1], not a calibrated probability: see `confidence` below. */
  confidence: number
  source: string
}

const minutes = (a: Date, b: Date) => (b.getTime() - a.getTime()) / 60_000
const clamp01 = (x: number) => Math.min(1, Math.max(0, x))

/**
 * Confidence: how far the rise clears each threshold, scaled by how complete the data are. 0.5 at the thresholds,
 * 1 for a rise twice the minimum at twice the trigger rate with no missing readings; halved when half of the
 * expected 5-minute readings between onset and peak are missing (the shape is then partly interpolated).
 */
function confidence(rise: number, maxRate: number, coverage: number): number {
  const d = DETECTION
  return clamp01(coverage) * (0.5 + 0.25 * clamp01((rise - d.minRiseMgDl) / d.minRiseMgDl)
    + 0.25 * clamp01((maxRate - d.triggerRateMgDlMin) / d.triggerRateMgDlMin))
}

function triggered(points: SeriesPoint[], i: number): boolean {
  const d = DETECTION
  if (i < d.triggerSteps) return false
  let hits = 0
  for (let k = i - d.triggerSteps + 1; k <= i; k++) {
    const rate = points[k]!.rate
    if (rate === null) return false // a gap inside the trigger window: no sustained rate can be claimed
    if (rate >= d.triggerRateMgDlMin) hits++
  }
  return hits >= d.triggerHits
}

/** Meal-like rises in one series (oldest first, as sql/detect-meals.sql returns it). Pure: tested on its own. */
export function findRises(points: SeriesPoint[]): DetectedRise[] {
  const d = DETECTION
  const found: DetectedRise[] = []
  let floor = 0 // an onset never reaches back before the previous event's peak
  for (let i = 0; i < points.length; i++) {
    if (!triggered(points, i)) continue
    const at = points[i]!.time
    let onset = i
    while (onset > floor && (points[onset]!.rate ?? -Infinity) > d.onsetRateMgDlMin
      && minutes(points[onset - 1]!.time, at) <= d.maxOnsetLookbackMin) onset--
    let peak = onset
    let end = onset
    for (let j = onset + 1; j < points.length && minutes(points[onset]!.time, points[j]!.time) <= d.peakSearchMin; j++) {
      const rate = points[j]!.rate
      if (rate === null) break // a gap ends the search: what lies beyond it is not this rise
      end = j
      if (points[j]!.s > points[peak]!.s) peak = j
      if (j > i && rate <= 0 && (points[j - 1]!.rate ?? 0) <= 0) break // falling for two steps: past the peak
    }
    const o = points[onset]!
    const p = points[peak]!
    if (o.riseAhead >= d.minRiseMgDl && p.s - o.levelBefore >= d.minExcursionMgDl && o.s >= d.minOnsetMgDl) {
      let maxRate = 0
      for (let k = onset + 1; k <= peak; k++) maxRate = Math.max(maxRate, points[k]!.rate ?? 0)
      const expected = Math.max(1, minutes(o.time, p.time) / 5 + 1)
      found.push({
        // A centred average starts climbing half a window before the readings do: the onset is moved back by it.
        onsetAt: new Date(o.time.getTime() + d.smoothHalfWidthMin * 60_000), peakAt: p.time, onsetMgDl: o.s, peakMgDl: p.s, riseMgDl: p.s - o.s, maxRateMgDlMin: maxRate,
        confidence: confidence(o.riseAhead, maxRate, (peak - onset + 1) / expected), source: o.source,
      })
    }
    // Continue after this rise: its later readings would re-trigger on the same climb.
    floor = Math.max(peak, i)
    i = Math.max(end, i)
  }
  return found
}

const QUERY_FILE = new URL('../../sql/detect-meals.sql', import.meta.url)
let queryText: Promise<string> | undefined
const query = () => (queryText ??= readFile(QUERY_FILE, 'utf8'))

/** The smoothed series of `userId` in [from, to), as findRises reads it. */
export async function loadSeries(sql: Sql, userId: string, from: Date, to: Date): Promise<SeriesPoint[]> {
  const d = DETECTION
  // sql.unsafe only because the text comes from our own file; every value travels as a bind parameter.
  const rows = await sql.unsafe(await query(), [
    userId, from, to, `${d.smoothHalfWidthMin} minutes`, `${d.riseWindowMin} minutes`, `${d.levelLookbackMin} minutes`,
    d.maxStepMin,
  ] as never[], { prepare: true }) // parsed once per connection: the sync engine runs it after every sync
  return rows.map((r) => ({
    time: r.time as Date, source: r.source as string, g: Number(r.g), s: Number(r.s),
    rate: r.rate === null ? null : Number(r.rate), riseAhead: Number(r.rise_ahead), levelBefore: Number(r.level_before),
  }))
}

/**
 * Detects meal-like rises with onsets in [from, to) and reconciles them with what is stored (see
 * storeDetectedMeals): safe to re-run over any span, e.g. by the sync engine after new readings land. Reads
 * context around the span (the pre-onset level before it, the rise and peak after it) so an event near an edge
 * is judged on the same data as one in the middle.
 */
export async function detectMeals(sql: Sql, userId: string, from: Date, to: Date): Promise<ReconcileCounts & { detected: number }> {
  const d = DETECTION
  const before = (d.levelLookbackMin + d.maxOnsetLookbackMin + d.smoothHalfWidthMin) * 60_000
  const after = (d.peakSearchMin + d.smoothHalfWidthMin) * 60_000
  const series = await loadSeries(sql, userId, new Date(from.getTime() - before), new Date(to.getTime() + after))
  const rises = findRises(series).filter((r) => r.onsetAt >= from && r.onsetAt < to)
  return { detected: rises.length, ...(await storeDetectedMeals(sql, userId, from, to, rises)) }
}
