// Shared by the import tests: the app, uploads as text/csv or multipart, and the stored rows of a user.
import type { Test } from 'tap'
import type { Config } from '../../src/config.js'
import { startApp, type Running, type TestUser } from '../helpers.js'

/** The app, whose /api/v1/imports route the tests upload to. */
export function startImportApp(t: Test, overrides: Partial<Config> = {}): Promise<Running> {
  return startApp(t, overrides)
}

export async function upload(app: Running, user: TestUser, csv: string | Uint8Array, options: { multipart?: boolean; query?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${user.token}` }
  let body: RequestInit['body']
  if (options.multipart) {
    const form = new FormData()
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'export.csv')
    body = form
  } else {
    headers['content-type'] = 'text/csv; charset=utf-8'
    body = csv
  }
  const response = await fetch(`${app.url}/api/v1/imports${options.query ? `?${options.query}` : ''}`, { method: 'POST', headers, body })
  return { status: response.status, body: (await response.json()) as any }
}

export interface StoredRow {
  time: string
  value: number
  source: string
  trendRate: number | null
}

export async function storedRows(app: Running, userId: string): Promise<StoredRow[]> {
  const rows = await app.db.sql<{ time: Date; value: number; source: string; trendRate: number | null }[]>`
    SELECT time, value, source::text AS source, trend_rate AS "trendRate"
    FROM glucose_readings WHERE user_id = ${userId} ORDER BY time`
  return rows.map((r) => ({ ...r, time: r.time.toISOString() }))
}
