// POST /api/v1/imports: a CGM app's CSV export (Levels, LibreView, Dexcom Clarity, Nutrisense) as a multipart
// file or a plain text/csv body. The upload is streamed into src/imports/import-csv.ts, never buffered whole.
import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Readable } from 'node:stream'
import { Type } from 'typebox'
import { ImportError } from '../../imports/errors.js'
import { importCsv } from '../../imports/import-csv.js'
import { errors } from '../schemas.js'

const Query = Type.Object(
  { timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone for local timestamps; default: the user\'s' })) },
  { additionalProperties: false },
)

const ImportResult = Type.Object({
  format: Type.String({ description: 'levels, libreview, clarity or nutrisense' }),
  timezone: Type.String({ description: 'Zone the file\'s local timestamps were read in' }),
  rows: Type.Integer({ description: 'Data rows under the header' }),
  inserted: Type.Integer(),
  updated: Type.Integer({ description: 'Readings already stored with another value' }),
  unchanged: Type.Integer({ description: 'Readings already stored as in the file (re-upload)' }),
  skipped: Type.Integer({ description: 'Rows that are not glucose readings (events, notes, other record types)' }),
  duplicates: Type.Integer({ description: 'Rows at an instant an earlier row of the file already had; the first is kept' }),
  outOfRange: Type.Object(
    { low: Type.Integer(), high: Type.Integer() },
    { description: 'Readings the device reported as Low / High, stored as 40 / 400 mg/dL' },
  ),
  errors: Type.Array(Type.Object({ line: Type.Integer(), field: Type.String(), message: Type.String() }), { description: 'The first 100 rejected rows' }),
  errorCount: Type.Integer({ description: 'All rejected rows' }),
})

const STATUS = { unrecognised_format: 400, bad_timezone: 400, too_large: 413 } as const

const imports: FastifyPluginAsyncTypebox<{ maxBytes: number }> = async (app, opts) => {
  // Registered here, not app-wide: only this route accepts multipart, and the encapsulation keeps it that way.
  // fileSize is one byte over the limit so importCsv's byte count, not a silent truncation, stops an oversized file.
  await app.register(multipart, { limits: { fileSize: opts.maxBytes + 1, files: 1, fields: 10, parts: 20 } })
  // The body is handed over as the raw stream: no buffering; importCsv enforces the size limit as it reads.
  app.addContentTypeParser(['text/csv', 'text/plain', 'application/csv'], (_request, payload, done) => done(null, payload))

  app.post(
    '/imports',
    { schema: { querystring: Query, response: { 200: ImportResult, ...errors(400, 401, 413, 415) } } },
    async (request, reply) => {
      const input = await upload(request)
      if (!input) {
        return reply.code(415).send({ statusCode: 415, error: 'Unsupported Media Type', message: 'send the CSV as multipart/form-data (one file field) or as a text/csv body' })
      }
      try {
        return await importCsv(app.db, input, { userId: request.userId, timezone: request.query.timezone, maxBytes: opts.maxBytes })
      } catch (error) {
        if (!(error instanceof ImportError)) throw error
        const statusCode = STATUS[error.kind]
        return reply.code(statusCode).send({ statusCode, error: statusCode === 413 ? 'Payload Too Large' : 'Bad Request', message: error.message })
      }
    },
  )
}
export default imports

async function upload(request: FastifyRequest): Promise<Readable | undefined> {
  if (request.isMultipart()) return (await request.file())?.file
  return request.body instanceof Readable ? request.body : undefined
}
