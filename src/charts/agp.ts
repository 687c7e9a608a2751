// The Ambulatory Glucose Profile as SVG, drawn from the numbers of GET /api/v1/glucose/report (one computation, two
// outputs): the report's 15-minute percentile bins (sql/glucose-agp.sql), its five time-in-range percentages and
// its summary metrics. Layout after the AGP report of the International Consensus on Time in Range (Battelino et
// al., Diabetes Care 2019;42:1593-1603, fig. 1) and Johnson et al., Diabetic Medicine 2019;36:1203-1211: the
// profile with the 5–95 % and 25–75 % bands and the median over a day, the 70–180 mg/dL target shaded, and beside
// it the time-in-ranges bar and the key metrics. The percentiles are drawn as computed, without the smoothing some
// AGP software applies, so every vertex is a number the JSON gives.
import type { AgpBin, GlucoseReport } from '../analytics/glucose-report.js'
import type { GlucoseUnit } from '../glucose/units.js'
import { band, COLORS, document, fitText, glucoseGrid, glucoseText, linear, num, polyline, px, text, textWidth, wrapParts, type Size } from './svg.js'
import { formatDate } from './time.js'

export const AGP_BIN_MINUTES = 15 // sql/glucose-agp.sql's bin width
const MINUTES_PER_DAY = 1440

/** The y domain's top (mg/dL): the consensus chart's 350, or 400 (the CGM ceiling) when the 95th percentile passes it. */
export const agpYMax = (bins: AgpBin[]) => (bins.some((b) => b.p95 > 350) ? 400 : 350)

/** Where a bin is plotted: its middle (a bin is named by its start). */
export const binCenter = (minuteOfDay: number) => minuteOfDay + AGP_BIN_MINUTES / 2

/** The chart's geometry and scales; exported so tests can compute where a value must be drawn. */
export function agpLayout(size: Size, yMaxMgDl: number) {
  const panelWidth = Math.min(320, Math.max(230, size.width * 0.3))
  const plot = { left: 56, top: 84, right: size.width - panelWidth - 28, bottom: size.height - 36 }
  return {
    plot,
    panel: { left: plot.right + 28, right: size.width - 16 },
    x: linear(0, MINUTES_PER_DAY, plot.left, plot.right), // minutes after local midnight
    y: linear(0, yMaxMgDl, plot.bottom, plot.top), // mg/dL
  }
}

/** Runs of adjacent bins: a time of day without readings is a gap in the bands, not a line across it. */
function runs(bins: AgpBin[]): AgpBin[][] {
  const out: AgpBin[][] = []
  for (const b of bins) {
    const last = out.at(-1)
    if (last && b.minuteOfDay - last.at(-1)!.minuteOfDay === AGP_BIN_MINUTES) last.push(b)
    else out.push([b])
  }
  return out
}

export interface AgpChartInput {
  report: GlucoseReport
  unit: GlucoseUnit
  timezone: string
  size: Size
}

/** The five consensus ranges, top to bottom, with the report's percentage of each. */
export function tirRows(report: GlucoseReport, unit: GlucoseUnit) {
  const g = (v: number) => glucoseText(v, unit)
  // The edges as the consensus states them in each unit: 181–250 mg/dL is 10.1–13.9 mmol/L, 54–69 is 3.0–3.8.
  const mmol = unit === 'mmol/L'
  return [
    { key: 'very-high', name: 'Very high', range: `>${g(250)}`, pct: report.percentVeryHigh, color: COLORS.veryHigh },
    { key: 'high', name: 'High', range: mmol ? '10.1–13.9' : '181–250', pct: report.percentHigh, color: COLORS.high },
    { key: 'in-range', name: 'In range', range: `${g(70)}–${g(180)}`, pct: report.percentInRange, color: COLORS.inRange },
    { key: 'low', name: 'Low', range: mmol ? '3.0–3.8' : '54–69', pct: report.percentLow, color: COLORS.low },
    { key: 'very-low', name: 'Very low', range: `<${g(54)}`, pct: report.percentVeryLow, color: COLORS.veryLow },
  ]
}

/** The line that says why the period falls short of the consensus, in the brief form the chart has room for. */
export function sufficiencyNote(report: GlucoseReport): [string, string] | undefined {
  if (report.sufficient) return undefined
  const what = report.coveragePct < 70 ? `% active ${report.coveragePct.toFixed(1)} %` : `only ${report.periodDays.toFixed(1)} days`
  return [`Too little data: ${what}`, 'AGP needs ≥ 70 % active over 14 days']
}

