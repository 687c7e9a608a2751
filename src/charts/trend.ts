// Readings over time as SVG, from the rows GET /api/v1/glucose/readings returns (read in mg/dL, labelled in the
// user's unit), with the user's meals marked and the 70–180 mg/dL target range shaded. A gap in the data stays a
// gap: the line breaks where consecutive readings are more than GAP_MINUTES apart, nothing is interpolated across.
import type { GlucoseUnit } from '../glucose/units.js'
import { bestWrap, COLORS, document, esc, glucoseGrid, glucoseText, intersects, linear, polyline, px, text, textBox, textWidth, type Box, type Size } from './svg.js'
import { formatDate, formatDay, formatTime, timeTicks } from './time.js'

/** Longer than this between two readings is a gap (three missed 5-minute readings). */
export const GAP_MINUTES = 15
const Y_MIN = 40 // CGMs report nothing below 40 mg/dL ("LO")

export interface TrendReading { time: string; value: number; source: string } // value in mg/dL
export interface TrendMeal { id: string; eatenAt: string; name: string }

export interface TrendChartInput {
  from: Date
  to: Date
  readings: TrendReading[]
  meals: TrendMeal[]
  unit: GlucoseUnit
  timezone: string
  size: Size
}

/** The y domain's top (mg/dL): 300, raised in steps of 50 to the highest reading, at most 400 (the CGM ceiling). */
export const trendYMax = (readings: TrendReading[]) =>
  Math.min(400, Math.max(300, Math.ceil(Math.max(0, ...readings.map((r) => r.value)) / 50) * 50))

/** The chart's geometry and scales; exported so tests can compute where a reading or a meal must be drawn. */
export function trendLayout(size: Size, from: Date, to: Date, yMaxMgDl: number, subtitleLines = 1) {
  const plot = { left: 52, top: subtitleLines > 1 ? 86 : 72, right: size.width - 20, bottom: size.height - 40 }
  return {
    plot,
    x: linear(from.getTime(), to.getTime(), plot.left, plot.right), // epoch ms
    y: linear(Y_MIN, yMaxMgDl, plot.bottom, plot.top), // mg/dL
  }
}

/** Consecutive readings of one source, split wherever two are more than GAP_MINUTES apart. */
export function segments(readings: TrendReading[]): TrendReading[][] {
  const out: TrendReading[][] = []
  let previous: number | undefined
  for (const r of readings) {
    const t = Date.parse(r.time)
    if (previous === undefined || t - previous > GAP_MINUTES * 60_000) out.push([])
    out.at(-1)!.push(r)
    previous = t
  }
  return out
}

// Several sources (e.g. the Dexcom API and a Nightscout upload of the same sensor) are drawn as separate lines:
// joining them would zig-zag between two calibrations.
const SOURCE_COLORS = [COLORS.line, '#00838f', '#5d4037', '#c2185b', '#33691e', '#455a64']

