// The process's Prometheus metrics (prom-client), served by GET /metrics (src/plugins/metrics.ts). Module-level on
// purpose: what counts them (storeReadings, endRun) runs in the API, in workers and in CLIs, and must not need a
// Fastify instance to reach a counter. One registry per process; a separate `npm run worker` serves its own on
// WORKER_METRICS_PORT (src/metrics/worker-server.ts).
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'

export const registry = new Registry()

// Process metrics (CPU, resident memory, event-loop lag, GC, handles) under their standard names.
collectDefaultMetrics({ register: registry })

/**
 * One observation per request: its `_count` is the request count, so no separate counter is kept. `route` is the
 * route's pattern (`/api/v1/meals/:id`), never the raw URL, so user ids and query strings cannot multiply series;
 * requests matching no route share `route="unmatched"`.
 */
export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests by method, route pattern and status code: latency in seconds (the _count is the request count)',
  labelNames: ['method', 'route', 'status_code'] as const,
  // From a cached latest read (~2 ms) to a year of meal insights or a 50 MB import (seconds).
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
})

export const readingsStored = new Counter({
  name: 'glucose_readings_stored_total',
  help: 'Glucose readings written, by source (DEXCOM, LIBRE, NIGHTSCOUT, IMPORT…) and kind (inserted, or updated: a revised value)',
  labelNames: ['source', 'kind'] as const,
  registers: [registry],
})

export const syncRuns = new Counter({
  name: 'glucose_sync_runs_total',
  help: 'Provider syncs finished, by provider and outcome (ok, rate_limited, unavailable, reauth_required, error, crashed)',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
})

export const syncDuration = new Histogram({
  name: 'glucose_sync_duration_seconds',
  help: 'Duration of finished provider syncs in seconds (from taking the connection lock to the run log), by provider',
  labelNames: ['provider'] as const,
  // A 5-minute sync is well under a second; a 90-day backfill is minutes.
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
})

/** storeReadings wrote `stored` readings of `source`. */
export function countStoredReadings(source: string, stored: { inserted: number; updated: number }): void {
  if (stored.inserted > 0) readingsStored.inc({ source, kind: 'inserted' }, stored.inserted)
  if (stored.updated > 0) readingsStored.inc({ source, kind: 'updated' }, stored.updated)
}

/** A sync of `provider` finished with `outcome` after `seconds`. */
export function countSyncRun(provider: string, outcome: string, seconds: number): void {
  syncRuns.inc({ provider, outcome })
  syncDuration.observe({ provider }, seconds)
}
