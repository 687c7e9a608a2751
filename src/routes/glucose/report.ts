// GET /api/v1/glucose/report?from=&to=: the consensus CGM report (mean, SD, CV, GMI, time in bands, GRI, LBGI/HBGI,
// coverage and sufficiency, AGP percentiles by local time of day) of the caller's readings in [from, to).
// Metric definitions and sources: sql/glucose-report.sql. All glucose values are mg/dL (`unit` says so).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { glucoseReport } from '../../analytics/glucose-report.js'
import { badRequest, DateTime, DAY_MS, errors, nullableNumber, tooEarly } from '../schemas.js'

// One request covers at most 90 days: the summary sums hourly rollup rows for periods over 3 days, but the AGP's
// percentiles read the chosen source's raw readings (~26,000 for 90 days), well under a second.
const MAX_SPAN_DAYS = 90
// The consensus report period (Battelino et al. 2019): the default when `from` is not given.
const DEFAULT_SPAN_DAYS = 14

const num = nullableNumber
const Report = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  unit: Type.Literal('mg/dL'),
  source: Type.Union([Type.String(), Type.Null()], { description: 'The one reading source used: most readings in the period, then DEXCOM > LIBRE > LEVELS > NIGHTSCOUT > IMPORT > MANUAL' }),
  readings: Type.Integer({ description: 'Readings of that source in the period' }),
  meanMgDl: num('Mean glucose'),
  sdMgDl: num('Sample standard deviation (n − 1)'),
  cvPct: num('Coefficient of variation, 100·SD/mean (consensus target ≤ 36 %)'),
  gmiPct: num('Glucose management indicator, 3.31 + 0.02392·mean (Bergenstal et al. 2018)'),
  percentVeryLow: num('% of readings < 54 (target < 1 %)'),
  percentLow: num('% of readings 54 ≤ g < 70 (with very low: target < 4 %)'),
  percentInRange: num('% of readings 70 ≤ g ≤ 180 (target > 70 %)'),
  percentHigh: num('% of readings 180 < g ≤ 250 (with very high: target < 25 %)'),
  percentVeryHigh: num('% of readings > 250 (target < 5 %)'),
  gri: num('Glycemia risk index 0–100 (Klonoff et al. 2022)'),
  lbgi: num('Low blood glucose index (Kovatchev)'),
  hbgi: num('High blood glucose index (Kovatchev)'),
  coveragePct: Type.Number({ description: '% of the 5-minute UTC clock slots the period touches that hold a reading' }),
  periodDays: Type.Number(),
  sufficient: Type.Boolean({ description: 'At least 14 days and at least 70 % coverage (consensus)' }),
  insufficientReason: Type.Union([Type.String(), Type.Null()]),
  fromRollups: Type.Boolean({ description: 'Summary summed from the hourly rollup for the whole hours (periods over 3 days); same numbers as from readings' }),
  agp: Type.Array(
    Type.Object({
      minuteOfDay: Type.Integer({ description: 'Bin start, minutes after local midnight (user time zone), 15-minute bins' }),
      time: Type.String({ description: 'Bin start, HH:MM local' }),
      n: Type.Integer(),
      p5: Type.Number(),
      p25: Type.Number(),
      p50: Type.Number(),
      p75: Type.Number(),
      p95: Type.Number(),
    }),
    { description: 'Ambulatory glucose profile: percentiles by time of day; only bins with readings' },
  ),
})

const Query = Type.Object(
  {
    from: Type.Optional(DateTime(`Start, inclusive (default: ${DEFAULT_SPAN_DAYS} days before \`to\`)`)),
    to: Type.Optional(DateTime('End, exclusive (default: now)')),
  },
  { additionalProperties: false },
)

const badField = (field: string, message: string) => badRequest(message, [{ field, message }])

const report: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/glucose/report', { schema: { querystring: Query, response: { 200: Report, ...errors(400, 401) } } }, async (request, reply) => {
    const to = request.query.to ? new Date(request.query.to) : new Date()
    const from = request.query.from ? new Date(request.query.from) : new Date(to.getTime() - DEFAULT_SPAN_DAYS * DAY_MS)
    const early = tooEarly(from, !request.query.from)
    if (early) return reply.code(400).send(badField('querystring.from', early))
    if (from >= to) return reply.code(400).send(badField('querystring.from', '`from` must be before `to`'))
    if (to.getTime() - from.getTime() > MAX_SPAN_DAYS * DAY_MS) {
      return reply.code(400).send(badField('querystring.to', `the period is over ${MAX_SPAN_DAYS} days; ask for a shorter one`))
    }
    return glucoseReport(app.db.sql, request.userId, from, to)
  })
}
export default report
