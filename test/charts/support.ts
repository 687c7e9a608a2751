// The real app for the chart tests, a user who stores readings and meals and fetches SVGs, and small SVG readers
// (regexes over our own output: the charts are plain strings with one element per line or per tag).
import type { Test } from 'tap'
import { intersects, px, textBox, type Box } from '../../src/charts/svg.js'
import { startApp, type TestUser } from '../helpers.js'

export interface ChartUser extends TestUser {
  readings(points: Array<[iso: string, mgDl: number]>, source?: string): Promise<void>
  meal(eatenAt: string, name?: string): Promise<string>
  settings(changes: { timezone?: string; preferredUnit?: 'mg/dL' | 'mmol/L' }): Promise<void>
  /** GET path as this user; the body as text (SVG or JSON error). */
  get(path: string, token?: string | null): Promise<{ status: number; type: string; text: string; headers: Headers }>
}

export async function startChartsApp(t: Test) {
  const app = await startApp(t)
  return {
    ...app,
    newUser(): ChartUser {
      const user = app.newUser()
      return {
        ...user,
        async readings(points, source = 'DEXCOM') {
          for (let i = 0; i < points.length; i += 5000) {
            const readings = points.slice(i, i + 5000).map(([time, value]) => ({ time, value }))
            const res = await user.request('POST', '/api/v1/glucose/readings', { source, readings })
            if (res.status !== 200 || res.body.rejected.length) throw new Error(`ingest failed: ${JSON.stringify(res.body)}`)
          }
        },
        async meal(eatenAt, name = 'Meal') {
          const res = await user.request('POST', '/api/v1/meals', { eatenAt, name })
          if (res.status !== 201) throw new Error(`meal failed: ${JSON.stringify(res.body)}`)
          return res.body.id as string
        },
        async settings(changes) {
          const res = await user.request('PATCH', '/api/v1/me', changes)
          if (res.status !== 200) throw new Error(`PATCH /me failed: ${JSON.stringify(res.body)}`)
        },
        async get(path, token = user.token) {
          const res = await fetch(app.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} })
          return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text(), headers: res.headers }
        },
      }
    },
  }
}

/** Every element with this class: its whole tag text. */
export const byClass = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`<[a-z]+[^>]*? class="${cls}"[^>]*>`, 'g'))].map((m) => m[0])

/** An attribute of a tag. */
export function attr(tag: string, name: string): string {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag)
  if (!m) throw new Error(`no ${name}= in ${tag}`)
  return m[1]!
}

/** The vertices of a path's d (M/L lists of "x,y"), as formatted numbers. */
export const vertices = (d: string) => [...d.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => `${m[1]},${m[2]}`)

/** How a chart writes the point (x, y). */
export const point = (x: number, y: number) => `${px(x)},${px(y)}`

/** The text content of the element with this class. */
export function textOf(svg: string, cls: string): string {
  const m = new RegExp(`<text[^>]*? class="${cls}"[^>]*>([^<]*)</text>`).exec(svg)
  if (!m) throw new Error(`no text of class ${cls}`)
  return m[1]!
}

/** Every <text> of a chart with its estimated box (src/charts/svg.ts's per-character widths) and content. */
export function textBoxes(svg: string): Array<Box & { content: string; cls: string }> {
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
  return [...svg.matchAll(/<text([^>]*)>([^<]*)<\/text>/g)].map(([, attrs, raw]) => {
    const get = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(attrs!)?.[1]
    const content = unescape(raw!)
    const anchor = (get('text-anchor') ?? 'start') as 'start' | 'middle' | 'end'
    const box = textBox(Number(get('x')), Number(get('y')), content, Number(get('font-size') ?? 12), get('font-weight') === '700', anchor)
    return { ...box, content, cls: get('class') ?? '' }
  })
}

/** What is wrong with a chart's layout: texts outside the picture, and pairs of texts (or a text and a `boxClass` rect) that overlap. */
export function layoutProblems(svg: string, boxClass?: string): string[] {
  const [width, height] = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)!.slice(1).map(Number) as [number, number]
  const boxes = textBoxes(svg)
  const show = (b: (typeof boxes)[number]) => `"${b.content}" [${px(b.left)}…${px(b.right)} × ${px(b.top)}…${px(b.bottom)}]`
  const out: string[] = []
  for (const b of boxes) if (b.left < 0 || b.top < 0 || b.right > width || b.bottom > height) out.push(`outside ${width}×${height}: ${show(b)}`)
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => intersects(a, b) && out.push(`overlap: ${show(a)} and ${show(b)}`)))
  for (const rect of boxClass ? byClass(svg, boxClass) : []) {
    const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((n) => Number(attr(rect, n))) as [number, number, number, number]
    const r = { left: x, top: y, right: x + w, bottom: y + h }
    for (const b of boxes) if (intersects(r, b) && !(b.left >= r.left && b.right <= r.right && b.top >= r.top && b.bottom <= r.bottom)) out.push(`${boxClass} overlaps ${show(b)}`)
  }
  return out
}

/** The document's id prefix (`agp-1a2b3c4d`), read from the root's aria-labelledby; throws if it is not there. */
export function idPrefix(svg: string, kind: string): string {
  const m = new RegExp(`aria-labelledby="(${kind}-[0-9a-f]{8})-title \\1-desc"`).exec(svg)
  if (!m) throw new Error(`no ${kind} id prefix in the root element`)
  return m[1]!
}
