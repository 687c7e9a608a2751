// The schema rules every route must follow (test/operability/route-schemas.test.ts), as a function of the routes a
// Fastify app registered, so the rules themselves can be tested on a deliberately bad route.
//
// Why these rules: src/http/validator.ts runs ajv with removeAdditional: false, so an object schema with
// `additionalProperties: false` *rejects* an unknown property (400 naming it) — a typo such as `"carb": 60` is
// reported, not stored as nothing. Without the keyword the property is silently accepted and ignored. Without any
// schema nothing is checked and the OpenAPI document (src/plugins/openapi.ts) cannot describe the input.
import type { RouteOptions } from 'fastify'

export interface Violation {
  route: string
  rule: string
}

/** Exceptions, each with its reason: `METHOD path` -> the rules that do not apply to it. */
export type AllowList = Record<string, { rules: string[]; why: string }>

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])

export function routeViolations(routes: readonly RouteOptions[], allow: AllowList): Violation[] {
  const violations: Violation[] = []
  for (const route of routes) {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' || (route.schema as { hide?: boolean } | undefined)?.hide) continue
      const name = `${method} ${route.url}`
      const allowed = new Set(allow[name]?.rules ?? [])
      const report = (rule: string) => {
        if (!allowed.has(rule)) violations.push({ route: name, rule })
      }
      for (const rule of check(method, route)) report(rule)
    }
  }
  return violations
}

function check(method: string, route: RouteOptions): string[] {
  const schema = (route.schema ?? {}) as Record<string, unknown>
  const source = route.handler.toString()
  const problems: string[] = []

  // Path parameters: every one declared (typed and described). additionalProperties: false is not required here:
  // the router only produces the pattern's parameters, and a route mounted under a prefix with its own parameter
  // (/ns/:siteId/…) would refuse that parameter if its schema closed the object.
  const pathParams = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!)
  if (pathParams.length > 0) {
    const declared = Object.keys((schema.params as { properties?: object } | undefined)?.properties ?? {})
    for (const p of pathParams) if (!declared.includes(p)) problems.push(`params: no schema for :${p}`)
  }

  // A query string is validated when the handler reads one (a route that reads none ignores it, like any server).
  if (/\bquery\b/.test(source)) {
    if (!schema.querystring) problems.push('querystring: handler reads request.query but there is no schema')
    else problems.push(...openObjects(schema.querystring, 'querystring'))
  }

  // A body is validated on every method that carries one and whose handler reads it.
  if (BODY_METHODS.has(method) && /\bbody\b/.test(source)) {
    if (!schema.body) problems.push('body: handler reads request.body but there is no schema')
    else problems.push(...openObjects(schema.body, 'body'))
  }

  const response = (schema.response ?? {}) as Record<string, unknown>
  if (!['200', '201', '204', '2xx'].some((code) => code in response)) problems.push('response: no schema for 200, 201 or 204')
  return problems
}

/** Every object schema (nested ones too) that names properties must close itself with additionalProperties: false. */
function openObjects(schema: unknown, where: string): string[] {
  const found: string[] = []
  const visit = (node: unknown, path: string) => {
    if (!node || typeof node !== 'object') return
    const s = node as Record<string, unknown>
    if (s.properties && s.additionalProperties !== false) found.push(`${path}: object without additionalProperties: false`)
    for (const [key, child] of Object.entries((s.properties as Record<string, unknown>) ?? {})) visit(child, `${path}.${key}`)
    if (s.items) visit(s.items, `${path}[]`)
    for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
      if (Array.isArray(s[k])) (s[k] as unknown[]).forEach((branch, i) => visit(branch, `${path}(${k} ${i})`))
    }
  }
  visit(schema, where)
  return found
}
