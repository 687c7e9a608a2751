// Every route validates what it takes and declares what it answers (rules and their reasons: route-rules.ts).
import Fastify from 'fastify'
import t from 'tap'
import { Type } from 'typebox'
import { buildApp } from '../../src/app.js'
import { testConfig } from '../helpers.js'
import { routeViolations, type AllowList } from './route-rules.js'

const NIGHTSCOUT_UPLOAD = 'Nightscout uploaders send entries with whatever fields their app adds; uploadEntries checks each entry and reports problems by index (x-rejected-entries)'
const NIGHTSCOUT_QUERY = "Nightscout's query language (find[date][$gte]=…, count, token): parsed and checked by parseEntriesQuery"
const SITE_PARAM = 'siteId comes from the /ns/:siteId mount prefix and is checked by the scope hook (findSiteById) before validation'

// The routes where a rule is wrong, and why. A new entry needs a reason a reviewer would accept.
const ALLOW: AllowList = {
  'POST /api/v1/imports': { rules: ['body: handler reads request.body but there is no schema'], why: 'a multipart file or a text/csv stream, read by importCsv line by line, never a JSON body' },
  'GET /api/v1/connections/:provider/callback': {
    rules: ['querystring: object without additionalProperties: false'],
    why: 'the provider redirects with parameters of its own besides code and state (OAuth 2 allows extensions: iss, session_state, scope); refusing them would fail a good login',
  },
  'GET /api/v1/glucose/stream': { rules: ['response: no schema for 200, 201 or 204'], why: 'Server-Sent Events: the reply is hijacked and written as text/event-stream' },
}
for (const base of ['', '/ns/:siteId']) {
  for (const path of ['/api/v1/entries', '/api/v1/entries.json']) {
    ALLOW[`POST ${base}${path}`] = { rules: ['body: handler reads request.body but there is no schema'], why: NIGHTSCOUT_UPLOAD }
  }
  for (const path of ['/api/v1/entries', '/api/v1/entries.json', '/api/v1/entries/:spec']) {
    ALLOW[`GET ${base}${path}`] = { rules: ['querystring: object without additionalProperties: false'], why: NIGHTSCOUT_QUERY }
  }
}

t.test('every route has schemas for what it takes and a success response', async (t) => {
  // Not started (no ready): registering is what adds routes, and no listener or worker needs to run for it.
  const app = await buildApp(testConfig())
  t.teardown(() => app.close())
  // The /ns/:siteId copies of the Nightscout routes: their siteId is the prefix's (see SITE_PARAM).
  const siteRoutes = app.registeredRoutes.filter((r) => r.url.startsWith('/ns/:siteId/'))
  for (const r of siteRoutes) {
    for (const m of [r.method].flat()) {
      const key = `${m} ${r.url}`
      ALLOW[key] = { rules: [...(ALLOW[key]?.rules ?? []), 'params: no schema for :siteId'], why: `${ALLOW[key]?.why ?? ''} ${SITE_PARAM}` }
    }
  }
  t.ok(app.registeredRoutes.length > 50, `the routes were collected (${app.registeredRoutes.length})`)
  const violations = routeViolations(app.registeredRoutes, ALLOW)
  t.same(violations, [], violations.map((v) => `${v.route}: ${v.rule}`).join('\n') || 'no violations')

  // The allow-list holds only routes that exist: a renamed route must not keep an exception alive silently.
  const names = new Set(app.registeredRoutes.flatMap((r) => [r.method].flat().map((m) => `${m} ${r.url}`)))
  t.same(Object.keys(ALLOW).filter((name) => !names.has(name)), [], 'every allow-listed route exists')
})

t.test('the rules catch a route that breaks them', async (t) => {
  // A bare app with the same collector, and routes written the wrong way on purpose.
  const app = Fastify()
  const routes: Parameters<typeof routeViolations>[0][number][] = []
  app.addHook('onRoute', (route) => {
    routes.push(route)
  })
  app.post('/things/:id', { schema: { body: Type.Object({ name: Type.String(), tags: Type.Array(Type.Object({ k: Type.String() })) }, { additionalProperties: false }) } },
    async (request) => ({ got: request.body }))
  app.get('/search', async (request) => ({ q: (request.query as { q?: string }).q }))
  app.get('/ok/:id', {
    schema: {
      params: Type.Object({ id: Type.String() }),
      querystring: Type.Object({ q: Type.Optional(Type.String()) }, { additionalProperties: false }),
      response: { 200: Type.Object({ q: Type.String() }) },
    },
  }, async (request) => ({ q: String(request.query) }))
  await app.ready()
  t.teardown(() => app.close())
  t.same(routeViolations(routes, {}), [
    { route: 'POST /things/:id', rule: 'params: no schema for :id' },
    { route: 'POST /things/:id', rule: 'body.tags[]: object without additionalProperties: false' },
    { route: 'POST /things/:id', rule: 'response: no schema for 200, 201 or 204' },
    { route: 'GET /search', rule: 'querystring: handler reads request.query but there is no schema' },
    { route: 'GET /search', rule: 'response: no schema for 200, 201 or 204' },
  ])
  t.same(routeViolations(routes, { 'GET /search': { rules: ['response: no schema for 200, 201 or 204'], why: 'test' } }).filter((v) => v.route === 'GET /search'),
    [{ route: 'GET /search', rule: 'querystring: handler reads request.query but there is no schema' }], 'an allow-list entry lifts only its rules')
})
