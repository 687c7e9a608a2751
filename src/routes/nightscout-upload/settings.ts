// /api/v1/me/nightscout-upload (bearer): create or rotate the user's upload secret, see the base URL and the last
// upload's report, disable uploads. The secret is shown once, in the answer that creates it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { sha1Hex } from '../../nightscout-upload/credentials.js'
import { createOrRotateSite, deleteSite, getSiteView } from '../../nightscout-upload/sites.js'
import { errors, notFound } from '../schemas.js'
import { SITE_PREFIX } from './index.js'

const Problem = Type.Object({ index: Type.Integer(), field: Type.String(), message: Type.String() })
const LastUpload = Type.Object({
  at: Type.String(),
  received: Type.Integer(),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  ignored: Type.Record(Type.String(), Type.Integer(), { description: 'Entries of other types (mbg, cal…) by type: accepted, not stored' }),
  rejected: Type.Integer({ description: 'Entries not stored because they were invalid' }),
  problems: Type.Array(Problem, { description: 'The first 20 problems: index in the uploaded array, field, what was wrong' }),
})

const Created = Type.Object({
  siteId: Type.String(),
  baseUrl: Type.String({ description: 'The Nightscout URL to give uploaders' }),
  secret: Type.String({ description: 'The API secret to give uploaders; shown only now' }),
  apiSecretSha1: Type.String({ description: 'What goes in the api-secret header (NIGHTSCOUT_API_TOKEN of nightscout-librelink-up)' }),
  xdripUrl: Type.String({ description: 'xDrip+ "Base URL": https://SECRET@host/ns/<site id>/api/v1/' }),
  rotated: Type.Boolean({ description: 'true when an existing secret was replaced (the old one no longer works)' }),
})

const View = Type.Object({
  enabled: Type.Boolean(),
  siteId: Type.Optional(Type.String()),
  baseUrl: Type.Optional(Type.String()),
  createdAt: Type.Optional(Type.String()),
  secretRotatedAt: Type.Optional(Type.String()),
  lastUploadAt: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  lastUpload: Type.Optional(Type.Union([LastUpload, Type.Null()])),
})

const settings: FastifyPluginAsyncTypebox<{ publicBaseUrl: string | undefined }> = async (app, opts) => {
  // Behind a proxy set PUBLIC_BASE_URL; otherwise the address this request reached is the best guess.
  const baseUrl = (request: FastifyRequest, siteId: string) => `${opts.publicBaseUrl ?? `${request.protocol}://${request.host}`}${SITE_PREFIX}/${siteId}`

  app.post('/me/nightscout-upload', { schema: { response: { 200: Created, 201: Created, ...errors(401, 429) } } }, async (request, reply) => {
    const { siteId, secret, rotated } = await createOrRotateSite(app.db.sql, request.userId)
    const base = baseUrl(request, siteId)
    const url = new URL(`${base}/api/v1/`)
    url.username = secret
    return reply.code(rotated ? 200 : 201).send({ siteId, baseUrl: base, secret, apiSecretSha1: sha1Hex(secret), xdripUrl: url.toString(), rotated })
  })

  app.get('/me/nightscout-upload', { schema: { response: { 200: View, ...errors(401) } } }, async (request) => {
    const view = await getSiteView(app.db.sql, request.userId)
    if (!view) return { enabled: false }
    return {
      enabled: true,
      siteId: view.siteId,
      baseUrl: baseUrl(request, view.siteId),
      createdAt: view.createdAt.toISOString(),
      secretRotatedAt: view.secretRotatedAt.toISOString(),
      lastUploadAt: view.lastUploadAt?.toISOString() ?? null,
      lastUpload: view.lastUpload,
    }
  })

  app.delete('/me/nightscout-upload', { schema: { response: { 204: Type.Null(), ...errors(401, 404) } } }, async (request, reply) => {
    const deleted = await deleteSite(app.db.sql, request.userId)
    return deleted ? reply.code(204).send(null) : reply.code(404).send(notFound('no Nightscout upload site; POST /api/v1/me/nightscout-upload creates one'))
  })
}
export default settings
