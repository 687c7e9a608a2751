// One meal's glucose response as SVG, drawn from GET /api/v1/glucose/meal-response/:mealId's numbers (baseline,
// peak, return, iAUC, score: sql/meal-response.sql) over the readings of the one source that response used, from
// 30 min before the meal to 3 h after. The shaded area is the iAUC exactly as the SQL defines it (Wolever & Jenkins
// 1986, ISO 26642:2010): the curve above baseline over [t0, t0 + 3 h], crossings interpolated, ending at the last
// reading when the data stop earlier; so the shading's area is the iAUC the JSON gives (the tests check it).
import type { MealResponse } from '../analytics/meal-response.js'
import { MG_DL_PER_MMOL_L, type GlucoseUnit } from '../glucose/units.js'
import { bestWrap, COLORS, DESCENT_EM, document, fitText, ID, glucoseText, intersects, linear, NARROW_WIDTH, polyline, px, text, textBox, textWidth, type Box, type Size } from './svg.js'
import { formatDate, formatTime } from './time.js'

export const WINDOW_BEFORE_MIN = 30
export const WINDOW_AFTER_MIN = 180
/** Readings are read this far around the shown window, so the line runs to the plot's edges (clipped there). */
export const READ_MARGIN_MIN = 60

export interface CurvePoint { t: number; g: number } // minutes from t0, mg/dL

/** The y domain (mg/dL) for the values shown: 15 mg/dL of headroom, 10-aligned, at least 80 tall, never below 40. */
export function mealYDomain(values: number[]): [number, number] {
  if (values.length === 0) return [60, 200]
  let lo = Math.max(40, Math.floor((Math.min(...values) - 15) / 10) * 10)
  let hi = Math.ceil((Math.max(...values) + 15) / 10) * 10
  if (hi - lo < 80) {
    const grow = 80 - (hi - lo)
    lo = Math.max(40, lo - Math.floor(grow / 2))
    hi = lo + Math.max(80, hi - lo)
  }
  return [lo, hi]
}

/** The chart's geometry and scales; exported so tests can compute where a value must be drawn. */
export function mealLayout(size: Size, [lo, hi]: [number, number], subtitleLines = 1) {
  const plot = { left: 56, top: subtitleLines > 1 ? 88 : 70, right: size.width - 20, bottom: size.height - 82 }
  return {
    plot,
    x: linear(-WINDOW_BEFORE_MIN, WINDOW_AFTER_MIN, plot.left, plot.right), // minutes from t0
    y: linear(lo, hi, plot.bottom, plot.top), // mg/dL
  }
}

/**
 * The iAUC region's outline in data units: along max(curve, baseline) from t0 to the window end (or the last
 * reading), with the baseline crossings inserted, closed along the baseline. Empty when nothing is above baseline.
 */
export function iaucOutline(points: CurvePoint[], baseline: number, end = WINDOW_AFTER_MIN): Array<[number, number]> {
  const stop = Math.min(end, points.at(-1)?.t ?? 0)
  const top: Array<[number, number]> = []
  let above = false
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!
    const b = points[i + 1]!
    const x0 = Math.max(a.t, 0)
    const x1 = Math.min(b.t, stop)
    if (x1 <= x0) continue
    const at = (t: number) => a.g + ((b.g - a.g) * (t - a.t)) / (b.t - a.t)
    const d0 = at(x0) - baseline
    const d1 = at(x1) - baseline
    top.push([x0, Math.max(at(x0), baseline)])
    if ((d0 > 0 && d1 < 0) || (d0 < 0 && d1 > 0)) top.push([x0 + ((x1 - x0) * d0) / (d0 - d1), baseline])
    top.push([x1, Math.max(at(x1), baseline)])
    above ||= d0 > 0 || d1 > 0
  }
  if (!above) return []
  return [[top[0]![0], baseline], ...top, [top.at(-1)![0], baseline]]
}

