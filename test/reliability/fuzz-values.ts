// Values for the fuzzer, read off each route's own JSON schema: edge values a schema may or may not accept, and
// violations that it certainly refuses (wrong type, out-of-enum, not the format, one over the limit).
import fc from 'fast-check'

export type Schema = {
  type?: string | string[]
  format?: string
  enum?: unknown[]
  const?: unknown
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean | Schema
  items?: Schema
  maxItems?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  [key: string]: unknown
}

/** Strings that broke parsers and databases elsewhere: number spellings, impossible dates, injections, odd unicode. */
const NASTY_STRINGS = [
  'NaN', 'Infinity', '-Infinity', '1e309', '-1e309', '-0', '0x1F', '1_000', '', ' ', 'null', 'undefined', 'true', '[]', '{}',
  '9'.repeat(400), '2024-02-30T00:00:00Z', '2024-13-01T00:00:00Z', '0000-00-00T00:00:00Z', '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00Z', '1970-01-01T00:00:00Z',
  '2016-12-31T23:59:60Z', '2024-01-01', '2024-01-01T00:00:00', '2024-01-01T00:00:00+25:00', '2024-01-01T24:00:00Z',
  'mg/dL', 'mmol/L', '../../etc/passwd', "'; DROP TABLE users; --", '%00', '\u0000', '\ud800', '\u202e', 'ﷺ',
  '👩‍👩‍👧‍👦', 'Z͑ͫ̓ͪ̂ͫ̽͏̴̙̤̞͉͚̯̞̠͍', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'a'.repeat(5000), 'UTC', 'Mars/Olympus_Mons', 'Europe/Berlin', '+05:30',
]

/** No string may look like a URL: a connect or webhook body must never make the service call out of the machine. */
const safe = (s: string): string => s.replace(/:\/\//g, ':/')

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
).map(safe)

export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 1e308, -1e308, 2 ** 53 + 2, 2 ** 31, -(2 ** 31) - 1, 2 ** 63, 5e-324, 0.1, 99999999999),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
)

/** JSON nested `depth` deep: what a stack-recursive parser or validator chokes on. */
export const deepJson = (depth: number, leaf: string): string => '['.repeat(depth) + leaf + ']'.repeat(depth)

/** The JSON types a schema admits, or undefined when it admits anything. */
export function typesOf(schema: Schema | undefined): Set<string> | undefined {
  if (!schema) return undefined
  if (typeof schema.type === 'string') return new Set([schema.type])
  if (Array.isArray(schema.type)) return new Set(schema.type)
  if ('const' in schema) return new Set([jsonType(schema.const)])
  if (schema.enum) return new Set(schema.enum.map(jsonType))
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) {
    const all = new Set<string>()
    for (const b of branches) {
      const t = typesOf(b)
      if (!t) return undefined
      for (const x of t) all.add(x)
    }
    return all
  }
  return undefined
}

const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v)

/** A value of some type the schema does not admit (undefined when it admits every type). */
export function wrongType(schema: Schema): fc.Arbitrary<unknown> | undefined {
  const types = typesOf(schema)
  if (!types) return undefined
  const options: fc.Arbitrary<unknown>[] = []
  if (!types.has('string')) options.push(nastyString)
  if (!types.has('number')) options.push(types.has('integer') ? fc.constantFrom(1.5, -0.25, 1e-7) : nastyNumber)
  if (!types.has('boolean')) options.push(fc.boolean())
  if (!types.has('null')) options.push(fc.constant(null))
  if (!types.has('array')) options.push(fc.array(fc.oneof(nastyString, nastyNumber), { maxLength: 3 }))
  if (!types.has('object')) options.push(fc.dictionary(nastyString, nastyString, { maxKeys: 3 }))
  return options.length ? fc.oneof(...options) : undefined
}

/** A value the schema admits by type, chosen from the edges: the schema may still refuse it, or may not. */
export function edgeValue(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return fc.oneof(nastyString, nastyNumber)
  if ('const' in schema) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  const branches = schema.anyOf ?? schema.oneOf
  if (branches?.length) return fc.oneof(...branches.map((b) => edgeValue(b, depth + 1)))
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string':
      if (schema.format === 'uuid') return fc.uuid()
      if (schema.format === 'date-time') return fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nastyString)
      return nastyString
    case 'number':
      return nastyNumber
    case 'integer':
      return fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53 - 1, -(2 ** 53) + 1))
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return fc.array(edgeValue(schema.items, depth + 1), { maxLength: 4 })
    case 'object':
      return edgeObject(schema, depth + 1)
    default:
      return fc.oneof(nastyString, nastyNumber)
  }
}

/** Every required property and some optional ones, each an edge value. */
export function edgeObject(schema: Schema, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const props = schema.properties ?? {}
  const required = new Set(schema.required ?? [])
  const shape = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, edgeValue(s, depth)]))
  return fc.record(shape, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) }) as fc.Arbitrary<Record<string, unknown>>
}

/**
 * A query-string value (always a string: the URL is text) that the property's schema certainly refuses after
 * coercion, or undefined when no string is certainly refused (a free string).
 */
export function badQueryValue(schema: Schema): fc.Arbitrary<string> | undefined {
  const types = typesOf(schema)
  if (schema.enum || 'const' in schema) return nastyString.map((s) => `zz-not-allowed-${s}`)
  if (types && !types.has('string')) {
    if (types.has('number') || types.has('integer')) return fc.constantFrom('NaN', 'abc', '1e309x', '12px', '0x', '١٢', '--1')
    if (types.has('boolean')) return fc.constantFrom('maybe', 'yes please', '2', 'TRUE!')
  }
  if (schema.format === 'date-time' || schema.format === 'uuid' || schema.format === 'date') {
    return fc.constantFrom('not-a-date', '2024-13-45T25:61:00Z', 'yesterday', '12/31/2024', '1700000000000x', '2024-01-01T00:00:00ZZ', 'g0000000-0000-4000-8000-000000000000')
  }
  if (typeof schema.maxLength === 'number' && schema.maxLength < 20_000) return fc.constant('x'.repeat(schema.maxLength + 1))
  return undefined
}
