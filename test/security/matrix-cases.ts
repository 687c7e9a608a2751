// The authorization matrix's table: every route of the app → how user A calls it against user B's data, and
// what A must get. test/security/authorization-matrix.test.ts fails for any route missing here, so a new route
// is exercised the day it is added.
//   owned: the path (or body) names B's resource → 404 (or 403), never B's data
//   self:  no id; A acts on A's own data → the listed status, with nothing of B's in the answer
//   admin: operator routes → 403 for a user token
//   site:  Nightscout upload API with A's upload secret → A's site only; `cross` puts B's site id in the path
//   public: no credentials needed (liveness, the OAuth callback, which its single-use state authorizes)
import { randomBytes } from 'node:crypto'

export interface Fixtures {
  b: { userId: string; mealId: string; connectionId: string; webhookId: string; detectedMealId: string; siteId: string }
  aSite: { siteId: string; apiSecretSha1: string }
  nightscout: { url: string; apiSecret: string }
  policy: string
}

export interface Call {
  path: string
  body?: unknown
  /** Sent as is with this content type (CSV imports). */
  raw?: { text: string; contentType: string }
}

export interface Case {
  kind: 'owned' | 'self' | 'admin' | 'site' | 'public' | 'stream'
  call(f: Fixtures): Call
  expect: number[]
  /** Without any credentials (default 401; public routes answer anyway). */
  anonymous?: number[]
  /** Runs after the others, in this order (it changes or destroys A's state). */
  last?: 1 | 2
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString()
const LEVELS_CSV = [
  'Levels,Test Person,,',
  'Time (UTC),Time (Local),Glucose Reading (mg/dL),Type of Reading',
  '2024-05-01T10:00:00.000Z,2024-05-01T12:00:00,101,timeseries',
].join('\n')

export const MATRIX: Record<string, Case> = {
  'GET /health': { kind: 'public', call: () => ({ path: '/health' }), expect: [200], anonymous: [200] },
  'GET /ready': { kind: 'public', call: () => ({ path: '/ready' }), expect: [200], anonymous: [200] },
  // Metrics: loopback clients without METRICS_TOKEN (src/plugins/metrics.ts); counts only, no user's data.
  'GET /metrics': { kind: 'public', call: () => ({ path: '/metrics' }), expect: [200], anonymous: [200] },
  // The API documentation (OpenAPI): the interface, no user's data.
  'GET /docs': { kind: 'public', call: () => ({ path: '/docs' }), expect: [200, 302], anonymous: [200, 302] },
  'GET /docs/json': { kind: 'public', call: () => ({ path: '/docs/json' }), expect: [200], anonymous: [200] },
  'GET /docs/yaml': { kind: 'public', call: () => ({ path: '/docs/yaml' }), expect: [200], anonymous: [200] },
  'GET /docs/static/index.html': { kind: 'public', call: () => ({ path: '/docs/static/index.html' }), expect: [200], anonymous: [200] },
  'GET /docs/static/swagger-initializer.js': { kind: 'public', call: () => ({ path: '/docs/static/swagger-initializer.js' }), expect: [200], anonymous: [200] },
  'GET /docs/static/*': { kind: 'public', call: () => ({ path: '/docs/static/swagger-ui.css' }), expect: [200], anonymous: [200] },
  // The web view's static shell: no data until its scripts call the API with the user's token.
  'GET /': { kind: 'public', call: () => ({ path: '/' }), expect: [200, 302], anonymous: [200, 302] },
  'GET /app': { kind: 'public', call: () => ({ path: '/app' }), expect: [200], anonymous: [200] },
  'GET /app/app.js': { kind: 'public', call: () => ({ path: '/app/app.js' }), expect: [200], anonymous: [200] },
  'GET /app/app.css': { kind: 'public', call: () => ({ path: '/app/app.css' }), expect: [200], anonymous: [200] },
  'GET /app/icon.svg': { kind: 'public', call: () => ({ path: '/app/icon.svg' }), expect: [200], anonymous: [200] },

  // Connections and consents
  'GET /api/v1/connections': { kind: 'self', call: () => ({ path: '/api/v1/connections' }), expect: [200] },
  'POST /api/v1/connections/nightscout': {
    kind: 'self', expect: [201],
    call: (f) => ({ path: '/api/v1/connections/nightscout', body: { url: f.nightscout.url, apiSecret: f.nightscout.apiSecret, consent: { policyVersion: f.policy } } }),
  },
  'POST /api/v1/connections/libre-link-up': {
    kind: 'self', expect: [502, 503], // the LibreLinkUp host is unreachable in this test: A gets nowhere, B is untouched
    call: (f) => ({ path: '/api/v1/connections/libre-link-up', body: { email: 'a@example.com', password: 'not-a-real-password', consent: { policyVersion: f.policy } } }),
  },
  'GET /api/v1/connections/:provider/authorize': { kind: 'self', call: (f) => ({ path: `/api/v1/connections/dexcom/authorize?consent=${f.policy}` }), expect: [200] },
  'GET /api/v1/connections/:provider/callback': {
    kind: 'public', expect: [400], anonymous: [400], // a state that was never issued (B's are unknowable: only hashes are stored)
    call: () => ({ path: `/api/v1/connections/dexcom/callback?state=${randomBytes(32).toString('base64url')}&code=stolen` }),
  },
  'POST /api/v1/connections/:id/sync': { kind: 'owned', call: (f) => ({ path: `/api/v1/connections/${f.b.connectionId}/sync` }), expect: [404] },
  'DELETE /api/v1/connections/:id': { kind: 'owned', call: (f) => ({ path: `/api/v1/connections/${f.b.connectionId}` }), expect: [404] },
  'GET /api/v1/consents': { kind: 'self', call: () => ({ path: '/api/v1/consents' }), expect: [200] },
  'POST /api/v1/consents': { kind: 'self', call: (f) => ({ path: '/api/v1/consents', body: { provider: 'nightscout', policyVersion: f.policy } }), expect: [201] },
  'POST /api/v1/consents/:provider/revoke': {
    kind: 'self', expect: [200], // B has a nightscout consent and readings: A's revoke must touch neither
    call: () => ({ path: '/api/v1/consents/nightscout/revoke', body: { deleteReadings: true } }),
  },
  'POST /api/v1/integrations/cgm/connect': { kind: 'self', call: (f) => ({ path: '/api/v1/integrations/cgm/connect', body: { provider: 'dexcom', consent: { policyVersion: f.policy } } }), expect: [200] },
  'GET /api/v1/integrations/cgm/status': { kind: 'self', call: () => ({ path: '/api/v1/integrations/cgm/status' }), expect: [200] },
  'POST /api/v1/integrations/cgm/sync': { kind: 'owned', call: (f) => ({ path: '/api/v1/integrations/cgm/sync', body: { connectionId: f.b.connectionId } }), expect: [404] },
  'DELETE /api/v1/integrations/cgm/:provider': { kind: 'self', call: () => ({ path: '/api/v1/integrations/cgm/nightscout' }), expect: [204, 404] },

  // Readings, analytics, live
  'POST /api/v1/glucose/readings': { kind: 'self', call: () => ({ path: '/api/v1/glucose/readings', body: { readings: [{ time: day(-2), value: 104 }] } }), expect: [200] },
  'GET /api/v1/glucose/readings': { kind: 'self', call: () => ({ path: '/api/v1/glucose/readings' }), expect: [200] },
  'GET /api/v1/glucose/latest': { kind: 'self', call: () => ({ path: '/api/v1/glucose/latest' }), expect: [200] },
  'GET /api/v1/glucose/report': { kind: 'self', call: () => ({ path: '/api/v1/glucose/report' }), expect: [200] },
  'GET /api/v1/glucose/insights': { kind: 'self', call: () => ({ path: '/api/v1/glucose/insights' }), expect: [200] },
  'GET /api/v1/glucose/detected-meals': { kind: 'self', call: () => ({ path: '/api/v1/glucose/detected-meals?status=pending' }), expect: [200] },
  'POST /api/v1/glucose/detected-meals/:id/confirm': { kind: 'owned', call: (f) => ({ path: `/api/v1/glucose/detected-meals/${f.b.detectedMealId}/confirm`, body: {} }), expect: [404] },
  'POST /api/v1/glucose/detected-meals/:id/dismiss': { kind: 'owned', call: (f) => ({ path: `/api/v1/glucose/detected-meals/${f.b.detectedMealId}/dismiss` }), expect: [404] },
  'GET /api/v1/glucose/meal-response/:mealId': { kind: 'owned', call: (f) => ({ path: `/api/v1/glucose/meal-response/${f.b.mealId}` }), expect: [404] },
  'GET /api/v1/glucose/stream': { kind: 'stream', call: () => ({ path: '/api/v1/glucose/stream?lastEventId=0' }), expect: [200] },
  'GET /api/v1/alerts': { kind: 'self', call: () => ({ path: `/api/v1/alerts?from=${encodeURIComponent(day(-3))}` }), expect: [200] },
  'GET /api/v1/alerts/settings': { kind: 'self', call: () => ({ path: '/api/v1/alerts/settings' }), expect: [200] },
  'PUT /api/v1/alerts/settings': { kind: 'self', call: () => ({ path: '/api/v1/alerts/settings', body: { low: 65 } }), expect: [200] },
  'POST /api/v1/imports': { kind: 'self', call: () => ({ path: '/api/v1/imports', raw: { text: LEVELS_CSV, contentType: 'text/csv' } }), expect: [200] },

  // Meals
  'POST /api/v1/meals': { kind: 'self', call: () => ({ path: '/api/v1/meals', body: { name: 'toast', eatenAt: day(-1) } }), expect: [201] },
  'GET /api/v1/meals': { kind: 'self', call: () => ({ path: '/api/v1/meals' }), expect: [200] },
  'POST /api/v1/meals/responses/recompute': { kind: 'self', call: () => ({ path: '/api/v1/meals/responses/recompute', body: { from: day(-30), to: day(0) } }), expect: [200] },
  'GET /api/v1/meals/:id': { kind: 'owned', call: (f) => ({ path: `/api/v1/meals/${f.b.mealId}` }), expect: [404] },
  'PATCH /api/v1/meals/:id': { kind: 'owned', call: (f) => ({ path: `/api/v1/meals/${f.b.mealId}`, body: { name: 'renamed by A' } }), expect: [404] },
  'DELETE /api/v1/meals/:id': { kind: 'owned', call: (f) => ({ path: `/api/v1/meals/${f.b.mealId}` }), expect: [404] },
  'GET /api/v1/meals/:id/response': { kind: 'owned', call: (f) => ({ path: `/api/v1/meals/${f.b.mealId}/response` }), expect: [404] },

  // Webhooks
  'POST /api/v1/webhooks': { kind: 'self', call: () => ({ path: '/api/v1/webhooks', body: { url: 'http://127.0.0.1:9/a-hook', events: ['reading'] } }), expect: [201] },
  'GET /api/v1/webhooks': { kind: 'self', call: () => ({ path: '/api/v1/webhooks' }), expect: [200] },
  'PATCH /api/v1/webhooks/:id': { kind: 'owned', call: (f) => ({ path: `/api/v1/webhooks/${f.b.webhookId}`, body: { enabled: false } }), expect: [404] },
  'DELETE /api/v1/webhooks/:id': { kind: 'owned', call: (f) => ({ path: `/api/v1/webhooks/${f.b.webhookId}` }), expect: [404] },
  'GET /api/v1/webhooks/:id/deliveries': { kind: 'owned', call: (f) => ({ path: `/api/v1/webhooks/${f.b.webhookId}/deliveries` }), expect: [404] },
  'POST /api/v1/webhooks/:id/test': { kind: 'owned', call: (f) => ({ path: `/api/v1/webhooks/${f.b.webhookId}/test` }), expect: [404] },

  // The user's own settings
  'GET /api/v1/me': { kind: 'self', call: () => ({ path: '/api/v1/me' }), expect: [200] },
  'PATCH /api/v1/me': { kind: 'self', call: () => ({ path: '/api/v1/me', body: { timezone: 'Europe/Berlin' } }), expect: [200] },
  'POST /api/v1/me/nightscout-upload': { kind: 'self', call: () => ({ path: '/api/v1/me/nightscout-upload' }), expect: [200, 201], last: 1 },
  'GET /api/v1/me/nightscout-upload': { kind: 'self', call: () => ({ path: '/api/v1/me/nightscout-upload' }), expect: [200] },
  'DELETE /api/v1/me/nightscout-upload': { kind: 'self', call: () => ({ path: '/api/v1/me/nightscout-upload' }), expect: [204], last: 1 },

  'GET /api/v1/me/export': { kind: 'self', call: () => ({ path: '/api/v1/me/export' }), expect: [200] },
  // A erases A (last: A is gone afterwards); B must be untouched.
  'DELETE /api/v1/me': { kind: 'self', call: () => ({ path: '/api/v1/me' }), expect: [200], last: 2 },

  // Charts
  'GET /api/v1/glucose/agp.svg': { kind: 'self', call: () => ({ path: '/api/v1/glucose/agp.svg' }), expect: [200] },
  'GET /api/v1/glucose/trend.svg': { kind: 'self', call: () => ({ path: '/api/v1/glucose/trend.svg' }), expect: [200] },
  'GET /api/v1/glucose/meal-response/:mealId.svg': { kind: 'owned', call: (f) => ({ path: `/api/v1/glucose/meal-response/${f.b.mealId}.svg` }), expect: [404] },

  // Operators
  'GET /api/v1/admin/sync': { kind: 'admin', call: () => ({ path: '/api/v1/admin/sync' }), expect: [403] },
  'GET /api/v1/admin/audit': { kind: 'admin', call: (f) => ({ path: `/api/v1/admin/audit?userId=${f.b.userId}` }), expect: [403] },
}

// The Nightscout-compatible API at both mount points. At the root A's secret is A's site; under /ns/<site id>
// A's secret with B's site id is refused.
const nightscoutRoutes: Array<[string, string, number, unknown?]> = [
  ['POST', '/api/v1/entries', 200, []],
  ['POST', '/api/v1/entries.json', 200, []],
  ['GET', '/api/v1/entries', 200],
  ['GET', '/api/v1/entries.json', 200],
  ['GET', '/api/v1/entries/:spec', 200],
  ['GET', '/api/v1/experiments/test', 200],
  ['GET', '/api/v1/status', 200],
  ['GET', '/api/v1/status.json', 200],
  ['GET', '/api/v1/verifyauth', 200],
  ['POST', '/api/v1/devicestatus', 200, {}],
  ['POST', '/api/v1/devicestatus.json', 200, {}],
]
for (const [method, route, status, body] of nightscoutRoutes) {
  const concrete = route.replace(':spec', 'sgv.json')
  const anonymous = route === '/api/v1/verifyauth' ? [200] : [401] // verifyauth reports the verdict instead of refusing
  MATRIX[`${method} ${route}`] = { kind: 'site', call: () => ({ path: concrete, ...(body !== undefined && { body }) }), expect: [status], anonymous }
  MATRIX[`${method} /ns/:siteId${route}`] = {
    kind: 'site', expect: route === '/api/v1/verifyauth' ? [200] : [401], anonymous,
    call: (f) => ({ path: `/ns/${f.b.siteId}${concrete}`, ...(body !== undefined && { body }) }),
  }
}
