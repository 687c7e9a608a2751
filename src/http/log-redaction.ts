// What must never reach a log line, for the API's logger and the worker's alike: credentials wherever they sit in
// a logged object (headers, provider credentials, connect bodies), and secrets inside error messages and stacks
// (a provider URL with ?token=, a "Bearer …" echoed by a library). Health data stays out by never logging bodies
// or query strings (the request serializer in src/app.ts), not by redaction: values have no recognisable key.
import { stdSerializers, type LoggerOptions } from 'pino'

const SECRET_KEYS = [
  'authorization', 'cookie', 'set-cookie', 'api-secret', 'apiSecret', 'api_secret', 'password', 'token', 'secret',
  'accessToken', 'refreshToken', 'access_token', 'refresh_token', 'client_secret', 'clientSecret', 'code_verifier',
  'codeVerifier', 'credentials', 'sessionToken', 'ticket',
]
const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `["${k}"]`)

/** pino redact paths: each key at the top level and up to two levels down, plus request and response headers. */
export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((k) => [k.includes('-') ? `["${k}"]` : k, `*${key(k)}`, `*.*${key(k)}`]),
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["api-secret"]', 'res.headers["set-cookie"]',
  '*.headers.authorization', '*.headers.cookie', '*.headers["api-secret"]',
]

// Query parameters and header forms that carry secrets, as they appear in URLs and messages.
const SECRET_TEXT = [
  /([?&;](?:token|api[-_]?secret|secret|code|state|password|access_token|refresh_token|code_verifier)=)[^&\s"'#]+/gi,
  /(\bBearer\s+)[A-Za-z0-9._~+/=-]+/gi,
  /(\bapi-secret\s*[:=]\s*)[^\s,;"']+/gi,
  /(https?:\/\/)[^/@\s:]+(?::[^/@\s]*)?@/gi, // user:secret@host (xDrip+ style URLs)
]

export function scrubText(text: string): string {
  return SECRET_TEXT.reduce((out, pattern) => out.replace(pattern, '$1[Redacted]'), text)
}

/** pino's error serializer with secrets scrubbed from message and stack. */
export function serializeError(error: Error): SerializedError {
  const serialized = stdSerializers.err(error) as SerializedError
  if (!serialized || typeof serialized !== 'object') return serialized
  if (typeof serialized.message === 'string') serialized.message = scrubText(serialized.message)
  if (typeof serialized.stack === 'string') serialized.stack = scrubText(serialized.stack)
  return serialized
}

type SerializedError = { [key: string]: unknown; type: string; message: string; stack: string }

/** The redaction every logger of this service uses (src/app.ts for the API, src/cli/worker.ts). */
export function redactingLoggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACT_PATHS, censor: '[Redacted]' }, serializers: { err: serializeError } }
}
