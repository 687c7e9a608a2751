// Records every request that reaches a user's health data or credentials in the audit log (src/audit/), after
// its response is sent. The rule is by path, so a new route cannot be forgotten: every route under /api/v1 and
// /ns (the Nightscout-compatible upload API) is audited unless it says `config: { audit: false }`; routes
// elsewhere (/health, /ready, documentation) carry no user data and are not. Requests refused before anyone was
// identified (401) are left to the request log: an anonymous caller must not be able to fill the table.
//
// Who: the bearer token's user (an operator on /api/v1/admin routes), the upload site of a Nightscout secret, or
// whatever a handler states with `request.auditAs(...)` (the OAuth callback, bound to its user by the state; the
// admin audit query, about the user it asks for).
import fp from 'fastify-plugin'
import type { FastifyRequest, RouteOptions } from 'fastify'
import type { ActorKind } from '../audit/audit-log.js'
import { AuditWriter, type AuditWriterOptions } from '../audit/audit-writer.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this /api/v1 route is not audited (say why next to it). */
    audit?: boolean
  }
  interface FastifyRequest {
    /** Who acted on whose data, when the handler knows better than the token (see the plugin). */
    auditAs(who: AuditParty): void
    auditParty: AuditParty | null
  }
  interface FastifyInstance {
    audit: { writer: AuditWriter }
    /** Every route of the app as it was added, with whether it is audited (src/plugins/audit.ts, routeCatalog). */
    routeCatalog: AuditedRoute[]
  }
}

export interface AuditParty {
  actorKind: ActorKind
  actorId: string | null
  subjectUserId: string | null
}

export interface AuditedRoute {
  method: string
  url: string
  audited: boolean
}

const AUDITED_PREFIXES = ['/api/v1/', '/ns/']
const OPERATOR_PREFIX = '/api/v1/admin/'

export function isAudited(url: string, config: { audit?: boolean } | undefined): boolean {
  return config?.audit !== false && AUDITED_PREFIXES.some((prefix) => url.startsWith(prefix))
}

export default fp<AuditWriterOptions>(
  async (app, opts) => {
    const writer = new AuditWriter(app.db.sql, app.log, opts)
    app.decorate('audit', { writer })
    app.decorateRequest('auditParty', null)
    app.decorateRequest('auditAs', function (this: FastifyRequest, who: AuditParty) {
      this.auditParty = who
    })

    app.addHook('onResponse', async (request, reply) => {
      const url = request.routeOptions.url
      if (!url || !isAudited(url, request.routeOptions.config)) return
      const party = partyOf(request, url)
      if (!party) return
      // Stamped with when the request arrived, so rows of one client's requests sort in the order it sent them.
      const at = new Date(Date.now() - reply.elapsedTime)
      writer.add({ ...party, at, requestId: request.id, action: `${request.method} ${url}`, status: reply.statusCode })
    })

    // Registered after the db plugin, so this runs before the pool closes (close hooks run last-registered first).
    app.addHook('onClose', async () => writer.flush())
  },
  { name: 'audit', dependencies: ['db', 'auth'] },
)

/**
 * The list of every route, for tests that must cover them all (test/security/): registered first in src/app.ts,
 * before any plugin adds a route, since an onRoute hook sees only the routes added after it.
 */
export const routeCatalog = fp(
  async (app) => {
    const routes: AuditedRoute[] = []
    app.decorate('routeCatalog', routes)
    app.addHook('onRoute', (route: RouteOptions) => {
      const audited = isAudited(route.url, route.config as { audit?: boolean } | undefined)
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, audited })
    })
  },
  { name: 'route-catalog' },
)

function partyOf(request: FastifyRequest, url: string): AuditParty | undefined {
  if (request.auditParty) return request.auditParty
  if (request.userId) {
    return url.startsWith(OPERATOR_PREFIX) && request.scope.split(' ').includes('admin')
      ? { actorKind: 'operator', actorId: request.userId, subjectUserId: null }
      : { actorKind: 'user', actorId: request.userId, subjectUserId: request.userId }
  }
  const site = (request as { nightscoutSite?: { siteId: string; userId: string } | null }).nightscoutSite
  if (site) return { actorKind: 'upload-site', actorId: site.siteId, subjectUserId: site.userId }
  return undefined
}
