// GET /api/v1/glucose/insights?from=&to=: per food (food_key of the meal name) the meals, mean 2 h iAUC and score
// with 95 % t-intervals, problem foods (permutation test, Benjamini–Hochberg), a personal glycemic index, and
// trends. Definitions and sources: src/analytics/insights.ts and src/analytics/statistics.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { glucoseInsights } from '../../analytics/insights.js'
import { DateTime, errors, nullableNumber, queryRange } from '../schemas.js'

const DEFAULT_SPAN_DAYS = 90
// A year of meals (~1,200) is one refresh statement and one query; the permutation tests stay well under a second.
const MAX_SPAN_DAYS = 366

const num = nullableNumber
const Interval = Type.Union([
  Type.Object({
    n: Type.Integer(), mean: Type.Number(), sd: num('Sample SD (n − 1)'),
    // [low, high] as an array of exactly two: a tuple schema would be `items: [...]`, which OpenAPI 3.1 (JSON Schema
    // 2020-12) does not allow.
    ci95: Type.Union([Type.Array(Type.Number(), { minItems: 2, maxItems: 2 }), Type.Null()], { description: '[low, high]: mean ± t(0.975, n − 1)·SD/√n; null for n = 1' }),
  }),
  Type.Null(),
])
const Food = Type.Object({
  food: Type.String({ description: 'food_key(name): case-folded, trimmed, whitespace collapsed' }),
  name: Type.String({ description: 'The latest spelling used' }),
  meals: Type.Integer(),
  responses: Type.Integer({ description: 'Meals with a complete 2 h response' }),
  iauc2h: Interval,
  score: Interval,
  problem: Type.Union([
    Type.Object({
      pValue: Type.Number({ description: 'One-sided permutation test: this food\'s iAUCs above the user\'s other meals' }),
      adjustedP: Type.Number({ description: 'Benjamini–Hochberg across the user\'s tested foods' }),
      meanAboveOthers: Type.Number({ description: 'Mean iAUC minus the mean of the other meals, mg/dL·min' }),
      isProblem: Type.Boolean({ description: 'adjusted p ≤ 0.05' }),
    }),
    Type.Null(),
  ], { description: 'Null below 3 responses (or fewer than 3 other meals)' }),
  personalGlycemicIndex: Type.Union([
    Type.Object({ value: Type.Number(), n: Type.Integer(), mealsWithoutCarbs: Type.Integer() }),
    Type.Null(),
  ], { description: '100 × mean iAUC per gram of carbohydrate / the user\'s median iAUC per gram' }),
})
const Insights = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  meals: Type.Integer(),
  responses: Type.Integer(),
  excluded: Type.Object({ noResponse: Type.Integer(), truncated2h: Type.Integer() }),
  typical: Type.Union([Type.Object({ n: Type.Integer(), medianIauc2h: Type.Number(), meanIauc2h: Type.Number(), meanScore: Type.Number() }), Type.Null()]),
  personalGlycemicIndexReference: Type.Object({ medianIaucPerGram: num('mg/dL·min per g'), n: Type.Integer(), mealsWithoutCarbs: Type.Integer() }),
  foods: Type.Array(Food),
  problemFoods: Type.Array(Type.String()),
  trends: Type.Object({
    monthly: Type.Array(Type.Object({ month: Type.String(), n: Type.Integer(), meanIauc2h: Type.Number(), meanScore: Type.Number() })),
    n: Type.Integer(),
    iauc2hSlopePer30Days: num('Least-squares slope of 2 h iAUC over time, per 30 days; null below 3 meals'),
    scoreSlopePer30Days: num('Least-squares slope of the score, per 30 days'),
  }),
})

const Query = Type.Object(
  {
    from: Type.Optional(DateTime(`Meals eaten at or after (default: ${DEFAULT_SPAN_DAYS} days before \`to\`)`)),
    to: Type.Optional(DateTime('Meals eaten before (default: now)')),
  },
  { additionalProperties: false },
)

const insights: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/glucose/insights', { schema: { querystring: Query, response: { 200: Insights, ...errors(400, 401) } } }, async (request, reply) => {
    const range = queryRange(request.query, DEFAULT_SPAN_DAYS, MAX_SPAN_DAYS)
    if ('error' in range) return reply.code(400).send(range.error)
    const { from, to } = range
    return { from: from.toISOString(), to: to.toISOString(), ...(await glucoseInsights(app.db.sql, request.userId, from, to)) }
  })
}
export default insights
