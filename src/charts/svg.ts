// The few pieces every chart shares: XML escaping, coordinate formatting, linear scales, the document shell with its
// accessible name, glucose labels in the user's unit, and the palette. Charts are plain strings: no DOM, no
// dependency, so a chart renders the same in a browser <img>, a notebook or a PDF report.
import { createHash } from 'node:crypto'
import { fromMgDl, type GlucoseUnit } from '../glucose/units.js'

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text and attribute values: every user-supplied string (meal names, sources) passes through here. */
export function esc(value: string | number): string {
  // Control characters other than tab/newline are not allowed in XML 1.0 at all: drop them rather than emit an
  // unparseable document.
  return String(value).replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
}

/** A coordinate to 0.1 px: finer is invisible and only bloats the file. */
export const px = (v: number) => String(Math.round(v * 10) / 10)

/** A linear map from [d0, d1] to [r0, r1]. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = (r1 - r0) / (d1 - d0)
  return (v) => r0 + (v - d0) * k
}

/** Path data through the points: "M x,y L x,y …"; a single point becomes a zero-length segment (a dot with round caps). */
export function polyline(points: Array<[number, number]>): string {
  if (points.length === 0) return ''
  const [first, ...rest] = points
  const head = `M${px(first![0])},${px(first![1])}`
  if (rest.length === 0) return `${head}h0.01`
  return `${head}L${rest.map(([x, y]) => `${px(x)},${px(y)}`).join(' ')}`
}

/** A closed area: along `upper` left to right, back along `lower` right to left. */
export function band(upper: Array<[number, number]>, lower: Array<[number, number]>): string {
  return `${polyline([...upper, ...[...lower].reverse()])}Z`
}

export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif"

/**
 * Colours. Text is #1a1a1a / #424242 on white (contrast 17:1 and 10:1, WCAG AAA). The range colours follow the AGP
 * report's convention (Battelino et al. 2019, fig. 1): dark red very low, red low, green in range, yellow high,
 * orange very high.
 */
export const COLORS = {
  text: '#1a1a1a',
  muted: '#424242',
  grid: '#d0d0d0',
  axis: '#757575',
  target: '#e6f4ea',
  targetEdge: '#2e7d32',
  veryLow: '#8b1a1a',
  low: '#e53935',
  inRange: '#43a047',
  high: '#fbc02d',
  veryHigh: '#ef6c00',
  p5p95: '#c6dbef',
  p25p75: '#6baed6',
  median: '#08306b',
  line: '#1f4e8c',
  meal: '#6a1b9a',
  iauc: '#ff9800',
  warning: '#b71c1c',
} as const

/** Tick levels the consensus names (mg/dL): the edges of its five ranges. */
export const CONSENSUS_LEVELS = [54, 70, 180, 250] as const

/**
 * A glucose value in the user's unit, without the unit: mg/dL whole, mmol/L to one decimal. The consensus gives
 * the mmol/L edges as 3.0, 3.9, 10.0, 13.9, which is what fromMgDl makes of 54, 70, 180, 250.
 */
export function glucoseText(mgDl: number, unit: GlucoseUnit): string {
  return unit === 'mmol/L' ? fromMgDl(mgDl, unit).toFixed(1) : String(Math.round(mgDl))
}

/** A number with a fixed count of decimals, or an em dash when there is none. */
export const num = (v: number | null | undefined, digits: number) => (v === null || v === undefined ? '—' : v.toFixed(digits))

export interface Size {
  width: number
  height: number
}

/**
 * Stands for the document's id prefix in `body` (e.g. `clip-path="url(#${ID}-clip)"`). A raw `<` never occurs in
 * escaped text, so only the placeholders are replaced.
 */
export const ID = '<ID>'

/**
 * The whole document. role="img" with aria-labelledby naming <title> and <desc>: screen readers announce the title
 * and the key numbers, since the picture itself says nothing to them (WAI-ARIA Graphics, SVG-AAM §5.3).
 * Ids are `<kind>-<hash of the document>-…`: two different charts inlined in one page (a notebook, a report) never
 * share an id, so each keeps its own label and clip path; the same chart always renders the same bytes.
 */
export function document(kind: string, size: Size, title: string, desc: string, body: string[]): string {
  const { width, height } = size
  const text = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${ID}-title ${ID}-desc" font-family="${esc(FONT)}" font-size="12" fill="${COLORS.text}">`,
    `<title id="${ID}-title">${esc(title)}</title>`,
    `<desc id="${ID}-desc">${esc(desc)}</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
  ].join('\n')
  const prefix = `${kind}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`
  return text.replaceAll(ID, prefix)
}

/** A text element; `attrs` are trusted (built here), the content is escaped. */
export function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${px(x)}" y="${px(y)}"${attrs ? ` ${attrs}` : ''}>${esc(content)}</text>`
}

