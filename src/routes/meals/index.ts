// /api/v1/meals: log, list, read, change and delete meals with their food items.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { createMeal, deleteMeal, getMeal, listMeals, updateMeal } from '../../meals/meals.js'
import { DateTime, errors, IdParams, notFound } from '../schemas.js'

const grams = (what: string) => Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 10_000 }), Type.Null()], { description: what }))
const MealItem = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    grams: grams('Portion weight, g'),
    carbs: grams('Carbohydrates, g'),
    protein: grams('Protein, g'),
    fat: grams('Fat, g'),
    fiber: grams('Fiber, g'),
    calories: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 20_000 }), Type.Null()], { description: 'Energy, kcal' })),
  },
  { additionalProperties: false },
)
const MealFields = {
  eatenAt: DateTime('When the meal started: the t0 of its glucose response'),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  notes: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  items: Type.Optional(Type.Array(MealItem, { maxItems: 100 })),
}
const MealBody = Type.Object(MealFields, { additionalProperties: false })
const MealPatch = Type.Object(
  { eatenAt: Type.Optional(MealFields.eatenAt), name: Type.Optional(MealFields.name), notes: MealFields.notes, items: MealFields.items },
  { additionalProperties: false, minProperties: 1 },
)
const Nutrients = Type.Object({
  grams: Type.Union([Type.Number(), Type.Null()]), carbs: Type.Union([Type.Number(), Type.Null()]),
  protein: Type.Union([Type.Number(), Type.Null()]), fat: Type.Union([Type.Number(), Type.Null()]),
  fiber: Type.Union([Type.Number(), Type.Null()]), calories: Type.Union([Type.Number(), Type.Null()]),
})
const Meal = Type.Object({
  id: Type.String(),
  eatenAt: Type.String(),
  name: Type.String(),
  notes: Type.Union([Type.String(), Type.Null()]),
  source: Type.String(),
  items: Type.Array(Type.Intersect([Type.Object({ name: Type.String() }), Nutrients])),
  totals: Nutrients,
})
const ListQuery = Type.Object(
  {
    from: Type.Optional(DateTime('Meals eaten at or after')),
    to: Type.Optional(DateTime('Meals eaten before')),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
)

const noSuchMeal = notFound('no such meal')

const meals: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/meals', { schema: { body: MealBody, response: { 201: Meal, ...errors(400, 401) } } }, async (request, reply) => {
    return reply.code(201).send(await createMeal(app.db.kysely, request.userId, request.body))
  })

  app.get('/meals', { schema: { querystring: ListQuery, response: { 200: Type.Object({ meals: Type.Array(Meal) }), ...errors(400, 401) } } }, async (request) => {
    const { from, to, limit } = request.query
    return { meals: await listMeals(app.db.kysely, request.userId, { from, to, limit: limit ?? 100 }) }
  })

  app.get('/meals/:id', { schema: { params: IdParams, response: { 200: Meal, ...errors(400, 401, 404) } } }, async (request, reply) => {
    return (await getMeal(app.db.kysely, request.userId, request.params.id)) ?? reply.code(404).send(noSuchMeal)
  })

  app.patch('/meals/:id', { schema: { params: IdParams, body: MealPatch, response: { 200: Meal, ...errors(400, 401, 404) } } }, async (request, reply) => {
    return (await updateMeal(app.db.kysely, request.userId, request.params.id, request.body)) ?? reply.code(404).send(noSuchMeal)
  })

  app.delete('/meals/:id', { schema: { params: IdParams, response: { 204: Type.Null(), ...errors(400, 401, 404) } } }, async (request, reply) => {
    const deleted = await deleteMeal(app.db.kysely, request.userId, request.params.id)
    return deleted ? reply.code(204).send(null) : reply.code(404).send(noSuchMeal)
  })
}
export default meals
