// GET/PATCH /api/v1/me: the caller's settings (time zone for day boundaries, preferred unit for reads).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { getUserSettings, isKnownTimezone, updateUserSettings } from '../users/users.js'
import { badRequest, errors, Unit } from './schemas.js'

const Settings = Type.Object({ id: Type.String(), timezone: Type.String(), preferredUnit: Unit })

const me: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/me', { schema: { response: { 200: Settings, ...errors(401) } } }, async (request) => {
    return (await getUserSettings(app.db.kysely, request.userId))!
  })

  app.patch(
    '/me',
    {
      schema: {
        body: Type.Object(
          { timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone, e.g. Europe/Berlin' })), preferredUnit: Type.Optional(Unit) },
          { additionalProperties: false },
        ),
        response: { 200: Settings, ...errors(400, 401) },
      },
    },
    async (request, reply) => {
      const { timezone } = request.body
      if (timezone !== undefined && !(await isKnownTimezone(app.db.kysely, timezone))) {
        return reply.code(400).send(badRequest(`timezone "${timezone}" is not an IANA time zone name (e.g. America/New_York)`))
      }
      return (await updateUserSettings(app.db.kysely, request.userId, request.body))!
    },
  )
}
export default me