export function renderAgp({ report, unit, timezone, size }: AgpChartInput): string {
  const bins = report.agp
  const yMax = agpYMax(bins)
  const { plot, panel, x, y } = agpLayout(size, yMax)
  const g = (v: number | null) => (v === null ? '—' : `${glucoseText(v, unit)} ${unit}`)
  const from = new Date(report.from)
  const lastDay = new Date(new Date(report.to).getTime() - 1)
  const period = `${formatDate(from, timezone)} – ${formatDate(lastDay, timezone)}`
  const body: string[] = []

  // Header
  body.push(text(16, 24, 'Ambulatory Glucose Profile (AGP)', 'font-size="17" font-weight="700"'))
  const parts = [period, `${report.periodDays.toFixed(1)} days`, `${report.readings} readings${report.source ? ` (${report.source})` : ''}`, timezone]
  body.push(text(16, 44, wrapParts(parts, () => size.width - 32, 1)[0]!, `class="subtitle" fill="${COLORS.muted}"`))

  // Target range, grid lines and y labels at the consensus levels
  body.push(...glucoseGrid(plot, y, yMax, unit))
  body.push(text(plot.left - 6, plot.top - 10, unit, `text-anchor="end" fill="${COLORS.muted}" font-size="11"`))

  // x axis: a line every 3 hours of the local day, labelled every 3 hours, or every 6 where "00:00"s would touch
  const labelEvery = x(180) - x(0) >= textWidth('00:00') + 8 ? 180 : 360
  for (let m = 0; m <= MINUTES_PER_DAY; m += 180) {
    body.push(`<line x1="${px(x(m))}" x2="${px(x(m))}" y1="${px(plot.top)}" y2="${px(plot.bottom)}" stroke="${COLORS.grid}" stroke-dasharray="2 3"/>`)
    const label = `${String(m / 60).padStart(2, '0')}:00`
    if (m % labelEvery === 0) body.push(text(x(m), plot.bottom + 18, label, `class="x-label" text-anchor="middle" fill="${COLORS.muted}"`))
  }
  body.push(`<rect x="${px(plot.left)}" y="${px(plot.top)}" width="${px(plot.right - plot.left)}" height="${px(plot.bottom - plot.top)}" fill="none" stroke="${COLORS.axis}"/>`)

  // Bands and median, one path per run of adjacent bins; a lone bin spans its own 15 minutes so it stays visible.
  for (const run of runs(bins)) {
    const xs = run.length === 1 ? [run[0]!.minuteOfDay, run[0]!.minuteOfDay + AGP_BIN_MINUTES] : run.map((b) => binCenter(b.minuteOfDay))
    const at = (pick: (b: AgpBin) => number): Array<[number, number]> => xs.map((m, i) => [x(m), y(pick(run[Math.min(i, run.length - 1)]!))])
    body.push(`<path class="agp-p5-p95" d="${band(at((b) => b.p95), at((b) => b.p5))}" fill="${COLORS.p5p95}"/>`)
    body.push(`<path class="agp-p25-p75" d="${band(at((b) => b.p75), at((b) => b.p25))}" fill="${COLORS.p25p75}"/>`)
    body.push(`<path class="agp-median" d="${polyline(at((b) => b.p50))}" fill="none" stroke="${COLORS.median}" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>`)
  }
  // The target's edges over the bands, as on the consensus AGP: the eye reads the profile against them.
  for (const level of [70, 180]) {
    body.push(`<line x1="${px(plot.left)}" x2="${px(plot.right)}" y1="${px(y(level))}" y2="${px(y(level))}" stroke="${COLORS.targetEdge}" stroke-width="1.5"/>`)
  }
  if (bins.length === 0) {
    body.push(text((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2, 'No readings in this period', `text-anchor="middle" font-size="15" fill="${COLORS.muted}"`))
  }
  // Legend between the header and the plot
  const legend = [['5–95 %', COLORS.p5p95], ['25–75 %', COLORS.p25p75], ['Median', COLORS.median], ['Target 70–180 mg/dL', COLORS.target]] as const
  let lx = plot.left
  for (const [label, color] of legend) {
    const shown = label.startsWith('Target') ? `Target ${glucoseText(70, unit)}–${glucoseText(180, unit)} ${unit}` : label
    body.push(`<rect x="${px(lx)}" y="${px(plot.top - 26)}" width="14" height="10" fill="${color}" stroke="${COLORS.axis}" stroke-width="0.5"/>`)
    body.push(text(lx + 18, plot.top - 17, shown, 'font-size="11"'))
    lx += 26 + shown.length * 6.2
  }

  body.push(...panelSvg(report, unit, plot, panel))
  return document('agp', size, `Ambulatory glucose profile, ${period}`, describe(report, unit, timezone, period, g), body)
}

/** Time in ranges (stacked bar, labelled rows) and the key metrics, right of the profile. */
function panelSvg(report: GlucoseReport, unit: GlucoseUnit, plot: { top: number; bottom: number }, panel: { left: number; right: number }): string[] {
  const out: string[] = []
  const rows = tirRows(report, unit)
  const barTop = plot.top + 26
  const note = sufficiencyNote(report)
  // Room below the bar for the metrics heading, its five rows and the note (if any), so a short chart keeps them in.
  const below = 34 + 5 * 20 + (note ? 44 : 0) + 8
  const barHeight = Math.max(60, Math.min(240, (plot.bottom - plot.top) * 0.5, plot.bottom + 36 - barTop - below))
  out.push(text(panel.left, plot.top + 8, 'Time in ranges', 'font-size="14" font-weight="700"'))
  // Stacked from the bottom (very low) up, as the consensus bar is; a range at 0 % has no height.
  let yCursor = barTop + barHeight
  for (const row of [...rows].reverse()) {
    const h = ((row.pct ?? 0) / 100) * barHeight
    yCursor -= h
    out.push(`<rect class="tir-${row.key}" x="${px(panel.left)}" y="${px(yCursor)}" width="30" height="${px(h)}" fill="${row.color}"/>`)
  }
  out.push(`<rect x="${px(panel.left)}" y="${px(barTop)}" width="30" height="${px(barHeight)}" fill="none" stroke="${COLORS.axis}"/>`)
  // Labels on evenly spaced rows (not at their segments: small ranges would overprint each other).
  rows.forEach((row, i) => {
    const ry = barTop + (barHeight * (i + 0.5)) / 5
    out.push(`<rect x="${px(panel.left + 40)}" y="${px(ry - 8)}" width="10" height="10" fill="${row.color}"/>`)
    const value = row.pct === null ? '—' : `${row.pct.toFixed(1)} %`
    // On the narrowest panel a long label (mmol/L ranges) steps down to 11 px rather than run into its value.
    const room = panel.right - textWidth(value, 12, true) - 6 - (panel.left + 56)
    const size = textWidth(`${row.name} ${row.range}`, 12) <= room ? 12 : 11
    out.push(text(panel.left + 56, ry + 1, fitText([`${row.name} ${row.range}`], room, size), `font-size="${size}"`))
    out.push(text(panel.right, ry + 1, value, `class="tir-value-${row.key}" text-anchor="end" font-weight="700"`))
  })

  const metrics: Array<[string, string]> = [
    ['Mean glucose', report.meanMgDl === null ? '—' : `${glucoseText(report.meanMgDl, unit)} ${unit}`],
    ['GMI', report.gmiPct === null ? '—' : `${report.gmiPct.toFixed(2)} %`],
    ['CV (variability)', report.cvPct === null ? '—' : `${report.cvPct.toFixed(1)} %`],
    ['% time CGM active', `${report.coveragePct.toFixed(1)} %`],
    ['Days', report.periodDays.toFixed(1)],
  ]
  let my = barTop + barHeight + 34
  out.push(text(panel.left, my, 'Glucose metrics', 'font-size="14" font-weight="700"'))
  for (const [label, value] of metrics) {
    my += 20
    out.push(text(panel.left, my, label))
    out.push(text(panel.right, my, value, `class="metric" text-anchor="end" font-weight="700"`))
  }
  if (note) {
    const width = panel.right - panel.left
    out.push(text(panel.left, my + 28, fitText([note[0], note[0].replace('Too little data: ', 'Too little: ')], width, 12, true), `class="insufficient" fill="${COLORS.warning}" font-weight="700"`))
    out.push(text(panel.left, my + 44, fitText([note[1], note[1].replace(' active', '')], width), `fill="${COLORS.warning}"`))
  }
  return out
}

function describe(report: GlucoseReport, unit: GlucoseUnit, timezone: string, period: string, g: (v: number | null) => string): string {
  const tir = tirRows(report, unit).map((r) => `${r.name.toLowerCase()} ${r.range} ${num(r.pct, 1)} %`).join(', ')
  const medians = report.agp.map((b) => b.p50)
  const lo = report.agp.find((b) => b.p50 === Math.min(...medians))
  const hi = report.agp.find((b) => b.p50 === Math.max(...medians))
  return [
    `Ambulatory glucose profile of ${period} (${timezone}), ${report.periodDays.toFixed(1)} days, ${report.readings} readings${report.source ? ` from ${report.source}` : ''}.`,
    `Time in ranges (${unit}): ${tir}.`,
    `Mean glucose ${g(report.meanMgDl)}, GMI ${num(report.gmiPct, 2)} %, CV ${num(report.cvPct, 1)} %, CGM active ${report.coveragePct.toFixed(1)} % of the time.`,
    lo && hi ? `Median by time of day from ${g(lo.p50)} at ${lo.time} to ${g(hi.p50)} at ${hi.time}.` : 'No readings in this period.',
    report.insufficientReason ? `Not enough data for a consensus AGP: ${report.insufficientReason}.` : '',
  ].filter(Boolean).join(' ')
}
