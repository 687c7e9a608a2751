// Data retention (issue 6): health data older than a period is deleted. Two periods: the global one (RETENTION_DAYS,
// for everyone) and a user's own (users.retention_days, set with PATCH /api/v1/me). A user's period can only
// shorten what is kept: the global period applies to everyone, so the effective period is the smaller of the two.
//
// What "health data" means here, and so what is deleted by age:
// - glucose_readings by reading time;
// - meals by eaten_at (their items and computed responses go with them: ON DELETE CASCADE);
// - detected_meals by onset; alerts by the newest reading of the episode (last_seen_at);
// - webhook_deliveries by creation (each holds a copy of an event's payload: a reading, an alert);
// - live_events by creation (pruned after 24 h anyway, src/live/events.ts; covered for periods of one day).
// What is kept regardless of age, until the user deletes it or the account: consents (the record of what the user
// agreed to and when, which must outlive the data it allowed), connections, webhooks, alert settings and the
// Nightscout upload site (settings, not measurements), and sync_runs (no health values; pruned after 7 days by the
// sync engine).
import type { Sql, Tx } from '../db/connect.js'

export interface PurgeCounts {
  readings: number
  meals: number
  detectedMeals: number
  alerts: number
  webhookDeliveries: number
  liveEvents: number
}

export interface RetentionResult {
  /** The global period's run; null when RETENTION_DAYS is unset. */
  global: (PurgeCounts & { mode: 'policy' | 'job'; chunksDropped: number }) | null
  /** Users whose own period was applied, and what it deleted in total. */
  users: number
  perUser: PurgeCounts
  /** Audit rows past AUDIT_RETENTION_DAYS deleted; null when it is unset (kept for ever). */
  auditRows: number | null
}

export interface RetentionPeriods {
  /** RETENTION_DAYS: health data; null keeps it for ever. */
  days: number | null
  /** AUDIT_RETENTION_DAYS: audit rows (at least 365, as migrations/0025 enforces); null keeps them for ever. */
  auditDays: number | null
}

// Audit rows are deleted this many per transaction: a first run over years of rows holds no long lock.
const AUDIT_PRUNE_BATCH = 10_000

const zero = (): PurgeCounts => ({ readings: 0, meals: 0, detectedMeals: 0, alerts: 0, webhookDeliveries: 0, liveEvents: 0 })

/** One run of the retention job: the global period, every user's own shorter period, then the audit period. */
export async function runRetention(sql: Sql, periods: RetentionPeriods): Promise<RetentionResult> {
  const globalDays = periods.days
  const global = await applyGlobalRetention(sql, globalDays)
  const users = await sql<{ id: string; cutoff: Date }[]>`
    SELECT id, now() - make_interval(days => retention_days) AS cutoff FROM users
    WHERE retention_days IS NOT NULL AND (${globalDays}::integer IS NULL OR retention_days < ${globalDays}::integer)`
  const perUser = zero()
  // One transaction per user: a user's rows go together, and no lock is held across users.
  for (const user of users) {
    const counts = await sql.begin((tx) => purge(tx, user.cutoff, user.id))
    for (const key of Object.keys(perUser) as Array<keyof PurgeCounts>) perUser[key] += counts[key]
  }
  return { global, users: users.length, perUser, auditRows: await pruneAudit(sql, periods.auditDays) }
}

/**
 * Audit rows older than the audit period, through the one door migrations/0025 opens in the append-only trigger:
 * the cutoff named in glucose.audit_prune_before, which the trigger accepts only 365 days or more in the past.
 * A separate period from health data: the record of who accessed data is kept longer than the data (HIPAA keeps
 * required documentation 6 years, 45 CFR 164.316(b)(2)(i); the README suggests AUDIT_RETENTION_DAYS=2190).
 */