/** Area (mg/dL·min) between an outline from iaucOutline and its baseline: the trapezoid rule on its vertices. */
export function outlineArea(outline: Array<[number, number]>, baseline: number): number {
  let area = 0
  for (let i = 0; i + 1 < outline.length; i++) {
    const [t0, g0] = outline[i]!
    const [t1, g1] = outline[i + 1]!
    area += ((g0 - baseline + (g1 - baseline)) / 2) * (t1 - t0)
  }
  return area
}

export interface MealChartInput {
  mealName: string
  response: MealResponse
  points: CurvePoint[] // the response's source, time order, [t0 − 60, t0 + 240] min
  unit: GlucoseUnit
  timezone: string
  size: Size
}

/** Ticks every `step` in the user's unit, positioned in mg/dL; at most `maxTicks` of them. */
function yTicks([lo, hi]: [number, number], unit: GlucoseUnit, maxTicks: number): Array<{ mgDl: number; label: string }> {
  const k = unit === 'mmol/L' ? MG_DL_PER_MMOL_L : 1
  const span = (hi - lo) / k
  const step = (unit === 'mmol/L' ? [0.5, 1, 2, 5] : [10, 20, 25, 50, 100]).find((s) => span / s <= maxTicks) ?? 100
  const out = []
  for (let v = Math.ceil(lo / k / step) * step; v * k <= hi; v += step) out.push({ mgDl: v * k, label: unit === 'mmol/L' ? v.toFixed(1) : String(v) })
  return out
}

