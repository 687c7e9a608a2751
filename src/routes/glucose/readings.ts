// POST /api/v1/glucose/readings (bulk ingest) and GET /api/v1/glucose/readings (raw or downsampled).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { BUCKET_NAMES, readBuckets, readReadings } from '../../glucose/read-readings.js'
import { storeReadings } from '../../glucose/store-readings.js'
import { readingsCommitted } from '../../live/readings-committed.js'
import { READING_SOURCES, TRENDS } from '../../glucose/trends.js'
import { validateReadings } from '../../glucose/validate-readings.js'
import { badRequest, DateTime, DAY_MS, errors, tooEarly, Unit } from '../schemas.js'

// Raw reads are bounded so one request cannot pull years of 1-minute data; longer spans take a bucket.
const MAX_RAW_SPAN_DAYS = 31
const MAX_BUCKETED_SPAN_DAYS = 366

const ReadingItem = Type.Object(
  {
    time: Type.Union([Type.String({ format: 'date-time' }), Type.Integer()], { description: 'ISO 8601 with offset, or epoch ms' }),
    value: Type.Number({ description: 'Glucose in the batch unit' }),
    trend: Type.Optional(Type.Union([Type.Enum(TRENDS), Type.Null()])),
    trendRate: Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: 'Rate of change, unit per minute' })),
    recordId: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "The provider's id of this reading" })),
  },
  { additionalProperties: false, description: 'Each item is checked on its own; problems are reported with their index.' },
)

const IngestBody = Type.Object(
  {
    unit: Type.Optional(Unit),
    source: Type.Optional(Type.Enum(READING_SOURCES, { default: 'IMPORT' })),
    partial: Type.Optional(Type.Boolean({ description: 'Store the valid readings even if some are invalid' })),
    // Items are validated one by one in the handler (validateReadings), not here: a schema failure would reject the
    // whole batch with one message, while clients need every bad index and, with partial=true, the rest stored.
    readings: Type.Array(Type.Unknown(), { minItems: 1, description: `Array of ${JSON.stringify(ReadingItem)}` }),
  },
  { additionalProperties: false },
)

const IngestResult = Type.Object({
  received: Type.Integer(),
  inserted: Type.Integer(),
  updated: Type.Integer({ description: 'Readings already stored with another value (revised)' }),
  unchanged: Type.Integer({ description: 'Readings already stored as sent (re-sends)' }),
  rejected: Type.Array(Type.Object({ index: Type.Integer(), field: Type.String(), message: Type.String() })),
})

const ReadQuery = Type.Object(
  {
    from: Type.Optional(DateTime('Start, inclusive (default: 24 h before `to`)')),
    to: Type.Optional(DateTime('End, exclusive (default: now)')),
    bucket: Type.Optional(Type.Enum(BUCKET_NAMES, { description: 'Downsample to this bucket' })),
    unit: Type.Optional(Unit),
  },
  { additionalProperties: false },
)

const ReadResult = Type.Object({
  unit: Unit,
  from: Type.String(),
  to: Type.String(),
  bucket: Type.Optional(Type.String()),
  readings: Type.Array(Type.Object({}, { additionalProperties: true })),
})

const readings: FastifyPluginAsyncTypebox<{ maxReadings: number }> = async (app, opts) => {
  app.post(
    '/glucose/readings',
    {
      schema: {
        body: IngestBody,
        response: { 200: IngestResult, ...errors(400, 401) },
      },
    },
    async (request, reply) => {
      const { readings: items, unit = 'mg/dL', source = 'IMPORT', partial = false } = request.body
      if (items.length > opts.maxReadings) {
        return reply.code(400).send(badRequest(`at most ${opts.maxReadings} readings per request; got ${items.length}: split the batch`))
      }
      const { valid, problems } = validateReadings(items, unit)
      if (problems.length > 0 && !partial) {
        const bad = new Set(problems.map((p) => p.index)).size
        const message = `${bad} of ${items.length} readings are invalid, so none were stored; fix them, or send "partial": true to store the ${items.length - bad} valid ones`
        return reply.code(400).send(badRequest(message, problems))
      }
      const stored = await storeReadings(app.db.sql, request.userId, source, valid)
      app.jobs.readingsChanged(request.userId, valid, stored)
      await readingsCommitted(app.db.sql, { userId: request.userId, source, readings: valid, stored }, request.log)
      return { received: items.length, ...stored, rejected: problems }
    },
  )

  app.get(
    '/glucose/readings',
    { schema: { querystring: ReadQuery, response: { 200: ReadResult, ...errors(400, 401) } } },
    async (request, reply) => {
      const q = request.query
      const to = q.to ? new Date(q.to) : new Date()
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - DAY_MS)
      const maxDays = q.bucket ? MAX_BUCKETED_SPAN_DAYS : MAX_RAW_SPAN_DAYS
      const problem = tooEarly(from, !q.from) ?? (from >= to ? '`from` must be before `to`'
        : to.getTime() - from.getTime() > maxDays * DAY_MS ? `span is over ${maxDays} days${q.bucket ? '' : '; add bucket= to downsample'}`
        : undefined)
      if (problem) return reply.code(400).send(badRequest(problem))

      const range = { userId: request.userId, from, to, unit: q.unit }
      const { unit, json } = q.bucket ? await readBuckets(app.db.sql, { ...range, bucket: q.bucket }) : await readReadings(app.db.sql, range)
      const head = { unit, from: from.toISOString(), to: to.toISOString(), ...(q.bucket && { bucket: q.bucket }) }
      // Already JSON: spliced in rather than parsed and re-serialized (see read-readings.ts).
      const body = `${JSON.stringify(head).slice(0, -1)},"readings":${json}}`
      return reply.type('application/json; charset=utf-8').send(body as unknown as Static<typeof ReadResult>)
    },
  )
}
export default readings