async function pruneAudit(sql: Sql, days: number | null): Promise<number | null> {
  if (days === null) return null
  let total = 0
  for (;;) {
    const deleted = await sql.begin(async (tx) => {
      // The cutoff is computed and named in one statement; the DELETE reads the same setting the trigger checks.
      await tx`SELECT set_config('glucose.audit_prune_before', (now() - make_interval(days => ${days}))::text, true)`
      return (await tx`
        DELETE FROM audit_log WHERE id IN (
          SELECT id FROM audit_log WHERE at < current_setting('glucose.audit_prune_before')::timestamptz
          ORDER BY at LIMIT ${AUDIT_PRUNE_BATCH})`).count
    })
    total += deleted
    if (deleted < AUDIT_PRUNE_BATCH) return total
  }
}

/**
 * The global period. On the full edition TimescaleDB's retention policies drop old chunks of the readings and the
 * rollups (kept in step with the period by apply_glucose_retention_policies, migrations/0021_privacy.full.sql); on
 * the Apache edition, which refuses policies, this job drops them with drop_chunks. Either way chunks go whole (7
 * days each for readings), so the rows older than the period in the one chunk that straddles it are deleted here:
 * nothing older than the period survives a run.
 */
async function applyGlobalRetention(sql: Sql, days: number | null): Promise<RetentionResult['global']> {
  const [applied] = await sql<{ mode: 'policy' | 'job' }[]>`SELECT apply_glucose_retention_policies(${days}::integer) AS mode`
  if (days === null) return null
  const mode = applied!.mode
  const [{ cutoff } = { cutoff: new Date() }] = await sql<{ cutoff: Date }[]>`SELECT now() - make_interval(days => ${days}) AS cutoff`
  let chunksDropped = 0
  if (mode === 'job') {
    const dropped = await sql`SELECT drop_chunks('glucose_readings', older_than => ${cutoff}::timestamptz)`
    chunksDropped = dropped.length
  }
  const counts = await sql.begin((tx) => purge(tx, cutoff))
  return { mode, chunksDropped, ...counts }
}

/** Deletes health data older than `cutoff`, of one user or (userId undefined) of everyone. */
async function purge(tx: Tx, cutoff: Date, userId?: string): Promise<PurgeCounts> {
  const ofUser = (column: string) => (userId === undefined ? tx`` : tx`AND ${tx(column)} = ${userId}`)
  // Readings: after drop_chunks (or a policy) only the chunk holding the cutoff has older rows, so for the global
  // period the DELETE is bounded to that chunk's range: chunk exclusion keeps it from visiting the others (which,
  // on the full edition, a policy not yet run may still hold; the policy drops those whole).
  const [straddling] = userId === undefined
    ? await tx<{ start: Date }[]>`
        SELECT range_start AS start FROM timescaledb_information.chunks
        WHERE hypertable_schema = 'public' AND hypertable_name = 'glucose_readings'
          AND range_start <= ${cutoff}::timestamptz AND range_end > ${cutoff}::timestamptz`
    : []
  const readings = userId === undefined && !straddling
    ? { count: 0 }
    : await tx`
        DELETE FROM glucose_readings WHERE time < ${cutoff}::timestamptz ${ofUser('user_id')}
          ${straddling ? tx`AND time >= ${straddling.start}::timestamptz` : tx``}`
  const meals = await tx`DELETE FROM meals WHERE eaten_at < ${cutoff}::timestamptz ${ofUser('user_id')}`
  const detectedMeals = await tx`DELETE FROM detected_meals WHERE onset_at < ${cutoff}::timestamptz ${ofUser('user_id')}`
  const alerts = await tx`DELETE FROM alerts WHERE last_seen_at < ${cutoff}::timestamptz ${ofUser('user_id')}`
  const webhookDeliveries = await tx`
    DELETE FROM webhook_deliveries d USING webhooks w
    WHERE w.id = d.webhook_id AND d.created_at < ${cutoff}::timestamptz ${ofUser('w.user_id')}`
  const liveEvents = await tx`DELETE FROM live_events WHERE created_at < ${cutoff}::timestamptz ${ofUser('user_id')}`
  return {
    readings: readings.count,
    meals: meals.count,
    detectedMeals: detectedMeals.count,
    alerts: alerts.count,
    webhookDeliveries: webhookDeliveries.count,
    liveEvents: liveEvents.count,
  }
}
