// The real app for the chart tests, a user who stores readings and meals and fetches SVGs, and small SVG readers
// (regexes over our own output: the charts are plain strings with one element per line or per tag).
import type { Test } from 'tap'
import { px } from '../../src/charts/svg.js'
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
