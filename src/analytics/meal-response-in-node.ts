// The definitions of sql/meal-response.sql restated plainly in TypeScript, for one meal from its readings: the
// "pull the readings and compute in Node" side of the bench (bench/sections/meal-responses.ts) and an independent
// check of the SQL on a real trace (test/analytics/meal-response-hall.test.ts). Not used by the service: the SQL is
// the definition; this must agree with it (the Hall test and the bench both check that it does).
export interface WindowReading { source: string; t: number; g: number } // minutes from t0, mg/dL

export interface NodeResponse {
  source: string
  baseline: number
  fallback: boolean
  peak: number
  timeToPeak: number
  back: number | null
  iauc2h: number
  iauc3h: number
  coveragePct: number
  largestGap: number | null
  score: number
  flags: string[]
}

// The parameters of sql/meal-response.sql's `p`, same names.
const P = { baselineMin: 30, reachMin: 60, responseMin: 180, iaucShortMin: 120, stepMin: 5, maxGapMin: 20, riseCap: 100, iaucCap: 6000, returnCap: 180 }

/**
 * The one series rule: most readings in the window, ties by `priority`, which callers read from the database's
 * series_source_priority() (migrations/0012, 0024), the one definition of it.
 */
function chooseSource(readings: WindowReading[], priority: readonly string[]): string | undefined {
  const counts = new Map<string, number>()
  for (const r of readings) counts.set(r.source, (counts.get(r.source) ?? 0) + 1)
  return [...counts].sort((a, b) => b[1] - a[1] || priority.indexOf(a[0]) - priority.indexOf(b[0]))[0]?.[0]
}

/** Area above `baseline` of the segment a→b clipped to [lo, hi], exact (trapezoid, or the triangle above a crossing). */
function segmentArea(ta: number, ga: number, tb: number, gb: number, lo: number, hi: number, baseline: number): number {
  const x0 = Math.max(ta, lo)
  const x1 = Math.min(tb, hi)
  if (x1 <= x0) return 0
  const at = (x: number) => ga + ((gb - ga) * (x - ta)) / (tb - ta) - baseline
  const da = at(x0)
  const db = at(x1)
  if (da >= 0 && db >= 0) return ((da + db) / 2) * (x1 - x0)
  if (da <= 0 && db <= 0) return 0
  return ((Math.max(da, 0) ** 2 + Math.max(db, 0) ** 2) / (Math.abs(da) + Math.abs(db))) * (x1 - x0) / 2
}

/** The response of one meal from every reading (all sources) in [t0 − 60 min, t0 + 4 h], or undefined for none. */
export function responseInNode(window: WindowReading[], priority: readonly string[]): NodeResponse | undefined {
  const source = chooseSource(window, priority)
  if (source === undefined) return undefined
  const pts = window.filter((r) => r.source === source).sort((a, b) => a.t - b.t)
  const inBase = pts.filter((p) => p.t >= -P.baselineMin && p.t <= 0)
  const fallbackPoint = pts.filter((p) => p.t < -P.baselineMin).at(-1)
  const baseline = inBase.length ? inBase.reduce((s, p) => s + p.g, 0) / inBase.length : fallbackPoint?.g
  if (baseline === undefined) return undefined
  let peakPoint: WindowReading | undefined
  for (const p of pts) if (p.t > 0 && p.t <= P.responseMin && (!peakPoint || p.g > peakPoint.g)) peakPoint = p
  if (!peakPoint) return undefined
  const spanStart = inBase.length ? inBase[0]!.t : fallbackPoint!.t
  let iauc2h = 0
  let iauc3h = 0
  let back: number | null = null
  let largestGap: number | null = null
  for (let i = 0; i + 1 < pts.length; i++) {
    const [a, b] = [pts[i]!, pts[i + 1]!]
    iauc2h += segmentArea(a.t, a.g, b.t, b.g, 0, P.iaucShortMin, baseline)
    iauc3h += segmentArea(a.t, a.g, b.t, b.g, 0, P.responseMin, baseline)
    if (b.t > spanStart && a.t < P.responseMin) largestGap = Math.max(largestGap ?? 0, b.t - a.t)
    if (back === null && peakPoint.g > baseline && b.t > peakPoint.t && b.g <= baseline && a.g > baseline) {
      back = a.t + ((b.t - a.t) * (a.g - baseline)) / (a.g - b.g)
    }
  }
  const slots = new Set(pts.filter((p) => p.t >= -P.baselineMin && p.t < P.responseMin).map((p) => Math.floor((p.t + P.baselineMin) / P.stepMin)))
  const last = pts.at(-1)!.t
  const rise = peakPoint.g - baseline
  const r = peakPoint.g <= baseline ? 0 : back !== null && back <= P.returnCap ? back / P.returnCap : 1
  const score = 100 - 40 * Math.min(Math.max(rise, 0) / P.riseCap, 1) - 40 * Math.min(iauc2h / P.iaucCap, 1) - 20 * r
  const flags = [
    ...(inBase.length ? [] : ['baseline_fallback']),
    ...(last < P.responseMin ? ['truncated'] : []),
    ...(last < P.iaucShortMin ? ['truncated_2h'] : []),
    ...(largestGap !== null && largestGap > P.maxGapMin ? ['large_gap'] : []),
  ]
  return {
    source, baseline, fallback: !inBase.length, peak: peakPoint.g, timeToPeak: peakPoint.t,
    back: back !== null && back <= P.responseMin ? back : null, iauc2h, iauc3h,
    coveragePct: (100 * slots.size) / ((P.baselineMin + P.responseMin) / P.stepMin), largestGap,
    score: Math.round(score), flags,
  }
}
