// GET /api/v1/admin/sync: the sync engine for operators (tokens with the `admin` scope): queue depths, sync runs
// per provider and outcome over the last 5 and 60 minutes, connections by state, and the ones failing longest.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { connectionFigures, queueDepths, runFigures } from '../../sync/status.js'
import { errors } from '../schemas.js'

const nullableInt = Type.Union([Type.Integer(), Type.Null()])
const Runs = Type.Array(Type.Object({
  provider: Type.String(), outcome: Type.String(), runs: Type.Integer(), readingsStored: Type.Integer(), p50Ms: nullableInt, p99Ms: nullableInt,
}))
const SyncStatus = Type.Object({
  queues: Type.Array(Type.Object({ name: Type.String(), queued: Type.Integer(), active: Type.Integer(), deferred: Type.Integer(), failed: Type.Integer() })),
  runs: Type.Object({ last5Minutes: Runs, last60Minutes: Runs }),
  connections: Type.Object({
    byState: Type.Array(Type.Object({ provider: Type.String(), status: Type.String(), connections: Type.Integer(), due: Type.Integer(), scheduled: Type.Integer() })),
    failing: Type.Array(Type.Object({
      id: Type.String(), userId: Type.String(), provider: Type.String(), status: Type.String(), consecutiveFailures: Type.Integer(),
      lastError: Type.Union([Type.String(), Type.Null()]), lastSuccessAt: Type.Union([Type.String(), Type.Null()]), nextSyncAt: Type.Union([Type.String(), Type.Null()]),
    })),
    unfinishedRuns: Type.Integer({ description: 'Syncs started over 15 minutes ago that never finished: workers that died' }),
  }),
})

const adminSync: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/admin/sync', {
    preHandler: app.requireScope('admin'),
    schema: { response: { 200: SyncStatus, ...errors(401, 403) } },
  }, async () => {
    const [queues, last5Minutes, last60Minutes, connections] = await Promise.all([
      queueDepths(await app.jobs.boss()), runFigures(app.db.sql, 5), runFigures(app.db.sql, 60), connectionFigures(app.db.sql),
    ])
    const iso = (d: Date | null) => d?.toISOString() ?? null
    const failing = connections.failing.map((c) => ({ ...c, lastSuccessAt: iso(c.lastSuccessAt), nextSyncAt: iso(c.nextSyncAt) }))
    return { queues, runs: { last5Minutes, last60Minutes }, connections: { byState: [...connections.byState], unfinishedRuns: connections.unfinishedRuns, failing } }
  })
}
export default adminSync
