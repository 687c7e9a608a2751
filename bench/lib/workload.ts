// The ingest workload shared by the COPY, HTTP and INSERT scenarios: N readings in batches of 10,000 (the HTTP
// endpoint's per-request maximum), one user per batch (10,000 readings = ~35 days of 5-minute data, the size of a
// first sync or a CSV import). Each scenario stores the same series under its own fresh users.
import { syntheticSeries, type SyntheticReading } from './readings.js'

export const BATCH_SIZE = 10_000

export interface Workload {
  rows: number
  batches: SyntheticReading[][] // batch i goes to user i of the scenario
  end: number // epoch ms of the newest reading
}

export function buildWorkload(rows: number, end: number): Workload {
  const batches: SyntheticReading[][] = []
  for (let done = 0, i = 0; done < rows; done += BATCH_SIZE, i++) {
    batches.push(syntheticSeries(Math.min(BATCH_SIZE, rows - done), end, 1000 + i))
  }
  return { rows, batches, end }
}

/** One extra batch for the warm-up before each timed section (seeded apart from the timed data). */
export function warmupBatch(end: number): SyntheticReading[] {
  return syntheticSeries(BATCH_SIZE, end, 1)
}
