// Server-rendered SVG charts (no client JavaScript): usable from an <img>, a report or a notebook.
//   GET /api/v1/glucose/agp.svg?from=&to=                 ambulatory glucose profile + time in ranges + metrics
//   GET /api/v1/glucose/trend.svg?from=&to=               readings over time, meals marked, gaps left as gaps
//   GET /api/v1/glucose/meal-response/:mealId.svg         one meal's curve, baseline, shaded iAUC, peak, score
// Same bearer authentication as every /api/v1 route: no token in the URL (it would land in logs and history). A
// browser fetches with the Authorization header and shows the result through a blob: URL (README, "Charts").
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { agpChart, mealResponseChart, trendChart } from '../../charts/load.js'
import { errors, notFound, queryRange } from '../schemas.js'

const DateTime = (description: string) => Type.Optional(Type.String({ format: 'date-time', description }))
// Bounds keep the text legible (fonts are fixed-size pixels) and the work per request small.
const Width = (min: number, fallback: number) => Type.Integer({ minimum: min, maximum: 2400, default: fallback, description: 'Width, px' })
const Height = (min: number, fallback: number) => Type.Integer({ minimum: min, maximum: 1600, default: fallback, description: 'Height, px' })

const RangeQuery = (defaultDays: number, width: [number, number], height: [number, number]) =>
  Type.Object(
    {
      from: DateTime(`Start, inclusive (default: ${defaultDays === 1 ? '24 h' : `${defaultDays} days`} before \`to\`)`),
      to: DateTime('End, exclusive (default: now)'),
      width: Type.Optional(Width(...width)),
      height: Type.Optional(Height(...height)),
    },
    { additionalProperties: false },
  )

const Svg = Type.String({ description: 'image/svg+xml' })
const replies = { 200: Svg, ...errors(400, 401, 404) }

/**
 * SVG headers: no caching of health data by shared caches, and no script or external load if opened directly
 * (nosniff comes with every answer, src/plugins/security-headers.ts).
 */
function sendSvg(reply: FastifyReply, svg: string) {
  return reply
    .type('image/svg+xml; charset=utf-8')
    .header('cache-control', 'private, no-store')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .send(svg)
}

// Same defaults and limits as the JSON endpoints the charts draw from: the report (14 days, ≤ 90) and raw
// readings (24 h, ≤ 31 days).
const AGP = { defaultDays: 14, maxDays: 90 }
const TREND = { defaultDays: 1, maxDays: 31 }

const charts: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/glucose/agp.svg', { schema: { querystring: RangeQuery(AGP.defaultDays, [560, 900], [360, 560]), response: replies } }, async (request, reply) => {
    const range = queryRange(request.query, AGP.defaultDays, AGP.maxDays)
    if ('error' in range) return reply.code(400).send(range.error)
    const { width = 900, height = 560 } = request.query
    return sendSvg(reply, await agpChart(app.db, request.userId, range.from, range.to, { width, height }))
  })

  app.get('/glucose/trend.svg', { schema: { querystring: RangeQuery(TREND.defaultDays, [320, 900], [200, 360]), response: replies } }, async (request, reply) => {
    const range = queryRange(request.query, TREND.defaultDays, TREND.maxDays)
    if ('error' in range) return reply.code(400).send(range.error)
    const { width = 900, height = 360 } = request.query
    return sendSvg(reply, await trendChart(app.db, request.userId, range.from, range.to, { width, height }))
  })

  // find-my-way matches the static ".svg" suffix after the parameter, so this route and the JSON one at
  // /glucose/meal-response/:mealId live side by side (the test checks both).
  app.get(
    '/glucose/meal-response/:mealId.svg',
    {
      schema: {
        params: Type.Object({ mealId: Type.String({ format: 'uuid' }) }),
        querystring: Type.Object({ width: Type.Optional(Width(320, 640)), height: Type.Optional(Height(240, 400)) }, { additionalProperties: false }),
        response: replies,
      },
    },
    async (request, reply) => {
      const { width = 640, height = 400 } = request.query
      const svg = await mealResponseChart(app.db, request.userId, request.params.mealId, { width, height })
      return svg === undefined ? reply.code(404).send(notFound('no such meal')) : sendSvg(reply, svg)
    },
  )
}
export default charts
