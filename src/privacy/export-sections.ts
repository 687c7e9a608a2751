// What GET /api/v1/me/export contains: one section per kind of data the service holds about the user, each a flat
// table (named columns, one row per record) so the JSON and CSV forms carry the same thing. Times are ISO 8601 UTC,
// glucose is mg/dL as stored, ids are the ones the API shows.
//
// Never exported: credentials and secrets (cgm_connections.credentials_encrypted, webhooks.secret_encrypted, the
// Nightscout upload site's secret_hash, oauth_states.state_hash: pending logins, minutes long, not exported at all)
// and a connection's sync cursor (the provider's paging position, not the user's data).
// bigint identity ids are cast to float8 so they are JSON numbers, as the alerts API shows them (exact below 2^53).
import type { PendingQuery, Row } from 'postgres'
import type { Sql } from '../db/connect.js'

export interface Section {
  name: string
  /** `one`: at most one row (shown as an object or null in JSON); `many`: a list. */
  shape: 'one' | 'many'
  query(sql: Sql, userId: string): PendingQuery<Row[]>
}

// Comment in every query: tells the export's statements apart in pg_stat_activity (and the streaming test uses it).
export const SECTIONS: Section[] = [
  {
    name: 'user', shape: 'one',
    query: (sql, id) => sql`/* export */ SELECT id, timezone, preferred_unit AS "preferredUnit", retention_days AS "retentionDays",
      created_at AS "createdAt" FROM users WHERE id = ${id}`,
  },
  {
    name: 'consents', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT id, provider, scope, policy_version AS "policyVersion", given_at AS "givenAt",
      revoked_at AS "revokedAt" FROM consents WHERE user_id = ${id} ORDER BY given_at, id`,
  },
  {
    name: 'connections', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT id, provider, status, region, last_reading_at AS "lastReadingAt",
      last_sync_at AS "lastSyncAt", last_success_at AS "lastSuccessAt", last_error AS "lastError",
      consecutive_failures AS "consecutiveFailures", next_sync_at AS "nextSyncAt", created_at AS "createdAt",
      updated_at AS "updatedAt" FROM cgm_connections WHERE user_id = ${id} ORDER BY created_at, id`,
  },
  {
    name: 'syncRuns', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT r.id::float8 AS id, r.connection_id AS "connectionId", r.provider, r.trigger,
      r.started_at AS "startedAt", r.finished_at AS "finishedAt", r.outcome, r.readings_stored AS "readingsStored",
      r.error FROM sync_runs r JOIN cgm_connections c ON c.id = r.connection_id WHERE c.user_id = ${id} ORDER BY r.id`,
  },
  {
    name: 'nightscoutUploadSite', shape: 'one',
    query: (sql, id) => sql`/* export */ SELECT site_id AS "siteId", created_at AS "createdAt",
      secret_rotated_at AS "rotatedAt", last_upload_at AS "lastUploadAt", last_device AS "lastDevice",
      last_upload AS "lastUpload" FROM nightscout_upload_sites WHERE user_id = ${id}`,
  },
  {
    name: 'alertSettings', shape: 'one',
    query: (sql, id) => sql`/* export */ SELECT urgent_low AS "urgentLow", low, high, rate, updated_at AS "updatedAt"
      FROM alert_settings WHERE user_id = ${id}`,
  },
  {
    name: 'alerts', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT id::float8 AS id, kind, threshold, reading_time AS "readingTime",
      value AS "valueMgDl", trend_rate AS "trendRate", last_seen_at AS "lastSeenAt", ended_at AS "endedAt",
      created_at AS "createdAt" FROM alerts WHERE user_id = ${id} ORDER BY id`,
  },
  {
    name: 'webhooks', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT id, url, event_types AS "eventTypes", enabled,
      consecutive_failures AS "consecutiveFailures", disabled_reason AS "disabledReason", created_at AS "createdAt"
      FROM webhooks WHERE user_id = ${id} ORDER BY created_at, id`,
  },
  {
    name: 'webhookDeliveries', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT d.id::float8 AS id, d.webhook_id AS "webhookId", d.event_id::float8 AS "eventId",
      d.event_type AS "eventType", d.payload, d.status, d.attempts, d.attempt_codes AS "attemptCodes",
      d.last_error AS "lastError", d.created_at AS "createdAt", d.finished_at AS "finishedAt"
      FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.user_id = ${id} ORDER BY d.id`,
  },
  {
    name: 'liveEvents', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT id::float8 AS id, type, payload, created_at AS "createdAt"
      FROM live_events WHERE user_id = ${id} ORDER BY id`,
  },
  {
    name: 'meals', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT id, eaten_at AS "eatenAt", name, notes, source, source_record_id AS "recordId",
      created_at AS "createdAt", updated_at AS "updatedAt" FROM meals WHERE user_id = ${id} ORDER BY eaten_at, id`,
  },
  {
    name: 'mealItems', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT i.meal_id AS "mealId", i.position, i.name, i.grams, i.carbs_g AS "carbsG",
      i.protein_g AS "proteinG", i.fat_g AS "fatG", i.fiber_g AS "fiberG", i.calories_kcal AS "caloriesKcal"
      FROM meal_items i JOIN meals m ON m.id = i.meal_id WHERE m.user_id = ${id} ORDER BY m.eaten_at, m.id, i.position`,
  },
  {
    name: 'mealResponses', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT r.meal_id AS "mealId", r.computed_at AS "computedAt",
      r.baseline_mg_dl AS "baselineMgDl", r.peak_mg_dl AS "peakMgDl", r.peak_rise_mg_dl AS "peakRiseMgDl",
      r.time_to_peak_min AS "timeToPeakMin", r.return_to_baseline_min AS "returnToBaselineMin", r.iauc_2h AS "iauc2h",
      r.iauc_3h AS "iauc3h", r.coverage_pct AS "coveragePct", r.largest_gap_min AS "largestGapMin", r.score, r.flags,
      r.no_response_reason AS "noResponseReason", r.series_source AS "seriesSource"
      FROM meal_glucose_responses r WHERE r.user_id = ${id} ORDER BY r.meal_id`,
  },
  {
    name: 'detectedMeals', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT id, onset_at AS "onsetAt", peak_at AS "peakAt", onset_mg_dl AS "onsetMgDl",
      peak_mg_dl AS "peakMgDl", rise_mg_dl AS "riseMgDl", max_rate_mg_dl_min AS "maxRateMgDlMin", confidence,
      series_source AS "seriesSource", status, meal_id AS "mealId", detected_at AS "detectedAt",
      answered_at AS "answeredAt" FROM detected_meals WHERE user_id = ${id} ORDER BY onset_at, id`,
  },
  {
    // Last and largest (288 a day per source): the section the cursor matters most for.
    name: 'readings', shape: 'many',
    query: (sql, id) => sql`/* export */ SELECT time, value AS "valueMgDl", source, trend, trend_rate AS "trendRate",
      source_record_id AS "recordId", ingested_at AS "ingestedAt"
      FROM glucose_readings WHERE user_id = ${id} ORDER BY time, source`,
  },
]
