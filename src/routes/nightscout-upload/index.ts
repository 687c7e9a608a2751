// The Nightscout-compatible upload API, at two mount points of one plugin (nightscout-api.ts):
//  - /ns/<site id>/api/v1/…: the base URL users configure; the secret must be that site's;
//  - /api/v1/entries, /status.json, … at the root: for clients that build URLs from the host alone.
//    nightscout-librelink-up resolves "/api/v1/entries" against NIGHTSCOUT_URL (new URL(path, base)), which drops
//    any path; there the secret alone identifies the site. None of these paths is used by the bearer API.
// The routes that create, show and disable a site's secret are in settings.ts, behind bearer authentication.
import type { FastifyPluginAsync } from 'fastify'
import nightscoutApi from './nightscout-api.js'

export const SITE_PREFIX = '/ns'

const nightscoutUpload: FastifyPluginAsync<{ perMinute: number }> = async (app, opts) => {
  const sql = app.db.sql
  await app.register(nightscoutApi, { prefix: `${SITE_PREFIX}/:siteId`, sql, sitePath: true, perMinute: opts.perMinute })
  await app.register(nightscoutApi, { sql, sitePath: false, perMinute: opts.perMinute })
}
export default nightscoutUpload
