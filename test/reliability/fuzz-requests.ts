// Malformed requests for every route the app has, generated from the route's own schemas (fuzz.test.ts collects
// the routes with an onRoute hook, so a route added later is fuzzed without touching this file).
//
// Two kinds of request:
//  - certainly malformed, sent as the fuzz user: each carries at least one thing its route must refuse (a bad path
//    parameter, a query value its schema refuses, broken JSON, a content type nobody parses, a body of the wrong
//    shape). Expected: a 4xx with a JSON message, and nothing stored for that user.
//  - edge requests, sent as another user or with no or a broken token: odd values the schema may well accept (old
//    and far dates, huge numbers, unicode). Expected: never a 5xx, never a hang.
import fc from 'fast-check'
import { badQueryValue, deepJson, edgeObject, edgeValue, nastyNumber, nastyString, typesOf, wrongType, type Schema } from './fuzz-values.js'

export interface RouteInfo {
  method: string
  url: string
  schema: { body?: Schema; querystring?: Schema; params?: Schema }
}

export type Who = 'fuzz' | 'edge' | 'none' | 'bad-token'

export interface FuzzRequest {
  kind: string
  route: string
  method: string
  /** Path and query string, encoded. */
  url: string
  headers: Record<string, string>
  payload?: string
  who: Who
  expect: 'client-error' | 'no-server-error'
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const hasBody = (r: RouteInfo) => r.method !== 'GET' && r.method !== 'HEAD'
const objectBody = (r: RouteInfo) => hasBody(r) && typesOf(r.schema.body)?.has('object') === true && typesOf(r.schema.body)?.size === 1
const props = (s: Schema | undefined) => Object.entries(s?.properties ?? {})
const paramNames = (r: RouteInfo) => [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]!)
// An open stream answers forever by design: only certainly-refused requests go there.
const streams = (r: RouteInfo) => r.url.endsWith('/stream')

/** Percent-encoding that survives lone surrogates: they become bytes that are not UTF-8, as a raw client may send. */
function enc(s: string): string {
  return s.replace(/[\ud800-\udfff]/g, (c, i: number) => {
    const code = c.charCodeAt(0)
    const pair = code < 0xdc00 ? s.charCodeAt(i + 1) : s.charCodeAt(i - 1)
    return pair >= (code < 0xdc00 ? 0xdc00 : 0xd800) && pair <= (code < 0xdc00 ? 0xdfff : 0xdbff) ? c : '\u0000lone'
  }).split('\u0000lone').map(encodeURIComponent).join('%ED%A0%80')
}

/** The path with each parameter filled by `fill` (and a wildcard by a random segment). */
function path(r: RouteInfo, fill: (name: string) => fc.Arbitrary<string>): fc.Arbitrary<string> {
  const names = paramNames(r)
  const values = names.map(fill)
  const star = r.url.includes('*') ? nastyString : fc.constant('')
  return fc.tuple(fc.tuple(...values), star).map(([vals, s]) => {
    let i = 0
    return r.url.replace(/:(\w+)/g, () => enc(vals[i++] ?? '')).replace('*', enc(s))
  })
}

const goodParam = (r: RouteInfo) => (name: string) => {
  const schema = r.schema.params?.properties?.[name]
  if (schema?.format === 'uuid') return fc.uuid()
  return schema?.enum ? fc.constantFrom(...(schema.enum as string[])) : nastyString
}
const goodPath = (r: RouteInfo) => path(r, goodParam(r))

function query(entries: Array<[string, string]>): string {
  return entries.length ? `?${entries.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}` : ''
}

const json = (value: unknown) => ({ headers: { 'content-type': 'application/json' }, payload: JSON.stringify(value) })

/** Generators by kind, each for the routes it applies to (`applies`). */
interface Kind {
  name: string
  weight: number
  who: Who
  expect: FuzzRequest['expect']
  applies(r: RouteInfo): boolean
  build(r: RouteInfo): fc.Arbitrary<{ url: string; headers?: Record<string, string>; payload?: string }>
}

