// GET /api/v1/glucose/latest: the current glucose for a home-screen widget — value, trend, and how old it is.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { latestReading } from '../../glucose/read-readings.js'
import { fromMgDl } from '../../glucose/units.js'
import { getUserSettings } from '../../users/users.js'
import { errors, notFound, Unit } from '../schemas.js'

const Latest = Type.Object({
  time: Type.String({ format: 'date-time' }),
  value: Type.Number(),
  unit: Unit,
  trend: Type.Union([Type.String(), Type.Null()]),
  trendRate: Type.Union([Type.Number(), Type.Null()], { description: 'unit per minute' }),
  source: Type.String(),
  ageSeconds: Type.Integer({ description: 'Seconds since the reading was taken' }),
})

const latest: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/glucose/latest',
    {
      schema: {
        querystring: Type.Object({ unit: Type.Optional(Unit) }, { additionalProperties: false }),
        response: { 200: Latest, ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      const reading = await latestReading(app.db.sql, request.userId)
      if (!reading) return reply.code(404).send(notFound('no readings yet'))
      const unit = request.query.unit ?? (await getUserSettings(app.db.kysely, request.userId))?.preferredUnit ?? 'mg/dL'
      return {
        time: reading.time.toISOString(),
        value: fromMgDl(reading.value, unit),
        unit,
        trend: reading.trend,
        trendRate: reading.trend_rate === null ? null : Math.round(fromMgDl(reading.trend_rate, unit) * 100) / 100,
        source: reading.source,
        ageSeconds: Math.max(0, Math.round((Date.now() - reading.time.getTime()) / 1000)),
      }
    },
  )
}
export default latest
