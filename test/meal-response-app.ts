// The real app for the analytics tests, with helpers to store a curve and a meal at minute offsets from t0.
import type { Test } from 'tap'
import type { Sql } from '../src/db/connect.js'
import { startApp, type TestUser } from './helpers.js'

export interface ResponseApp {
  sql: Sql
  newUser(): TestUser & {
    /** Stores readings at minute offsets from t0 for one source. */
    readings(t0: string, points: Array<[minutes: number, mgDl: number]>, source?: string): Promise<void>
    /** Logs a meal at t0 and returns its id. */
    meal(t0: string, name?: string): Promise<string>
    /** GET /meals/:id/response, asserting 200. */
    response(mealId: string): Promise<any>
  }
}

export async function startResponseApp(t: Test): Promise<ResponseApp> {
  const app = await startApp(t)
  return {
    sql: app.db.sql,
    newUser() {
      const user = app.newUser()
      const send = user.request
      return {
        ...user,
        async readings(t0, points, source = 'DEXCOM') {
          const base = Date.parse(t0)
          const readings = points.map(([m, value]) => ({ time: new Date(base + m * 60_000).toISOString(), value }))
          const res = await send('POST', '/api/v1/glucose/readings', { source, readings })
          if (res.status !== 200 || res.body.rejected.length) throw new Error(`ingest failed: ${JSON.stringify(res.body)}`)
        },
        async meal(t0, name = 'Meal') {
          const res = await send('POST', '/api/v1/meals', { eatenAt: t0, name })
          if (res.status !== 201) throw new Error(`meal failed: ${JSON.stringify(res.body)}`)
          return res.body.id as string
        },
        async response(mealId) {
          const res = await send('GET', `/api/v1/meals/${mealId}/response`)
          if (res.status !== 200) throw new Error(`GET response: ${res.status} ${JSON.stringify(res.body)}`)
          return res.body
        },
      }
    },
  }
}

/** [minute, value] pairs every `step` minutes from `from` to `to` inclusive, values from `value(minute)`. */
export function every(step: number, from: number, to: number, value: (m: number) => number): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let m = from; m <= to; m += step) out.push([m, value(m)])
  return out
}
