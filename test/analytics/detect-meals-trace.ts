// Simulated days with known meal times, for measuring meal detection. Built on src/simulators/realistic-trace.ts
// (meals with per-day jitter in time and size, an optional afternoon snack, dawn phenomenon, overnight dip,
// occasional lows, slow physiological drift, reading jitter) with what a detector must also survive added on top:
// - exercise: on 40 % of days a 25–55 mg/dL drop over 30–45 min and a 60–90 min recovery, late afternoon or morning
//   (the recovery is a fast rise that is not a meal);
// - correlated sensor noise: AR(1), stationary SD 3 mg/dL, ρ = 0.7 per 5-minute reading;
// - sensor gaps: 2 % of readings lost at random, and on 20 % of days one 30–120 min signal loss.
import { createTrace, unitHash, DAY_MS, MINUTE_MS } from '../../src/simulators/realistic-trace.js'

export interface SimulatedTrace {
  readings: Array<{ time: string; value: number }>
  /** Known meal times (epoch ms) and carbohydrate, ground truth for precision and recall. */
  meals: Array<{ time: number; carbs: number; kind: string }>
}

const gauss = (seed: string, ...parts: Array<string | number>) => {
  // Box–Muller from two seeded uniforms: deterministic, so every run measures the same days.
  const u = Math.max(unitHash(seed, 'g1', ...parts), 1e-12)
  const v = unitHash(seed, 'g2', ...parts)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/** `days` simulated days starting at `start` (UTC midnight), local time = UTC. */
export function simulateDays(seed: string, start: number, days: number, options: { driftMgdl?: number } = {}): SimulatedTrace {
  const trace = createTrace({ seed, gapRate: 0.02, ...(options.driftMgdl !== undefined && { driftMgdl: options.driftMgdl }) })
  const end = start + days * DAY_MS
  const exercise = (time: number): number => {
    const day = Math.floor(time / DAY_MS)
    let drop = 0
    for (const d of [day - 1, day]) {
      if (unitHash(seed, 'exercise', d) >= 0.4) continue
      const morning = unitHash(seed, 'exercise-when', d) < 0.3
      const begin = d * DAY_MS + ((morning ? 9.5 : 17.5) + unitHash(seed, 'exercise-hour', d)) * 3_600_000
      const depth = 25 + 30 * unitHash(seed, 'exercise-depth', d)
      const fall = (30 + 15 * unitHash(seed, 'exercise-fall', d)) * MINUTE_MS
      const recover = (60 + 30 * unitHash(seed, 'exercise-recover', d)) * MINUTE_MS
      const x = time - begin
      if (x > 0 && x <= fall) drop += depth * (1 - Math.cos((Math.PI * x) / fall)) / 2
      else if (x > fall && x < fall + recover) drop += depth * (1 + Math.cos((Math.PI * (x - fall)) / recover)) / 2
    }
    return drop
  }
  const lost = (time: number): boolean => {
    const day = Math.floor(time / DAY_MS)
    if (unitHash(seed, 'loss', day) >= 0.2) return false
    const begin = day * DAY_MS + unitHash(seed, 'loss-hour', day) * DAY_MS
    return time >= begin && time < begin + (30 + 90 * unitHash(seed, 'loss-length', day)) * MINUTE_MS
  }
  const readings: SimulatedTrace['readings'] = []
  let noise = 0
  const rho = 0.7
  for (let i = trace.slotIndexAtOrAfter(start); trace.slotTime(i) < end; i++) {
    const time = trace.slotTime(i)
    noise = rho * noise + Math.sqrt(1 - rho * rho) * 3 * gauss(seed, 'noise', i)
    if (trace.isGap(i) || lost(time)) continue
    const value = Math.round(Math.min(400, Math.max(40, trace.pointAt(i).mgdl - exercise(time) + noise)))
    readings.push({ time: new Date(time).toISOString(), value })
  }
  return { readings, meals: trace.meals(start, end - 1).map((m) => ({ time: m.time, carbs: m.carbs, kind: m.kind })) }
}

/**
 * Precision and recall of detected onsets against known meal times, one-to-one: a detection is a true positive
 * when an unmatched known meal lies in [onset − before, onset + after] (the same window that lets a logged meal
 * explain a rise, DETECTION.explainBeforeMin/AfterMin), the nearest one first.
 */
export function score(onsets: number[], meals: number[], beforeMin: number, afterMin: number) {
  const free = new Set(meals)
  let tp = 0
  for (const onset of [...onsets].sort((a, b) => a - b)) {
    let best: number | undefined
    for (const m of free) {
      if (m < onset - beforeMin * MINUTE_MS || m > onset + afterMin * MINUTE_MS) continue
      if (best === undefined || Math.abs(m - onset) < Math.abs(best - onset)) best = m
    }
    if (best !== undefined) {
      free.delete(best)
      tp++
    }
  }
  return { tp, detected: onsets.length, meals: meals.length, precision: onsets.length ? tp / onsets.length : 1, recall: meals.length ? tp / meals.length : 1 }
}
