// Diagnostic, with BENCH_SPLITS=1: where an HTTP ingest request's time goes. The route's own steps run here one
// by one on the same batches, outside HTTP: JSON.parse of the body, validateReadings, storeReadings (the unnest
// upsert), next to one COPY statement per batch (the same transaction granularity as one request). What the HTTP
// scenario measured beyond their sum is Fastify, the socket and the body schema.
import { performance } from 'node:perf_hooks'
import type { Sql } from '../../src/db/connect.js'
import { storeReadings } from '../../src/glucose/store-readings.js'
import { validateReadings } from '../../src/glucose/validate-readings.js'
import { copyText, ingestBody } from '../lib/readings.js'
import { round } from '../lib/timing.js'
import { benchUserIds, createUsers } from '../lib/users.js'
import type { Workload } from '../lib/workload.js'
import { copyChunks } from './copy.js'

export interface IngestSplits {
  batches: number
  msPerBatch: { jsonParse: number; validate: number; storeReadings: number; copyOneStatement: number }
}

export async function ingestSplitsScenario(sql: Sql, workload: Workload): Promise<IngestSplits> {
  const storeUsers = benchUserIds(workload.batches.length)
  const copyUsers = benchUserIds(workload.batches.length)
  await createUsers(sql, [...storeUsers, ...copyUsers])
  const bodies = workload.batches.map((batch) => ingestBody(batch).toString('utf8'))
  const total = { jsonParse: 0, validate: 0, storeReadings: 0, copyOneStatement: 0 }
  const clock = async <T>(key: keyof typeof total, fn: () => T | Promise<T>): Promise<T> => {
    const start = performance.now()
    const value = await fn()
    total[key] += performance.now() - start
    return value
  }
  for (const [i, batch] of workload.batches.entries()) {
    const body = await clock('jsonParse', () => JSON.parse(bodies[i]!) as { readings: unknown[] })
    const { valid } = await clock('validate', () => validateReadings(body.readings, 'mg/dL'))
    await clock('storeReadings', () => storeReadings(sql, storeUsers[i]!, 'IMPORT', valid))
    const text = copyText(batch, copyUsers[i]!)
    await clock('copyOneStatement', () => copyChunks(sql, [text]))
  }
  const n = workload.batches.length
  return {
    batches: n,
    msPerBatch: {
      jsonParse: round(total.jsonParse / n, 1),
      validate: round(total.validate / n, 1),
      storeReadings: round(total.storeReadings / n, 1),
      copyOneStatement: round(total.copyOneStatement / n, 1),
    },
  }
}
