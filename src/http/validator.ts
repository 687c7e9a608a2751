// Request validation with two ajv instances: URL parts (querystring, params, headers) arrive as strings and are
// coerced to their schema types (`?limit=10` -> 10), while JSON bodies are validated strictly. Coercing bodies
// would turn `"notes": null` into "" and `"carbs": "60"` into 60 — silent rewrites of what the client sent.
import AjvCompiler from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'

const factory = AjvCompiler()
// allErrors invites DoS on large arrays. discriminator: a oneOf picked by a tag property (the connect body's
// `provider`) reports only the picked branch's errors.
const shared = { removeAdditional: false as const, allErrors: false, discriminator: true }

export const schemaController: FastifyServerOptions['schemaController'] = {
  compilersFactory: {
    buildValidator(externalSchemas) {
      const coercing = factory(externalSchemas, { customOptions: { ...shared, coerceTypes: 'array' } })
      const strict = factory(externalSchemas, { customOptions: { ...shared, coerceTypes: false } })
      return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route))
    },
  },
}
