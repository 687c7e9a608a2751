// The Nightscout v1 routes uploaders call (cgm-remote-monitor lib/api): entries in and out, status, verifyauth.
// Registered twice by index.ts: under /ns/<site id> (the base URL users configure) and at the root for clients
// that drop the base path. Every route but verifyauth needs the site's secret (site-scope.ts).
import rateLimit from '@fastify/rate-limit'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Sql } from '../../db/connect.js'
import { readingsCommitted } from '../../live/readings-committed.js'
import { DEFAULT_DEVICE } from '../../nightscout-upload/nightscout-entry.js'
import { parseEntriesQuery, readEntries } from '../../nightscout-upload/read-entries.js'
import { recordUpload, type UploadSite } from '../../nightscout-upload/sites.js'
import { entriesOf, UPLOAD_SOURCE, uploadEntries } from '../../nightscout-upload/upload-entries.js'
import { configureScope, nightscoutError } from './site-scope.js'
import { Entries, NightscoutError, siteStatus, StatusAnswer, VerifyAuthAnswer } from './nightscout-schemas.js'

export interface NightscoutApiOptions {
  sql: Sql
  sitePath: boolean
  perMinute: number
}

// Juggluco sends up to 10,440 entries in one request; nothing legitimate comes near this (the body limit, 4 MiB by
// default, binds first for entries of realistic size).
export const MAX_UPLOAD_ENTRIES = 50_000
// Headers carry at most this many problems; the site's last-upload report keeps 20.
const HEADER_PROBLEMS = 10

const nightscoutApi: FastifyPluginAsyncTypebox<NightscoutApiOptions> = async (app, opts) => {
  const { sql } = opts
  configureScope(app, sql, opts.sitePath)
  if (opts.sitePath) {
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send(nightscoutError(404, `no Nightscout route ${request.method} ${request.url.split('?')[0]!.replace(/^\/ns\/[^/]+/, '')}`)))
  }
  const site = (request: FastifyRequest): UploadSite => request.nightscoutSite!
  // Each site has one budget across these routes, apart from its user's bearer calls (the app-wide limit is off
  // here: `rateLimit: false`): an uploader sends one request per reading cycle plus backfills. A scope hook after the
  // secret check, so it is keyed by site; requests refused with 401 are answered before it, like the bearer routes.
  if (!app.hasDecorator('rateLimit')) await app.register(rateLimit, { global: false }) // a bare app (tests)
  app.addHook('onRequest', app.rateLimit({
    max: opts.perMinute,
    timeWindow: 60_000,
    keyGenerator: (r: FastifyRequest) => (r.nightscoutSite ? `ns-site:${r.nightscoutSite.siteId}` : `ns-ip:${r.ip}`),
  }))
  const config = { rateLimit: false } as const
  const errors = { 400: NightscoutError, 401: NightscoutError, 413: NightscoutError, 429: NightscoutError }

  const upload = async (request: FastifyRequest, reply: FastifyReply) => {
    const items = entriesOf(request.body)
    if (items.length > MAX_UPLOAD_ENTRIES) {
      return reply.code(413).send(nightscoutError(413, `at most ${MAX_UPLOAD_ENTRIES} entries per request; got ${items.length}: split the upload`))
    }
    const { siteId, userId } = site(request)
    const { summary, entries, device } = await uploadEntries(sql, userId, items)
    await recordUpload(sql, siteId, summary, device)
    const times = entries.map((e) => ({ time: new Date(e.date) }))
    app.jobs.readingsChanged(userId, times, summary)
    await readingsCommitted(sql, { userId, source: UPLOAD_SOURCE, readings: times, stored: summary }, request.log)
    const { received, inserted, updated, unchanged, rejected, ignored } = summary
    request.log.info({ nightscoutUpload: { received, inserted, updated, unchanged, rejected, ignored } }, 'nightscout upload')
    if (rejected > 0) {
      // ASCII only (header values): non-ASCII characters of echoed input become \u escapes.
      const detail = JSON.stringify(summary.problems.slice(0, HEADER_PROBLEMS)).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      reply.header('x-rejected-entries', String(rejected)).header('x-rejected-entries-detail', detail)
    }
    return entries
  }
  for (const path of ['/api/v1/entries', '/api/v1/entries.json']) {
    app.post(path, { config, schema: { response: { 200: Entries, ...errors } } }, upload)
  }

  const list = (type: 'sgv' | 'other' | undefined, current = false) => async (request: FastifyRequest, reply: FastifyReply) => {
    const query = { ...(request.query as Record<string, unknown>), ...(current && { count: '1' }) }
    const parsed = parseEntriesQuery(query)
    if (!parsed.ok) return reply.code(400).send(nightscoutError(400, parsed.message))
    const entries = type === 'other' ? [] : await readEntries(sql, site(request).userId, parsed, site(request).lastDevice ?? DEFAULT_DEVICE)
    if (entries[0]) reply.header('last-modified', new Date(entries[0].date).toUTCString())
    return entries
  }
  const querystring = Type.Object({}, { additionalProperties: true })
  for (const path of ['/api/v1/entries', '/api/v1/entries.json']) {
    app.get(path, { config, schema: { querystring, response: { 200: Entries, ...errors } } }, list(undefined))
  }
  // /entries/sgv.json, /entries/mbg, /entries/current.json …: the type in the path (lib/api/entries `:spec`).
  app.get('/api/v1/entries/:spec', {
    config,
    schema: { querystring, params: Type.Object({ spec: Type.String() }), response: { 200: Entries, 404: NightscoutError, ...errors } },
  }, async (request, reply) => {
    const spec = request.params.spec.replace(/\.json$/, '')
    if (spec === 'current') return list('sgv', true)(request, reply)
    if (spec === 'sgv') return list('sgv')(request, reply)
    if (spec === 'mbg' || spec === 'cal') return list('other')(request, reply) // accepted on upload, never stored
    return reply.code(404).send(nightscoutError(404, `unknown entry type "${spec.slice(0, 40)}"; this site serves sgv entries`))
  })

  for (const path of ['/api/v1/status.json', '/api/v1/status']) {
    app.get(path, { config, schema: { response: { 200: StatusAnswer, ...errors } } }, async (request) => siteStatus(site(request)))
  }

  // Nightscout answers 200 either way and says in the body whether the credentials were good (lib/api/verifyauth.js).
  app.get('/api/v1/verifyauth', { config: { ...config, nightscoutPublic: true }, schema: { response: { 200: VerifyAuthAnswer, 429: NightscoutError } } }, async (request) => {
    const ok = request.nightscoutSite !== null
    return {
      status: 200 as const,
      message: { canRead: ok, canWrite: ok, isAdmin: ok, message: ok ? 'OK' as const : 'UNAUTHORIZED' as const, rolefound: ok ? 'FOUND' : 'NOTFOUND', permissions: ok ? 'ROLE' : 'DEFAULT' },
    }
  })
  // xDrip4iOS checks its credentials here (lib/api: `{ status: 'ok' }` for an authorized reader).
  app.get('/api/v1/experiments/test', { config, schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }), ...errors } } }, async () => ({ status: 'ok' as const }))
  // xDrip+ posts the phone's battery after each upload; accepted and not kept, so its log shows no failure.
  for (const path of ['/api/v1/devicestatus', '/api/v1/devicestatus.json']) {
    app.post(path, { config, schema: { response: { 200: Type.Array(Type.Unknown()), ...errors } } }, async () => [])
  }
}
export default nightscoutApi