const BROKEN_JSON = ['{', '{"a":', '[1,2', "{'a':1}", '{"a":NaN}', '{"a":Infinity}', 'undefined', '\u0000', '{"a":1}}', 'tru', '"unterminated', '{"a":01}', '', '{"__proto__":', '\ufeff{"a":1', '{"a":"\\ud800"']
const UNPARSED_TYPES = ['application/xml', 'application/octet-stream', 'application/x-www-form-urlencoded', 'image/png', 'text/html; charset=utf-7', 'application/vnd.api+json', 'x/y']

const KINDS: Kind[] = [
  {
    name: 'no-token', weight: 6, who: 'none', expect: 'no-server-error', applies: () => true,
    build: (r) => fc.record({ url: goodPath(r) }),
  },
  {
    name: 'bad-token', weight: 6, who: 'bad-token', expect: 'no-server-error', applies: () => true,
    build: (r) => fc.record({
      url: goodPath(r),
      headers: fc.constantFrom('Bearer x', 'Bearer a.b.c', 'Basic dXNlcjpwYXNz', 'Bearer {tampered}', 'bearer', 'Bearer  ', 'Bearer eyJhbGciOiJub25lIn0.e30.')
        .map((authorization) => ({ authorization })),
    }),
  },
  {
    name: 'bad-path-param', weight: 12, who: 'fuzz', expect: 'client-error',
    applies: (r) => paramNames(r).some((n) => r.schema.params?.properties?.[n]?.format === 'uuid'),
    build: (r) => fc.record({
      url: path(r, (name) => (r.schema.params?.properties?.[name]?.format === 'uuid'
        ? fc.oneof(nastyString, nastyNumber.map(String), fc.uuid().map((u) => `${u}x`)).filter((s) => s !== '' && !UUID.test(s))
        : goodParam(r)(name))),
    }),
  },
  {
    name: 'bad-query', weight: 14, who: 'fuzz', expect: 'client-error',
    applies: (r) => props(r.schema.querystring).some(([, s]) => badQueryValue(s)) || r.schema.querystring?.additionalProperties === false,
    build: (r) => {
      const violable = props(r.schema.querystring).filter(([, s]) => badQueryValue(s))
      const bad: fc.Arbitrary<[string, string]> = violable.length
        ? fc.constantFrom(...violable).chain(([k, s]) => badQueryValue(s)!.map((v) => [k, v] as [string, string]))
        : nastyString.map((v) => [`zz_unknown_${v.length}`, v] as [string, string])
      const others = fc.array(fc.tuple(fc.constantFrom(...props(r.schema.querystring).map(([k]) => k), 'extra'), nastyString), { maxLength: 3 })
      return fc.record({ url: fc.tuple(goodPath(r), bad, others).map(([p, b, o]) => p + query([...o, b])) })
    },
  },
  {
    name: 'invalid-json', weight: 10, who: 'fuzz', expect: 'client-error', applies: hasBody,
    build: (r) => fc.record({ url: goodPath(r), headers: fc.constant({ 'content-type': 'application/json' }), payload: fc.constantFrom(...BROKEN_JSON) }),
  },
  {
    name: 'wrong-content-type', weight: 8, who: 'fuzz', expect: 'client-error', applies: hasBody,
    build: (r) => fc.record({
      url: goodPath(r),
      headers: fc.constantFrom(...UNPARSED_TYPES).map((type) => ({ 'content-type': type })),
      payload: fc.oneof(nastyString, fc.constant('<?xml version="1.0"?><a>1</a>'), fc.constant('a=1&b=2')),
    }),
  },
  {
    name: 'wrong-body-type', weight: 8, who: 'fuzz', expect: 'client-error', applies: objectBody,
    build: (r) => fc.tuple(goodPath(r), wrongType({ type: 'object' })!).map(([url, v]) => ({ url, ...json(v) })),
  },
  {
    name: 'missing-field', weight: 8, who: 'fuzz', expect: 'client-error',
    applies: (r) => objectBody(r) && (r.schema.body?.required?.length ?? 0) > 0,
    build: (r) => fc.tuple(goodPath(r), edgeObject(r.schema.body!), fc.constantFrom(...r.schema.body!.required!))
      .map(([url, body, drop]) => {
        delete body[drop]
        return { url, ...json(body) }
      }),
  },
  {
    name: 'wrong-field-type', weight: 12, who: 'fuzz', expect: 'client-error',
    applies: (r) => objectBody(r) && props(r.schema.body).some(([, s]) => wrongType(s)),
    build: (r) => {
      const violable = props(r.schema.body).filter(([, s]) => wrongType(s))
      const field = fc.constantFrom(...violable).chain(([k, s]) => wrongType(s)!.map((v) => [k, v] as const))
      return fc.tuple(goodPath(r), edgeObject(r.schema.body!), field).map(([url, body, [k, v]]) => ({ url, ...json({ ...body, [k]: v }) }))
    },
  },
  {
    name: 'extra-field', weight: 5, who: 'fuzz', expect: 'client-error',
    applies: (r) => objectBody(r) && r.schema.body?.additionalProperties === false,
    build: (r) => fc.tuple(goodPath(r), edgeObject(r.schema.body!), nastyString, fc.oneof(nastyString, nastyNumber))
      .map(([url, body, key, value]) => ({ url, ...json({ ...body, [`zz_${key}`]: value }) })),
  },
  {
    name: 'deep-json', weight: 3, who: 'fuzz', expect: 'client-error', applies: objectBody,
    build: (r) => fc.tuple(goodPath(r), fc.integer({ min: 100, max: 5_000 }), fc.boolean()).map(([url, depth, arrays]) => ({
      url,
      headers: { 'content-type': 'application/json' },
      // Arrays at the top are the wrong type; nested objects put a deep value in a field nobody declared as such.
      payload: arrays ? deepJson(depth, '1') : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
    })),
  },
  {
    name: 'oversized-array', weight: 2, who: 'fuzz', expect: 'client-error',
    applies: (r) => objectBody(r) && props(r.schema.body).some(([, s]) => typeof s.maxItems === 'number'),
    build: (r) => {
      const capped = props(r.schema.body).filter(([, s]) => typeof s.maxItems === 'number')
      return fc.tuple(goodPath(r), edgeObject(r.schema.body!), fc.constantFrom(...capped), fc.integer({ min: 1, max: 20 }))
        .chain(([url, body, [k, s], over]) => edgeValue(s.items).map((item) => ({ url, ...json({ ...body, [k]: Array.from({ length: s.maxItems! + over }, () => item) }) })))
    },
  },
  {
    name: 'edge-query', weight: 10, who: 'edge', expect: 'no-server-error',
    applies: (r) => !hasBody(r) && !streams(r) && props(r.schema.querystring).length > 0,
    build: (r) => fc.tuple(goodPath(r), edgeObject({ ...r.schema.querystring!, required: [] })).map(([p, q]) =>
      ({ url: p + query(Object.entries(q).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])) })),
  },
  {
    name: 'edge-body', weight: 10, who: 'edge', expect: 'no-server-error', applies: objectBody,
    build: (r) => fc.tuple(goodPath(r), edgeObject(r.schema.body!)).map(([url, body]) => ({ url, ...json(body) })),
  },
]

