// Detected meals: GET /api/v1/glucose/detected-meals (rises no logged meal explains, for "did you eat around 13:10?"),
// POST …/:id/confirm (yes: log it as a meal with source 'detected') and POST …/:id/dismiss (no: never ask again).
// Detection rules and their sources: DETECTION in src/analytics/detect-meals.ts; the sync engine runs detectMeals.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { confirmDetectedMeal, DETECTED_STATUSES, dismissDetectedMeal, listDetectedMeals, type AnswerResult } from '../../analytics/detected-meals.js'
import { DateTime, errors, IdParams, notFound, queryRange } from '../schemas.js'

const DEFAULT_SPAN_DAYS = 7
const MAX_SPAN_DAYS = 92

const DetectedMeal = Type.Object({
  id: Type.String({ format: 'uuid' }),
  onsetAt: Type.String({ format: 'date-time', description: 'Where the rise starts: about when eating began' }),
  onsetLocalTime: Type.String({ description: 'Onset as HH:MM in the user\'s time zone' }),
  peakAt: Type.String({ format: 'date-time' }),
  onsetMgDl: Type.Number({ description: 'Smoothed glucose at the onset' }),
  peakMgDl: Type.Number({ description: 'Smoothed glucose at the peak' }),
  riseMgDl: Type.Number({ description: 'Peak − onset' }),
  maxRateMgDlMin: Type.Number({ description: 'Steepest smoothed rate of the rise, mg/dL per minute' }),
  confidence: Type.Number({ minimum: 0, maximum: 1, description: 'Ranking heuristic (rise, rate, data completeness), not a probability' }),
  source: Type.String({ description: 'The one reading series the rise was found in' }),
  status: Type.Enum(DETECTED_STATUSES),
  mealId: Type.Union([Type.String(), Type.Null()], { description: 'The meal created on confirm, or the logged meal that explains it' }),
})

const ListQuery = Type.Object(
  {
    from: Type.Optional(DateTime(`Onsets at or after (default: ${DEFAULT_SPAN_DAYS} days before \`to\`)`)),
    to: Type.Optional(DateTime('Onsets before (default: now)')),
    status: Type.Optional(Type.Enum([...DETECTED_STATUSES, 'all'] as const, { default: 'pending', description: 'Which events (default pending: the ones to ask about)' })),
  },
  { additionalProperties: false },
)
const ConfirmBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Meal name (default "Detected meal")' })),
    eatenAt: Type.Optional(DateTime('When the meal started, if the user knows better than the onset')),
  },
  { additionalProperties: false },
)

const noSuchEvent = notFound('no such detected meal')
const conflict = (message: string) => ({ statusCode: 409, error: 'Conflict', message })

const detectedMeals: FastifyPluginAsyncTypebox = async (app) => {
  const answer = (result: AnswerResult, reply: any) =>
    !result ? reply.code(404).send(noSuchEvent) : 'conflict' in result ? reply.code(409).send(conflict(result.conflict)) : result.event

  app.get(
    '/glucose/detected-meals',
    { schema: { querystring: ListQuery, response: { 200: Type.Object({ detectedMeals: Type.Array(DetectedMeal) }), ...errors(400, 401) } } },
    async (request, reply) => {
      const range = queryRange(request.query, DEFAULT_SPAN_DAYS, MAX_SPAN_DAYS)
      if ('error' in range) return reply.code(400).send(range.error)
      const { from, to } = range
      return { detectedMeals: await listDetectedMeals(app.db.sql, request.userId, from, to, request.query.status ?? 'pending') }
    },
  )

  app.post(
    '/glucose/detected-meals/:id/confirm',
    {
      schema: { params: IdParams, body: ConfirmBody, response: { 200: DetectedMeal, ...errors(400, 401, 404, 409) } },
      // "Yes" with nothing to add is a POST without a body: validated as {} rather than refused.
      preValidation: async (request) => {
        request.body ??= {}
      },
    },
    async (request, reply) => answer(await confirmDetectedMeal(app.db.sql, request.userId, request.params.id, request.body), reply),
  )

  app.post(
    '/glucose/detected-meals/:id/dismiss',
    { schema: { params: IdParams, response: { 200: DetectedMeal, ...errors(400, 401, 404, 409) } } },
    async (request, reply) => answer(await dismissDetectedMeal(app.db.sql, request.userId, request.params.id), reply),
  )
}
export default detectedMeals
