// Schemas shared by several routes: the one error shape, units, ids.
import { Type } from 'typebox'
import { GLUCOSE_UNITS } from '../glucose/units.js'

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String({ description: 'What was wrong and what to do about it' }),
    details: Type.Optional(
      Type.Array(
        Type.Object({
          index: Type.Optional(Type.Integer({ description: 'Position of the item in the submitted array' })),
          field: Type.String(),
          message: Type.String(),
        }),
      ),
    ),
  },
  { description: 'The one error shape of this API' },
)

/** Response schemas for the error statuses a route can answer with: `...errors(400, 404)`. */
export function errors<const C extends readonly number[]>(...codes: C): { [K in C[number]]: typeof ErrorResponse } {
  return Object.fromEntries(codes.map((c) => [c, ErrorResponse])) as { [K in C[number]]: typeof ErrorResponse }
}

// The one error shape, built here for the answers routes send themselves (the errors plugin builds the rest).
export const badRequest = (message: string, details?: Array<{ index?: number; field: string; message: string }>) =>
  ({ statusCode: 400, error: 'Bad Request', message, ...(details && { details }) })
export const notFound = (message: string) => ({ statusCode: 404, error: 'Not Found', message })

export const DAY_MS = 24 * 60 * 60 * 1000
export const nullableNumber = (description: string) => Type.Union([Type.Number(), Type.Null()], { description })

export const Unit = Type.Enum(GLUCOSE_UNITS, { description: 'Glucose unit' })
export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })
export const DateTime = (description: string) => Type.String({ format: 'date-time', description })

/**
 * The earliest time a query may reach: PostgreSQL has no year 0, and a Date before year 1 is sent as "0000-…" and
 * refused as out of range. `to=0001-01-01T00:00:00Z` alone would default `from` to before it (found by fuzzing).
 */
export const EARLIEST_QUERY_TIME = Date.parse('0001-01-01T00:00:00Z')
export const tooEarly = (from: Date, defaulted: boolean) =>
  from.getTime() < EARLIEST_QUERY_TIME
    ? `from${defaulted ? ' (defaulted from to)' : ''} is before 0001-01-01T00:00:00Z; ask for a later period`
    : undefined

/**
 * The [from, to) of a query with optional ends (`to` defaults to now, `from` to `defaultDays` before `to`), or the
 * 400 answer when `to` is not after `from` or the span exceeds `maxDays`.
 */
export function queryRange(
  query: { from?: string | undefined; to?: string | undefined },
  defaultDays: number,
  maxDays: number,
): { from: Date; to: Date } | { error: ReturnType<typeof badRequest> & { details: Array<{ field: string; message: string }> } } {
  const to = query.to ? new Date(query.to) : new Date()
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - defaultDays * DAY_MS)
  const early = tooEarly(from, !query.from)
  if (early) return { error: { ...badRequest(early), details: [{ field: 'querystring.from', message: early }] } }
  const span = to.getTime() - from.getTime()
  if (span > 0 && span <= maxDays * DAY_MS) return { from, to }
  const message = `to must be after from and at most ${maxDays} days later; split longer ranges`
  return { error: { ...badRequest(message), details: [{ field: 'querystring.to', message }] } }
}
