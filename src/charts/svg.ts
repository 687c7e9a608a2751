// The few pieces every chart shares: XML escaping, coordinate formatting, linear scales, the document shell with its
// accessible name, glucose labels in the user's unit, and the palette. Charts are plain strings: no DOM, no
// dependency, so a chart renders the same in a browser <img>, a notebook or a PDF report.
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
 * The whole document. role="img" with aria-labelledby naming <title> and <desc>: screen readers announce the title
 * and the key numbers, since the picture itself says nothing to them (WAI-ARIA Graphics, SVG-AAM §5.3).
 */
export function document(kind: string, size: Size, title: string, desc: string, body: string[]): string {
  const { width, height } = size
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${kind}-title ${kind}-desc" font-family="${esc(FONT)}" font-size="12" fill="${COLORS.text}">`,
    `<title id="${kind}-title">${esc(title)}</title>`,
    `<desc id="${kind}-desc">${esc(desc)}</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
  ].join('\n')
}

/** A text element; `attrs` are trusted (built here), the content is escaped. */
export function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${px(x)}" y="${px(y)}"${attrs ? ` ${attrs}` : ''}>${esc(content)}</text>`
}
