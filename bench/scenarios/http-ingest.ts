// (b) The HTTP bulk ingest path end to end: JSON parse, body schema, per-item validation, the unnest upsert and
// the reply, through a real socket. The app runs in this process: requests go one at a time (or
// BENCH_HTTP_CONCURRENCY at a time) and the client only writes a ready Buffer, so client and server barely compete
// for the CPU. One request per 10,000-reading batch, the endpoint's maximum; one user per batch.
import type { FastifyInstance } from 'fastify'
import { signToken } from '../../src/auth/sign-token.js'
import type { Config } from '../../src/config.js'
import type { Sql } from '../../src/db/connect.js'
import { keepAliveAgent, send } from '../lib/http.js'
import { ingestBody, type SyntheticReading } from '../lib/readings.js'
import type { IngestPath } from '../lib/rounds.js'
import { createUsers } from '../lib/users.js'
import type { Workload } from '../lib/workload.js'

const PATH = '/api/v1/glucose/readings'

interface Upload {
  token: string
  body: Buffer
  readings: number
}

export async function prepareHttpIngest(
  app: FastifyInstance,
  config: Config,
  sql: Sql,
  workload: Workload,
  userIds: readonly string[],
  warmup: { userId: string; batch: SyntheticReading[] },
  concurrency: number,
): Promise<IngestPath & { concurrency: number; bodyBytes: number; close(): Promise<void> }> {
  // Users exist up front like in the other paths; the auth plugin's ensureUser then only confirms them.
  await createUsers(sql, [...userIds, warmup.userId])
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const agent = keepAliveAgent(concurrency)
  const post = async (upload: Upload) => {
    const res = await send(agent, url + PATH, { method: 'POST', headers: { authorization: `Bearer ${upload.token}` }, body: upload.body })
    const inserted = res.status === 200 ? (JSON.parse(res.body) as { inserted: number }).inserted : -1
    // A rejected or partly stored batch would make the figure meaningless: stop instead of reporting it.
    if (inserted !== upload.readings) throw new Error(`POST ${PATH} answered ${res.status}, inserted ${inserted} of ${upload.readings}: ${res.body.slice(0, 300)}`)
  }
  // Two warm-up requests: the first compiles the route's schemas and JITs the validation loop.
  const half = Math.ceil(warmup.batch.length / 2)
  for (const part of [warmup.batch.slice(0, half), warmup.batch.slice(half)]) {
    await post({ token: signToken(config, warmup.userId), body: ingestBody(part), readings: part.length })
  }
  const uploads: Upload[] = workload.batches.map((batch, i) => ({ token: signToken(config, userIds[i]!), body: ingestBody(batch), readings: batch.length }))
  return {
    name: 'http',
    concurrency,
    bodyBytes: Math.round(uploads.reduce((sum, u) => sum + u.body.length, 0) / uploads.length),
    async run(batches) {
      let next = 0
      const worker = async () => {
        while (next < batches.length) await post(uploads[batches[next++]!]!)
      }
      await Promise.all(Array.from({ length: concurrency }, worker))
    },
    async close() {
      agent.destroy()
      await app.close()
    },
  }
}