/** `count` requests over `routes`, reproducible from `seed`. */
export function generate(routes: RouteInfo[], seed: number, count: number): FuzzRequest[] {
  const arbitraries = KINDS.flatMap((kind) => {
    const applicable = routes.filter((r) => kind.applies(r) && !(kind.expect === 'no-server-error' && kind.who !== 'none' && kind.who !== 'bad-token' && streams(r)))
    if (!applicable.length) return []
    const arbitrary = fc.constantFrom(...applicable).chain((r) => kind.build(r).map((b): FuzzRequest => ({
      kind: kind.name, route: `${r.method} ${r.url}`, method: r.method, url: b.url, headers: b.headers ?? {}, payload: b.payload, who: kind.who, expect: kind.expect,
    })))
    return [{ weight: kind.weight, arbitrary }]
  })
  // Every route at least once, whatever the draw: one request without a token each, then the random rest.
  const noToken = KINDS.find((k) => k.name === 'no-token')!
  const sweep = routes.map((r, i) => ({
    ...fc.sample(noToken.build(r), { seed: seed + i, numRuns: 1 })[0]!, kind: noToken.name, route: `${r.method} ${r.url}`, method: r.method,
    who: noToken.who, expect: noToken.expect, headers: {},
  }))
  return [...sweep, ...fc.sample(fc.oneof(...arbitraries), { seed, numRuns: Math.max(0, count - sweep.length) })]
}
