// Alert episodes in the database (table alerts): evaluated on each commit of readings, under the user's event
// lock (src/live/events.ts), so two commits of one user are never evaluated at once.
import type { Sql, Tx } from '../db/connect.js'
import {
  ALERT_KINDS, ALERT_MAX_AGE_MS, DEFAULT_ALERT_SETTINGS, EPISODE_GAP_MS, hasRecovered, isPast, thresholdOf,
  type AlertKind, type AlertReading, type AlertSettings,
} from './alert-rules.js'

export interface AlertView {
  id: number
  kind: AlertKind
  threshold: number
  readingTime: string
  value: number
  trendRate: number | null
  endedAt: string | null
  createdAt: string
}

interface OpenEpisode {
  id: string
  kind: AlertKind
  last_seen_at: Date
}

/**
 * Applies `readings` (oldest first) to the user's open episodes: a reading past a threshold with no open episode
 * raises an alert; one back past it by the margin ends the episode; a gap of EPISODE_GAP_MS ends it too. Readings
 * older than ALERT_MAX_AGE_MS, or not newer than an episode's last reading, change nothing. Returns the new alerts.
 */
export async function evaluateAlerts(tx: Tx, userId: string, readings: AlertReading[], now = Date.now()): Promise<AlertView[]> {
  const fresh = readings.filter((r) => now - r.time.getTime() <= ALERT_MAX_AGE_MS)
  if (fresh.length === 0) return []
  // Three reads sent together (one round trip on every commit of readings): nothing between them writes.
  const [settings, openRows, endedRows] = await Promise.all([
    alertSettings(tx, userId),
    tx<OpenEpisode[]>`SELECT id, kind, last_seen_at FROM alerts WHERE user_id = ${userId} AND ended_at IS NULL`,
    tx<{ kind: AlertKind; ended_at: Date }[]>`
      SELECT kind, max(ended_at) AS ended_at FROM alerts WHERE user_id = ${userId} AND ended_at IS NOT NULL GROUP BY kind`,
  ])
  const open = new Map<AlertKind, OpenEpisode>()
  for (const e of openRows) open.set(e.kind, e)
  // A late reading from before the end of the last episode belongs to that past, not to a new episode.
  const lastEnded = new Map<AlertKind, Date>()
  for (const e of endedRows) lastEnded.set(e.kind, e.ended_at)
  const raised: AlertView[] = []
  for (const r of fresh) {
    for (const kind of ALERT_KINDS) {
      const threshold = thresholdOf(settings, kind)
      let episode = open.get(kind)
      if (episode && r.time <= episode.last_seen_at) continue // already applied, or arrived out of order
      if (!episode && r.time <= (lastEnded.get(kind) ?? 0)) continue
      if (episode && r.time.getTime() - episode.last_seen_at.getTime() > EPISODE_GAP_MS) {
        await tx`UPDATE alerts SET ended_at = last_seen_at WHERE id = ${episode.id}`
        open.delete(kind)
        episode = undefined
      }
      if (episode) {
        // Turned off since it opened, or recovered by the margin: over. Otherwise (still past it, or in the
        // hysteresis band) it stays open and this reading is its newest.
        const over = threshold === null || hasRecovered(kind, threshold, r)
        await tx`UPDATE alerts SET ${over ? tx({ ended_at: r.time }) : tx({ last_seen_at: r.time })} WHERE id = ${episode.id}`
        if (over) open.delete(kind)
        else episode.last_seen_at = r.time
      } else if (threshold !== null && isPast(kind, threshold, r)) {
        const [row] = await tx<AlertRow[]>`
          INSERT INTO alerts (user_id, kind, threshold, reading_time, value, trend_rate, last_seen_at)
          VALUES (${userId}, ${kind}, ${threshold}, ${r.time}, ${r.value}, ${r.trendRate}, ${r.time})
          ON CONFLICT (user_id, kind) WHERE ended_at IS NULL DO NOTHING
          RETURNING ${tx(ALERT_COLUMNS)}`
        if (row) {
          raised.push(view(row))
          open.set(kind, { id: String(row.id), kind, last_seen_at: r.time })
        }
      }
    }
  }
  return raised
}

export async function alertSettings(sql: Sql | Tx, userId: string): Promise<AlertSettings> {
  const [row] = await sql<AlertSettings[]>`
    SELECT urgent_low AS "urgentLow", low, high, rate FROM alert_settings WHERE user_id = ${userId}`
  return row ?? DEFAULT_ALERT_SETTINGS
}

export async function saveAlertSettings(sql: Sql, userId: string, s: AlertSettings): Promise<AlertSettings> {
  await sql`
    INSERT INTO alert_settings (user_id, urgent_low, low, high, rate)
    VALUES (${userId}, ${s.urgentLow}, ${s.low}, ${s.high}, ${s.rate})
    ON CONFLICT (user_id) DO UPDATE SET
      (urgent_low, low, high, rate, updated_at) = (EXCLUDED.urgent_low, EXCLUDED.low, EXCLUDED.high, EXCLUDED.rate, now())`
  return alertSettings(sql, userId)
}

/** The user's alerts, newest first; `open` only episodes not yet over. */
export async function listAlerts(sql: Sql, userId: string, options: { from: Date; to: Date; open: boolean; limit: number }): Promise<AlertView[]> {
  const rows = await sql<AlertRow[]>`
    SELECT ${sql(ALERT_COLUMNS)} FROM alerts
    WHERE user_id = ${userId} AND reading_time >= ${options.from} AND reading_time < ${options.to}
      ${options.open ? sql`AND ended_at IS NULL` : sql``}
    ORDER BY id DESC LIMIT ${options.limit}`
  return rows.map(view)
}

interface AlertRow {
  id: string
  kind: AlertKind
  threshold: number
  reading_time: Date
  value: number
  trend_rate: number | null
  ended_at: Date | null
  created_at: Date
}

const ALERT_COLUMNS = ['id', 'kind', 'threshold', 'reading_time', 'value', 'trend_rate', 'ended_at', 'created_at']

function view(r: AlertRow): AlertView {
  return {
    id: Number(r.id), kind: r.kind, threshold: r.threshold, readingTime: r.reading_time.toISOString(), value: r.value,
    trendRate: r.trend_rate, endedAt: r.ended_at?.toISOString() ?? null, createdAt: r.created_at.toISOString(),
  }
}