export function renderTrend({ from, to, readings, meals, unit, timezone, size }: TrendChartInput): string {
  const yMax = trendYMax(readings)
  const period = `${formatDate(from, timezone)} ${formatTime(from, timezone)} – ${formatDate(to, timezone)} ${formatTime(to, timezone)}`
  const body: string[] = []
  const bySource = new Map<string, TrendReading[]>()
  for (const r of readings) {
    const list = bySource.get(r.source)
    if (list) list.push(r)
    else bySource.set(r.source, [r])
  }
  const sources = [...bySource.keys()].sort((a, b) => bySource.get(b)!.length - bySource.get(a)!.length)

  body.push(text(16, 24, 'Glucose', 'font-size="17" font-weight="700"'))
  // The source legend (when there are several) sits top right; subtitle lines beside a legend row stop short of it.
  const legendWidth = 22 + Math.max(0, ...sources.map((s) => textWidth(s, 11)))
  const legendX = Math.min(size.width - 20 - 120, size.width - 16 - legendWidth)
  const legendRows: Box[] = sources.length > 1 ? sources.map((s, i) => textBox(legendX, 20 + i * 12, s, 11)) : []
  const lineY = (i: number) => 44 + i * 14
  const lineWidth = (i: number) => {
    const line = textBox(16, lineY(i), '', 12)
    return (legendRows.some((row) => row.top < line.bottom && line.top < row.bottom) ? legendX - 8 : size.width - 16) - 16
  }
  // One line if it fits, else two (a phone column holds about 40 characters a line); if still too long, one date
  // for a period within a day and no year when both ends share it; then the time zone by its city alone
  // ("Buenos_Aires"): the counts stay readable.
  const [fromDay, toDay] = [formatDate(from, timezone), formatDate(to, timezone)]
  const sameYear = fromDay.slice(-4) === toDay.slice(-4)
  const shortPeriod = fromDay === toDay
    ? `${fromDay} ${formatTime(from, timezone)}–${formatTime(to, timezone)}`
    : `${sameYear ? fromDay.slice(0, -5) : fromDay} ${formatTime(from, timezone)} – ${sameYear ? toDay.slice(0, -5) : toDay} ${formatTime(to, timezone)}`
  const counts = [`${readings.length} readings`, `${meals.length} meals`]
  const subtitle = bestWrap([
    [[period, timezone, ...counts], 2],
    [[shortPeriod, timezone, ...counts], 2],
    [[shortPeriod, timezone.split('/').at(-1)!, ...counts], 2],
  ], lineWidth)
  const { plot, x, y } = trendLayout(size, from, to, yMax, subtitle.length)
  const clampY = (v: number) => y(Math.min(yMax, Math.max(Y_MIN, v)))
  subtitle.forEach((line, i) => body.push(text(16, lineY(i), line, `class="subtitle" fill="${COLORS.muted}"`)))
  body.push(...glucoseGrid(plot, y, yMax, unit, { strongTargetEdges: true }))
  // "mmol/L" is wider than the margin left of the axis: it ends past the axis' labels rather than start off the picture.
  body.push(text(Math.max(plot.left - 6, 4 + textWidth(unit, 11)), plot.top - 8, unit, `text-anchor="end" fill="${COLORS.muted}" font-size="11"`))

  const ticks = timeTicks(from, to, timezone, Math.max(3, Math.floor((plot.right - plot.left) / 90)))
  const multiDay = ticks.some((t) => t.label.length > 5)
  for (const tick of ticks) {
    const tx = x(tick.time.getTime())
    body.push(`<line x1="${px(tx)}" x2="${px(tx)}" y1="${px(plot.top)}" y2="${px(plot.bottom)}" stroke="${COLORS.grid}" stroke-dasharray="${tick.midnight ? '' : '2 3'}"/>`)
    // Labels at the plot's right edge end there rather than run off the picture.
    const anchor = tx > plot.right - 36 ? 'end' : 'middle'
    body.push(text(tx, plot.bottom + 16, tick.label, `class="x-label" text-anchor="${anchor}" fill="${COLORS.muted}"`))
    // Hour ticks name the day under each local midnight, so a 2-day chart says which day is which.
    if (tick.midnight && !multiDay) body.push(text(tx, plot.bottom + 30, formatDay(tick.time, timezone), `text-anchor="${anchor}" fill="${COLORS.muted}" font-size="11"`))
  }
  body.push(`<rect x="${px(plot.left)}" y="${px(plot.top)}" width="${px(plot.right - plot.left)}" height="${px(plot.bottom - plot.top)}" fill="none" stroke="${COLORS.axis}"/>`)

  // Meals: a dashed line at the time eaten, a marker above the plot, the name as a tooltip (and as text while
  // there is room: under 3 days, on the first of three rows where it overprints no other name and stays inside the
  // plot, right of the line or, near the right edge, left of it).
  const named = to.getTime() - from.getTime() <= 3 * 86_400_000
  const nameBoxes: Box[] = []
  for (const meal of meals) {
    const mx = x(Date.parse(meal.eatenAt))
    const label = `${meal.name} · ${formatTime(new Date(meal.eatenAt), timezone)}`
    let name = ''
    if (named) {
      const short = meal.name.length > 18 ? `${meal.name.slice(0, 17)}…` : meal.name
      const end = mx + 4 + textWidth(short, 11) > plot.right
      for (let row = 0; row < 3 && !name; row++) {
        const box = textBox(end ? mx - 4 : mx + 4, plot.top + 12 + row * 12, short, 11, false, end ? 'end' : 'start')
        if (box.left < plot.left || box.bottom > plot.bottom || nameBoxes.some((b) => intersects(b, box))) continue
        nameBoxes.push(box)
        name = text(end ? mx - 4 : mx + 4, plot.top + 12 + row * 12, short, `class="meal-name" fill="${COLORS.meal}" font-size="11"${end ? ' text-anchor="end"' : ''}`)
      }
    }
    body.push(`<g class="meal-marker" data-time="${esc(meal.eatenAt)}"><title>${esc(label)}</title>` +
      `<line x1="${px(mx)}" x2="${px(mx)}" y1="${px(plot.top)}" y2="${px(plot.bottom)}" stroke="${COLORS.meal}" stroke-dasharray="4 3"/>` +
      `<path d="M${px(mx - 5)},${px(plot.top - 9)}L${px(mx + 5)},${px(plot.top - 9)} ${px(mx)},${px(plot.top - 1)}Z" fill="${COLORS.meal}"/>` +
      name + '</g>')
  }

  sources.forEach((source, i) => {
    const color = SOURCE_COLORS[i % SOURCE_COLORS.length]
    for (const seg of segments(bySource.get(source)!)) {
      const d = polyline(seg.map((r) => [x(Date.parse(r.time)), clampY(r.value)]))
      body.push(`<path class="trend-segment" data-source="${esc(source)}" d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>`)
    }
  })
  if (sources.length > 1) {
    sources.forEach((source, i) => {
      const ly = 20 + i * 12
      body.push(`<line x1="${px(legendX)}" x2="${px(legendX + 16)}" y1="${px(ly - 4)}" y2="${px(ly - 4)}" stroke="${SOURCE_COLORS[i % SOURCE_COLORS.length]}" stroke-width="2"/>`)
      body.push(text(legendX + 22, ly, source, 'font-size="11"'))
    })
  }
  if (readings.length === 0) {
    body.push(text((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2, 'No readings in this period', `text-anchor="middle" font-size="15" fill="${COLORS.muted}"`))
  }
  return document('trend', size, `Glucose readings, ${period}`, describe(readings, meals, unit, timezone, period), body)
}

function describe(readings: TrendReading[], meals: TrendMeal[], unit: GlucoseUnit, timezone: string, period: string): string {
  if (readings.length === 0) return `No glucose readings from ${period} (${timezone}); ${meals.length} meals logged.`
  const values = readings.map((r) => r.value)
  const gaps = [...new Set(readings.map((r) => r.source))].reduce((n, s) => n + segments(readings.filter((r) => r.source === s)).length - 1, 0)
  const inRange = values.filter((v) => v >= 70 && v <= 180).length
  const last = readings.at(-1)!
  return [
    `${readings.length} glucose readings from ${period} (${timezone}), in ${unit}:`,
    `lowest ${glucoseText(Math.min(...values), unit)}, highest ${glucoseText(Math.max(...values), unit)},`,
    `${((100 * inRange) / values.length).toFixed(1)} % of readings in the target range ${glucoseText(70, unit)}–${glucoseText(180, unit)},`,
    `last ${glucoseText(last.value, unit)} at ${formatTime(new Date(last.time), timezone)}.`,
    `${gaps} gap${gaps === 1 ? '' : 's'} longer than ${GAP_MINUTES} minutes; ${meals.length} meal${meals.length === 1 ? '' : 's'} marked${meals.length ? `: ${meals.map((m) => `${m.name} at ${formatTime(new Date(m.eatenAt), timezone)}`).join(', ')}` : ''}.`,
  ].join(' ')
}
