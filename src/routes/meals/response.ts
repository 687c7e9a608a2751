// GET /api/v1/meals/:id/response (a meal's glucose response, computed on demand when missing or stale) and
// POST /api/v1/meals/responses/recompute (recompute the caller's meals in a time range). The response schema and
// handler are exported for GET /api/v1/glucose/meal-response/:mealId, the name for the same answer.
// Metric definitions: sql/meal-response.sql. All values are mg/dL, minutes, or mg/dL·min.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { getMealResponse, recomputeMealResponses } from '../../analytics/meal-response.js'
import { badRequest, DateTime, DAY_MS, errors, IdParams, notFound, nullableNumber } from '../schemas.js'

// One request recomputes at most a year of meals: one statement, a few thousand meals at most.
const MAX_RECOMPUTE_SPAN_DAYS = 366

const num = nullableNumber
export const MealResponse = Type.Object({
  mealId: Type.String({ format: 'uuid' }),
  eatenAt: Type.String({ format: 'date-time', description: 't0 of every window below' }),
  computedAt: Type.String({ format: 'date-time' }),
  noResponseReason: Type.Union([Type.String(), Type.Null()], { description: 'Why there is no response; null when there is one' }),
  source: Type.Union([Type.String(), Type.Null()], { description: 'The one reading source used (one series per meal, no double counting)' }),
  baselineMgDl: num('Mean of readings in [t0 − 30 min, t0]; else nearest reading ≤ 60 min before (flag baseline_fallback)'),
  peakMgDl: num('Highest reading in (t0, t0 + 3 h], first on ties'),
  peakRiseMgDl: num('Peak − baseline'),
  timeToPeakMin: num('Minutes from t0 to the peak'),
  returnToBaselineMin: num('Minutes from t0 until back to ≤ baseline after the peak (interpolated); null if not within 3 h or no rise'),
  iauc2hMgDlMin: num('Incremental area above baseline over [t0, t0 + 2 h], Wolever & Jenkins / ISO 26642'),
  iauc3hMgDlMin: num('Incremental area above baseline over [t0, t0 + 3 h]'),
  coveragePct: Type.Number({ description: '% of expected 5-minute readings present in [t0 − 30 min, t0 + 3 h)' }),
  largestGapMin: num('Longest interval between consecutive readings used (> 20 min is flagged large_gap)'),
  score: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()], { description: '100 = no rise; lower for a larger rise, larger iAUC, slower return' }),
  flags: Type.Array(Type.String(), { description: 'baseline_fallback, truncated (data stop before t0 + 3 h), truncated_2h, large_gap' }),
})

const RecomputeBody = Type.Object(
  {
    from: DateTime('Meals eaten at or after'),
    to: DateTime('Meals eaten before'),
  },
  { additionalProperties: false },
)

const noSuchMeal = notFound('no such meal')

/** Response schemas of every route that answers with a meal's response. */
export const mealResponseReplies = { 200: MealResponse, ...errors(400, 401, 404) }

/** The one handler body of both meal-response routes: the response, or 404 when the meal is not the caller's. */
export async function replyMealResponse(app: FastifyInstance, userId: string, mealId: string, reply: FastifyReply) {
  return (await getMealResponse(app.db.sql, userId, mealId)) ?? reply.code(404).send(noSuchMeal)
}

const mealResponse: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/meals/:id/response', { schema: { params: IdParams, response: mealResponseReplies } }, async (request, reply) =>
    replyMealResponse(app, request.userId, request.params.id, reply))

  app.post(
    '/meals/responses/recompute',
    { schema: { body: RecomputeBody, response: { 200: Type.Object({ recomputed: Type.Integer() }), ...errors(400, 401) } } },
    async (request, reply) => {
      const from = new Date(request.body.from)
      const to = new Date(request.body.to)
      const span = to.getTime() - from.getTime()
      if (span <= 0 || span > MAX_RECOMPUTE_SPAN_DAYS * DAY_MS) {
        const message = `to must be after from and at most ${MAX_RECOMPUTE_SPAN_DAYS} days later; split longer ranges`
        return reply.code(400).send(badRequest(message, [{ field: 'body.to', message }]))
      }
      return { recomputed: await recomputeMealResponses(app.db.sql, request.userId, from, to) }
    },
  )
}
export default mealResponse