// Text extents. The charts are strings without a layout engine, so whether a line fits is estimated from its
// characters. The widths are DejaVu Sans's advances (em), the widest of FONT's families and what a Linux browser
// without the others falls back to; Arial, Roboto and Segoe UI are narrower, so a line that fits here fits there.
const NARROWEST_CHARS = /[ .,:;'!|ijlI·]/
const NARROW_CHARS = /[Jtfr()[\]/–-]/
const WIDEST_CHARS = /[mwMW%—@]/
const WIDE_CHARS = /[A-Z+<>=~&#−]/
/** Bold DejaVu Sans is about 12 % wider than regular. */
export const BOLD_FACTOR = 1.12
/** Ascent and descent of a text line, in em, for the vertical extent of a <text> at its baseline y. */
export const ASCENT_EM = 0.76
export const DESCENT_EM = 0.24

/** Estimated width (px) of `content` in FONT at `fontSize`: per character 0.36 em (i, l, space…), 0.52 (t, r, –…), 1 (m, W, %), 0.84 (other capitals) or 0.64. */
export function textWidth(content: string, fontSize = 12, bold = false): number {
  let em = 0
  for (const c of content) em += NARROWEST_CHARS.test(c) ? 0.36 : NARROW_CHARS.test(c) ? 0.52 : WIDEST_CHARS.test(c) ? 1 : WIDE_CHARS.test(c) ? 0.84 : 0.64
  return em * fontSize * (bold ? BOLD_FACTOR : 1)
}

/** The estimated box of a <text>: its anchor decides where the width goes. */
export function textBox(x: number, y: number, content: string, fontSize = 12, bold = false, anchor: 'start' | 'middle' | 'end' = 'start') {
  const w = textWidth(content, fontSize, bold)
  const left = anchor === 'start' ? x : anchor === 'middle' ? x - w / 2 : x - w
  return { left, right: left + w, top: y - ASCENT_EM * fontSize, bottom: y + DESCENT_EM * fontSize }
}

export type Box = ReturnType<typeof textBox>
export const intersects = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom

/**
 * The first of `candidates` (longest first) that fits `maxWidth`; when none does, the last one cut with an ellipsis.
 * Narrow charts say less rather than run off the picture; the <desc> keeps the full wording.
 */
export function fitText(candidates: string[], maxWidth: number, fontSize = 12, bold = false): string {
  for (const c of candidates) if (textWidth(c, fontSize, bold) <= maxWidth) return c
  const chars = [...candidates.at(-1)!]
  while (chars.length > 0 && textWidth(`${chars.join('')}…`, fontSize, bold) > maxWidth) chars.pop()
  return `${chars.join('').trimEnd()}…`
}

/**
 * Parts joined with " · " into at most `maxLines` lines of at most `widthOf(line)` px each, breaking only between
 * parts; what does not fit the last line is cut with an ellipsis.
 */
export function wrapParts(parts: string[], widthOf: (line: number) => number, maxLines: number, fontSize = 12): string[] {
  const lines: string[] = []
  let current = ''
  for (const part of parts) {
    const joined = current ? `${current} · ${part}` : part
    if (!current || textWidth(joined, fontSize) <= widthOf(lines.length) || lines.length === maxLines - 1) current = joined
    else {
      lines.push(current)
      current = part
    }
  }
  if (current) lines.push(current)
  return lines.map((line, i) => fitText([line], widthOf(i), fontSize))
}

/** Below this width a chart uses its compact layout: shorter wording, more lines in the header. */
export const NARROW_WIDTH = 480

/**
 * The first wording, in order of preference, that `wrapParts` fits without cutting anything; else the last one, cut.
 * Each attempt is the parts and the lines it may take.
 */
export function bestWrap(attempts: Array<[parts: string[], maxLines: number]>, widthOf: (line: number) => number, fontSize = 12): string[] {
  let lines: string[] = []
  for (const [parts, maxLines] of attempts) {
    lines = wrapParts(parts, widthOf, maxLines, fontSize)
    if (!lines.some((line) => line.endsWith('…'))) return lines
  }
  return lines
}

/**
 * The 70–180 mg/dL target shaded, a grid line at each consensus level and at the top, and their labels left of
 * the plot. On a short chart 54 and 70 come within a line's height: the top and the target's edges keep their
 * labels, a label that would overprint one already placed is left out (its grid line stays).
 */
export function glucoseGrid(
  plot: { left: number; top: number; right: number },
  y: (mgDl: number) => number,
  yMax: number,
  unit: GlucoseUnit,
  options: { strongTargetEdges?: boolean } = {},
): string[] {
  const out = [`<rect class="target-range" x="${px(plot.left)}" y="${px(y(180))}" width="${px(plot.right - plot.left)}" height="${px(y(70) - y(180))}" fill="${COLORS.target}"/>`]
  const labelled = new Map<number, Box>()
  for (const level of [yMax, 180, 70, 250, 54]) {
    const box = textBox(plot.left - 6, y(level) + 4, glucoseText(level, unit), 12, false, 'end')
    if (![...labelled.values()].some((b) => intersects(b, box))) labelled.set(level, box)
  }
  for (const level of [...CONSENSUS_LEVELS, yMax]) {
    const strong = options.strongTargetEdges && (level === 70 || level === 180)
    out.push(`<line x1="${px(plot.left)}" x2="${px(plot.right)}" y1="${px(y(level))}" y2="${px(y(level))}" stroke="${strong ? COLORS.targetEdge : COLORS.grid}"${strong ? ' stroke-width="1.5"' : ''}/>`)
    if (labelled.has(level)) out.push(text(plot.left - 6, y(level) + 4, glucoseText(level, unit), `class="y-label" text-anchor="end" fill="${COLORS.muted}"`))
  }
  return out
}
