// GET /api/v1/admin/audit: the audit log for operators (tokens with the `admin` scope), newest first. This query
// is itself audited, as the operator's access to the user it asks about.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { listAudit } from '../../audit/audit-log.js'
import { DateTime, errors, queryRange } from '../schemas.js'

const Entry = Type.Object({
  id: Type.String({ description: 'Increasing; pass the last one as beforeId for the next page' }),
  at: Type.String({ format: 'date-time' }),
  requestId: Type.Union([Type.String(), Type.Null()], { description: 'x-request-id of the request, or sync-run:<id>' }),
  actorKind: Type.String({ description: 'user, operator, upload-site, oauth-callback or system' }),
  actorId: Type.Union([Type.String(), Type.Null()]),
  subjectUserId: Type.Union([Type.String(), Type.Null()], { description: 'Whose data; null for none or an erased user' }),
  action: Type.String({ description: "'METHOD /route/pattern' or an event such as credentials.read" }),
  status: Type.Union([Type.Integer(), Type.Null()]),
})

const adminAudit: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/admin/audit', {
    preHandler: app.requireScope('admin'),
    schema: {
      querystring: Type.Object({
        userId: Type.Optional(Type.String({ format: 'uuid', description: 'Only entries about this user' })),
        from: Type.Optional(DateTime('Default: 7 days before to')),
        to: Type.Optional(DateTime('Exclusive; default now')),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        beforeId: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', description: 'Entries older than this id (paging)' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ entries: Type.Array(Entry) }), ...errors(400, 401, 403) },
    },
  }, async (request, reply) => {
    const { userId, limit, beforeId } = request.query
    request.auditAs({ actorKind: 'operator', actorId: request.userId, subjectUserId: userId?.toLowerCase() ?? null })
    const range = queryRange(request.query, 7, 3660)
    if ('error' in range) return reply.code(400).send(range.error)
    const rows = await listAudit(app.db.sql, { userId: userId?.toLowerCase(), ...range, limit, beforeId })
    return { entries: rows.map((r) => ({ ...r, at: r.at.toISOString() })) }
  })
}
export default adminAudit
