// /api/v1/me: the caller's settings (time zone for day boundaries, preferred unit for reads, own retention period),
// and the privacy routes on the whole account: GET /me/export (./export.ts) and DELETE /me (./erase.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { getRetention, setRetention } from '../../privacy/retention-settings.js'
import { ensureUser, getUserSettings, isKnownTimezone, updateUserSettings } from '../../users/users.js'
import { badRequest, errors, Unit } from '../schemas.js'
import erase from './erase.js'
import exportRoute from './export.js'

const RetentionDays = Type.Union([Type.Integer({ minimum: 1, maximum: 36500 }), Type.Null()], {
  description: 'Days of health data to keep (readings, meals, detected meals, alerts); null: as long as the service keeps it',
})
const Settings = Type.Object({
  id: Type.String(),
  timezone: Type.String(),
  preferredUnit: Unit,
  retentionDays: RetentionDays,
  effectiveRetentionDays: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The period in force: the shorter of retentionDays and the service-wide RETENTION_DAYS; null: kept forever',
  }),
})

const me: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const settings = async (userId: string) => {
    let user = await getUserSettings(app.db.kysely, userId)
    if (!user) {
      // Deleted (DELETE /me) by another process while this one still knew the user: a fresh, empty account.
      await ensureUser(app.db.kysely, userId)
      user = (await getUserSettings(app.db.kysely, userId))!
    }
    return { ...user, ...(await getRetention(app.db.sql, userId, config.retentionDays))! }
  }

  app.get('/me', { schema: { response: { 200: Settings, ...errors(401) } } }, async (request) => settings(request.userId))

  app.patch(
    '/me',
    {
      schema: {
        body: Type.Object(
          {
            timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone, e.g. Europe/Berlin' })),
            preferredUnit: Type.Optional(Unit),
            retentionDays: Type.Optional(RetentionDays),
          },
          { additionalProperties: false },
        ),
        response: { 200: Settings, ...errors(400, 401) },
      },
    },
    async (request, reply) => {
      const { timezone, preferredUnit, retentionDays } = request.body
      if (timezone !== undefined && !(await isKnownTimezone(app.db.kysely, timezone))) {
        return reply.code(400).send(badRequest(`timezone "${timezone}" is not an IANA time zone name (e.g. America/New_York)`))
      }
      await updateUserSettings(app.db.kysely, request.userId, { timezone, preferredUnit })
      // Takes effect at the next hourly retention run (src/privacy/retention-worker.ts).
      if (retentionDays !== undefined) await setRetention(app.db.sql, request.userId, retentionDays, config.retentionDays)
      return settings(request.userId)
    },
  )

  await app.register(exportRoute, { poolMax: config.dbPoolMax })
  await app.register(erase)
}
export default me
