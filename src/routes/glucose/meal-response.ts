// GET /api/v1/glucose/meal-response/:mealId: the name for GET /api/v1/meals/:id/response — the same schema
// and handler (src/routes/meals/response.ts), only the path differs. Definitions: sql/meal-response.sql.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { mealResponseReplies, replyMealResponse } from '../meals/response.js'

const Params = Type.Object({ mealId: Type.String({ format: 'uuid' }) })

const glucoseMealResponse: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/glucose/meal-response/:mealId', { schema: { params: Params, response: mealResponseReplies } }, async (request, reply) =>
    replyMealResponse(app, request.userId, request.params.mealId, reply))
}
export default glucoseMealResponse