export function renderMealResponse({ mealName, response: r, points, unit, timezone, size }: MealChartInput): string {
  const shown = points.filter((p) => p.t >= -WINDOW_BEFORE_MIN && p.t <= WINDOW_AFTER_MIN)
  const domain = mealYDomain([...shown.map((p) => p.g), ...(r.baselineMgDl === null ? [] : [r.baselineMgDl]), ...(r.peakMgDl === null ? [] : [r.peakMgDl])])
  const g = (v: number) => `${glucoseText(v, unit)} ${unit}`
  const area = (v: number | null) => (v === null ? '—' : unit === 'mmol/L' ? `${(v / MG_DL_PER_MMOL_L).toFixed(1)} mmol/L·min` : `${Math.round(v)} mg/dL·min`)
  const rise = (v: number) => `${v >= 0 ? '+' : '−'}${glucoseText(Math.abs(v), unit)} ${unit}`
  const eaten = new Date(r.eatenAt)
  const when = `${formatDate(eaten, timezone)} ${formatTime(eaten, timezone)}`
  const narrow = size.width < NARROW_WIDTH
  const body: string[] = []

  // Header: the title and subtitle stop short of the score box (top right), which is smaller on a narrow chart; a
  // title that does not fit drops "Meal response:", a subtitle wraps onto a second line (then under the box).
  const score = narrow ? { left: size.width - 80, top: 8, width: 64, height: 40 } : { left: size.width - 112, top: 10, width: 96, height: 44 }
  const besideScore = (r.score === null ? size.width - 16 : score.left - 8) - 16
  body.push(text(16, 24, fitText([`Meal response: ${mealName}`, mealName], besideScore, 17, true), 'class="chart-title" font-size="17" font-weight="700"'))
  const lineY = (i: number) => 44 + i * 16
  const lineWidth = (i: number) => (r.score !== null && textBox(16, lineY(i), '').top < score.top + score.height ? besideScore : size.width - 32)
  const parts = (zone: string) => [when, zone, ...(r.source ? [r.source] : []), `coverage ${r.coveragePct.toFixed(1)} %`]
  const subtitle = bestWrap([[parts(timezone), 2], [parts(timezone.split('/').at(-1)!), 2]], lineWidth)
  subtitle.forEach((line, i) => body.push(text(16, lineY(i), line, `class="subtitle" fill="${COLORS.muted}"`)))
  const { plot, x, y } = mealLayout(size, domain, subtitle.length)
  if (r.score !== null) {
    const cx = score.left + score.width / 2
    body.push(`<rect class="score-box" x="${px(score.left)}" y="${px(score.top)}" width="${score.width}" height="${score.height}" rx="6" fill="#ffffff" stroke="${COLORS.axis}"/>`)
    body.push(text(cx, score.top + score.height - 18, String(r.score), 'class="score" text-anchor="middle" font-size="22" font-weight="700"'))
    body.push(text(cx, score.top + score.height - 4, 'score / 100', `text-anchor="middle" font-size="9" fill="${COLORS.muted}"`))
  }

  body.push(`<clipPath id="${ID}-clip"><rect x="${px(plot.left)}" y="${px(plot.top)}" width="${px(plot.right - plot.left)}" height="${px(plot.bottom - plot.top)}"/></clipPath>`)
  // Target range, y ticks, x ticks every 30 min
  const [lo, hi] = domain
  const tTop = y(Math.min(180, hi))
  const tBottom = y(Math.max(70, lo))
  if (tBottom > tTop) body.push(`<rect class="target-range" x="${px(plot.left)}" y="${px(tTop)}" width="${px(plot.right - plot.left)}" height="${px(tBottom - tTop)}" fill="${COLORS.target}"/>`)
  for (const tick of yTicks(domain, unit, Math.min(6, Math.floor((plot.bottom - plot.top) / 16)))) {
    body.push(`<line x1="${px(plot.left)}" x2="${px(plot.right)}" y1="${px(y(tick.mgDl))}" y2="${px(y(tick.mgDl))}" stroke="${COLORS.grid}"/>`)
    body.push(text(plot.left - 6, y(tick.mgDl) + 4, tick.label, `class="y-label" text-anchor="end" fill="${COLORS.muted}"`))
  }
  body.push(text(plot.left - 6, plot.top - 8, unit, `text-anchor="end" fill="${COLORS.muted}" font-size="11"`))
  for (let m = -WINDOW_BEFORE_MIN; m <= WINDOW_AFTER_MIN; m += 30) {
    body.push(text(x(m), plot.bottom + 16, m === 0 ? '0' : `${m > 0 ? '+' : '−'}${Math.abs(m)}`, `class="x-label" text-anchor="middle" fill="${COLORS.muted}"`))
  }
  body.push(text(plot.right, plot.bottom + 30, 'minutes from the meal', `text-anchor="end" fill="${COLORS.muted}" font-size="11"`))
  body.push(`<rect x="${px(plot.left)}" y="${px(plot.top)}" width="${px(plot.right - plot.left)}" height="${px(plot.bottom - plot.top)}" fill="none" stroke="${COLORS.axis}"/>`)

  // iAUC under the curve, then the baseline, the meal time, the curve, the peak.
  const taken: Box[] = [] // labels inside the plot, for the peak's label to keep clear of
  if (r.baselineMgDl !== null) {
    const outline = iaucOutline(points, r.baselineMgDl)
    if (outline.length > 0) {
      body.push(`<path class="iauc" d="${polyline(outline.map(([t, v]) => [x(t), y(v)]))}Z" fill="${COLORS.iauc}" fill-opacity="0.35" stroke="none" clip-path="url(#${ID}-clip)"/>`)
    }
    const by = y(r.baselineMgDl)
    body.push(`<line class="baseline" x1="${px(plot.left)}" x2="${px(plot.right)}" y1="${px(by)}" y2="${px(by)}" stroke="${COLORS.text}" stroke-dasharray="6 4" stroke-width="1.2"/>`)
    // Under the line, or over it when under would reach the x axis labels.
    const labelY = by + 14 + DESCENT_EM * 11 <= plot.bottom ? by + 14 : by - 5
    taken.push(textBox(plot.right - 4, labelY, `baseline ${g(r.baselineMgDl)}`, 11, false, 'end'))
    body.push(text(plot.right - 4, labelY, `baseline ${g(r.baselineMgDl)}`, `class="baseline-label" text-anchor="end" fill="${COLORS.text}" font-size="11"`))
  }
  body.push(`<line class="meal-time" x1="${px(x(0))}" x2="${px(x(0))}" y1="${px(plot.top)}" y2="${px(plot.bottom)}" stroke="${COLORS.meal}" stroke-width="1.5"/>`)
  // The meal's label above the plot, where neither the curve nor the peak's marker can run through it.
  const mealLabel = `${formatTime(eaten, timezone)} meal`
  taken.push(textBox(x(0) + 4, plot.top - 6, mealLabel, 11, true))
  body.push(text(x(0) + 4, plot.top - 6, mealLabel, `class="meal-label" fill="${COLORS.meal}" font-size="11" font-weight="700"`))
  if (points.length > 0) {
    body.push(`<path class="curve" d="${polyline(points.map((p) => [x(p.t), y(p.g)]))}" fill="none" stroke="${COLORS.line}" stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round" clip-path="url(#${ID}-clip)"/>`)
    for (const p of shown) body.push(`<circle cx="${px(x(p.t))}" cy="${px(y(p.g))}" r="1.8" fill="${COLORS.line}"/>`)
  } else {
    body.push(text((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2, fitText(['No readings around this meal', 'No readings'], plot.right - plot.left - 8, 15), `text-anchor="middle" font-size="15" fill="${COLORS.muted}"`))
  }
  if (r.peakMgDl !== null && r.timeToPeakMin !== null) {
    const [cx, cy] = [x(r.timeToPeakMin), y(r.peakMgDl)]
    // The label is shortened when neither side of the point has room for it.
    const roomRight = plot.right - 4 - (cx + 9)
    const roomLeft = cx - 9 - (plot.left + 4)
    const labels = [`peak ${g(r.peakMgDl)} at +${Math.round(r.timeToPeakMin)} min`, `peak ${g(r.peakMgDl)}`, glucoseText(r.peakMgDl, unit)]
    // Where: above the point (the curve's highest, so nothing of it is above), else ever lower under it; right of
    // it, else left; the long wording if it has such a place, else a shorter one. The first place whose box no
    // part of the curve crosses (its vertices and their midpoints) and no other label overprints; else the first
    // place of the long wording that at least overprints no label.
    const curve = points.flatMap((p, i): Array<[number, number]> => {
      const next = points[i + 1]
      return next ? [[x(p.t), y(p.g)], [(x(p.t) + x(next.t)) / 2, (y(p.g) + y(next.g)) / 2]] : [[x(p.t), y(p.g)]]
    })
    const placesOf = (label: string) => {
      const anchors = (['start', 'end'] as const).filter((a) => textWidth(label, 12, true) <= (a === 'start' ? roomRight : roomLeft))
      return [-6, 18, 32, 46, 60].flatMap((dy) => anchors.map((anchor) => ({ label, anchor, lx: cx + (anchor === 'end' ? -9 : 9), ly: cy + dy })))
    }
    // Above the plot's frame is free up to the meal's label (the subtitle ends 20 px higher).
    const clear = ({ label, anchor, lx, ly }: ReturnType<typeof placesOf>[number], ofCurve: boolean) => {
      const b = textBox(lx, ly, label, 12, true, anchor)
      return b.top >= plot.top - 18 && b.bottom <= plot.bottom - 2 && !taken.some((t) => intersects(t, b)) &&
        !(ofCurve && curve.some(([qx, qy]) => qx >= b.left - 2 && qx <= b.right + 2 && qy >= b.top - 2 && qy <= b.bottom + 2))
    }
    const longest = placesOf(fitText(labels.slice(0, 2), Math.max(roomRight, roomLeft), 12, true))
    const { label, anchor, lx, ly } = labels.flatMap(placesOf).find((p) => clear(p, true)) ?? longest.find((p) => clear(p, false)) ?? longest[0]!
    body.push(`<circle class="peak" cx="${px(cx)}" cy="${px(cy)}" r="5" fill="#ffffff" stroke="${COLORS.warning}" stroke-width="2"/>`)
    body.push(text(lx, ly, label, `class="peak-label" text-anchor="${anchor}" font-weight="700" fill="${COLORS.warning}"`))
  }
  if (r.returnToBaselineMin !== null && r.baselineMgDl !== null && r.returnToBaselineMin <= WINDOW_AFTER_MIN) {
    const rx = x(r.returnToBaselineMin)
    const ry = y(r.baselineMgDl)
    body.push(`<path class="return" d="M${px(rx)},${px(ry - 6)}L${px(rx + 5)},${px(ry)} ${px(rx)},${px(ry + 6)} ${px(rx - 5)},${px(ry)}Z" fill="${COLORS.text}"/>`)
  }

  // Footer: the metrics in words on two lines, in shorter words when the chart is too narrow for the long ones.
  const footerWidth = size.width - 32
  let footerEnd = 16
  if (r.noResponseReason) {
    const line = fitText([`No response: ${r.noResponseReason}`], footerWidth, 12, true)
    body.push(text(16, size.height - 30, line, `class="summary" fill="${COLORS.warning}" font-weight="700"`))
  } else {
    const back = r.returnToBaselineMin === null ? 'not within 3 h' : `at +${Math.round(r.returnToBaselineMin)} min`
    const riseText = `Rise ${r.peakRiseMgDl === null ? '—' : rise(r.peakRiseMgDl)}`
    const shortBack = r.returnToBaselineMin === null ? 'no return in 3 h' : `back at +${Math.round(r.returnToBaselineMin)} min`
    body.push(text(16, size.height - 30, fitText([`${riseText} · back to baseline ${back}`, `${riseText} · ${shortBack}`], footerWidth), 'class="summary"'))
    const bare = (v: number | null) => area(v).replace(/ .*/, '')
    const iauc = fitText([`iAUC (shaded) 3 h ${area(r.iauc3hMgDlMin)} · 2 h ${area(r.iauc2hMgDlMin)}`, `iAUC 3 h ${bare(r.iauc3hMgDlMin)} · 2 h ${area(r.iauc2hMgDlMin)}`], footerWidth)
    body.push(text(16, size.height - 12, iauc, 'class="summary-iauc"'))
    footerEnd = 16 + textWidth(iauc)
  }
  if (r.flags.length > 0) {
    // Right of the iAUC line when there is room, else left of "minutes from the meal".
    const flags = `flags: ${r.flags.join(', ')}`
    if (size.width - 16 - textWidth(flags, 11) >= footerEnd + 12) body.push(text(size.width - 16, size.height - 12, flags, `text-anchor="end" fill="${COLORS.warning}" font-size="11"`))
    else body.push(text(16, plot.bottom + 30, fitText([flags], plot.right - textWidth('minutes from the meal', 11) - 12 - 16, 11), `fill="${COLORS.warning}" font-size="11"`))
  }

  const desc = r.noResponseReason
    ? `Meal "${mealName}" at ${when} (${timezone}): no glucose response, ${r.noResponseReason}.`
    : [
        `Glucose response to "${mealName}" eaten ${when} (${timezone}), ${unit}, from 30 minutes before to 3 hours after:`,
        `baseline ${g(r.baselineMgDl!)}, peak ${g(r.peakMgDl!)} at +${Math.round(r.timeToPeakMin!)} min (rise ${rise(r.peakRiseMgDl!)}),`,
        `${r.returnToBaselineMin === null ? 'not back to baseline within 3 h' : `back to baseline at +${Math.round(r.returnToBaselineMin)} min`},`,
        `iAUC 2 h ${area(r.iauc2hMgDlMin)}, 3 h ${area(r.iauc3hMgDlMin)}, score ${r.score ?? '—'} of 100, coverage ${r.coveragePct.toFixed(1)} %${r.flags.length ? `, flags: ${r.flags.join(', ')}` : ''}.`,
      ].join(' ')
  return document('meal', size, `Meal response: ${mealName}, ${when}`, desc, body)
}
