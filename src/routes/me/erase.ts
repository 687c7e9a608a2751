// DELETE /api/v1/me: deletes the account and every row of it (src/privacy/erase.ts), and stops its syncs.
//
// The same token afterwards: the account is gone, and a later request with a still valid token for the same
// subject finds no data; like any first request, it starts a new, empty account (the user row is created on
// first use, src/plugins/auth.ts). Nothing of the deleted account comes back: the data was deleted, not hidden.
// A client that keeps uploading with the old token fills the new account: revoke the token at the identity
// provider to stop that.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { eraseUser } from '../../privacy/erase.js'
import { errors } from '../schemas.js'

const Erased = Type.Object({
  deleted: Type.Object(
    {
      readings: Type.Integer(),
      meals: Type.Integer(),
      detectedMeals: Type.Integer(),
      connections: Type.Integer(),
      consents: Type.Integer(),
      alerts: Type.Integer(),
      webhooks: Type.Integer(),
      liveEvents: Type.Integer(),
      jobs: Type.Integer({ description: 'queued or finished sync and analysis jobs of the account' }),
    },
    { description: 'Rows deleted; everything else of the account (meal items and responses, settings, sync runs, webhook deliveries, the Nightscout upload site, audit entries) went with it' },
  ),
})

const erase: FastifyPluginAsyncTypebox = async (app) => {
  app.delete('/me', { schema: { response: { 200: Erased, ...errors(401) } } }, async (request) => {
    const deleted = await eraseUser(app.db.sql, request.userId)
    app.forgetUser(request.userId) // the next request with this token creates a new, empty account
    // undefined: deleted by a concurrent request a moment ago; the outcome the caller asked for either way.
    return { deleted: deleted ?? { readings: 0, meals: 0, detectedMeals: 0, connections: 0, consents: 0, alerts: 0, webhooks: 0, liveEvents: 0, jobs: 0 } }
  })
}
export default erase
