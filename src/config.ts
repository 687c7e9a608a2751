// The only place that reads the environment: validated once, typed, and failing fast with a message that names
// the variable. Everything else receives a Config.
import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'
import { parseCredentialKeys } from './providers/crypto.js'

// The embedded local cluster started by scripts/local-db.sh (loopback only, development and tests).
export const LOCAL_DATABASE_URL = 'postgres://glucose:glucose-local@127.0.0.1:54329/glucose'
const DEV_JWT_SECRET = 'local-development-secret-do-not-use-in-production'
// A fixed, public key: fine for local data, fatal in production (fromEnv refuses it there).
const DEV_CREDENTIALS_KEY = 'dev:' + '00'.repeat(31) + '01'
export const DEXCOM_SANDBOX_URL = 'https://sandbox-api.dexcom.com'
// LibreLinkUp hosts (shared/reference/PROVIDERS.md): the global host answers a login from another region with a
// redirect, and that region's host is the template with {region} filled in.
export const LIBRE_LINK_UP_GLOBAL_URL = 'https://api.libreview.io'
export const LIBRE_LINK_UP_REGION_TEMPLATE = 'https://api-{region}.libreview.io'

const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
  }),
  DATABASE_URL: Type.String({ default: LOCAL_DATABASE_URL, minLength: 1 }),
  DB_POOL_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 200 }),
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.String({ default: 'info', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }),
  MIGRATE_ON_START: Type.Boolean({ default: true }),
  // Bearer JWTs: HS256 with a shared secret, or RS256 with the issuer's public key (PEM). One of them in production.
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_PUBLIC_KEY: Type.Optional(Type.String({ minLength: 1 })),
  JWT_ISSUER: Type.Optional(Type.String()),
  JWT_AUDIENCE: Type.Optional(Type.String()),
  INGEST_MAX_READINGS: Type.Integer({ default: 10_000, minimum: 1, maximum: 50_000 }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 4 * 1024 * 1024, minimum: 1024 }),
  // CSV export uploads (POST /api/v1/imports) stream past BODY_LIMIT_BYTES; a 90-day LibreView file is ~3 MB.
  IMPORT_MAX_BYTES: Type.Integer({ default: 50 * 1024 * 1024, minimum: 1024 }),
  // Requests per minute per user (per client address before authentication), across all routes. 600 = 10/s, far
  // above what an app or uploader needs, low enough to stop a runaway client. Connect routes have stricter limits.
  // User-supplied provider URLs (Nightscout) may point at loopback/private networks: local simulators need it;
  // production must not (server-side request forgery). Defaults to true except when NODE_ENV=production.
  PROVIDER_ALLOW_PRIVATE_HOSTS: Type.Optional(Type.Boolean()),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 600, minimum: 1 }),
  // AES-256-GCM keys for stored provider credentials: `[id:]key` (32 bytes as 64 hex or base64), comma-separated.
  // The first encrypts; the others only decrypt, so a rotated-out key keeps working until everything is re-encrypted.
  CREDENTIALS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  DEXCOM_CLIENT_ID: Type.Optional(Type.String({ minLength: 1 })),
  DEXCOM_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  // Must equal a redirect URI registered with Dexcom; it points at GET /api/v1/connections/dexcom/callback.
  DEXCOM_REDIRECT_URI: Type.String({ default: 'http://127.0.0.1:3000/api/v1/connections/dexcom/callback', pattern: '^https?://' }),
  // Host for new connections that name no region (src/providers/dexcom/regions.ts maps us/eu/jp/sandbox).
  DEXCOM_BASE_URL: Type.String({ default: DEXCOM_SANDBOX_URL, pattern: '^https?://[^/]+/?$' }),
  // Where LibreLinkUp logins start, and where a region's API lives (`{region}` is replaced, e.g. by `de`).
  LIBRE_LINK_UP_BASE_URL: Type.String({ default: LIBRE_LINK_UP_GLOBAL_URL, pattern: '^https?://' }),
  LIBRE_LINK_UP_REGION_URL: Type.String({ default: LIBRE_LINK_UP_REGION_TEMPLATE, pattern: '^https?://.*\\{region\\}' }),
  // The app version we announce: LibreView refuses older ones with 403 (>= 4.16.0 since 2025-10, PROVIDERS.md).
  // Raise it when connections fail with "requires app version".
  LIBRE_LINK_UP_VERSION: Type.String({ default: '4.16.0', pattern: '^\\d+(\\.\\d+){1,3}$' }),
})
type Env = Static<typeof EnvSchema>

export interface Config {
  env: Env['NODE_ENV']
  databaseUrl: string
  dbPoolMax: number
  host: string
  port: number
  logLevel: string
  migrateOnStart: boolean
  jwt: { algorithm: 'HS256'; key: string } | { algorithm: 'RS256'; key: string }
  jwtIssuer: string | undefined
  jwtAudience: string | undefined
  ingestMaxReadings: number
  bodyLimitBytes: number
  importMaxBytes: number
  rateLimitPerMinute: number
  /** Whether user-supplied provider URLs may resolve to loopback or private addresses (src/providers/public-host.ts). */
  providerAllowPrivateHosts: boolean
  /** Raw keys, current first; src/providers/crypto.ts parses and checks them. */
  credentialKeys: string[]
  dexcom: { clientId: string | undefined; clientSecret: string | undefined; redirectUri: string; baseUrl: string }
  libreLinkUp: { baseUrl: string; regionUrlTemplate: string; version: string }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const env = envSchema<Env>({ schema: EnvSchema, data: { ...source }, dotenv: false })
  return { ...fromEnv(env), ...overrides }
}

function fromEnv(env: Env): Config {
  return {
    env: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    dbPoolMax: env.DB_POOL_MAX,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    migrateOnStart: env.MIGRATE_ON_START,
    jwt: jwtKey(env),
    jwtIssuer: env.JWT_ISSUER,
    jwtAudience: env.JWT_AUDIENCE,
    ingestMaxReadings: env.INGEST_MAX_READINGS,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    importMaxBytes: env.IMPORT_MAX_BYTES,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    providerAllowPrivateHosts: env.PROVIDER_ALLOW_PRIVATE_HOSTS ?? env.NODE_ENV !== 'production',
    credentialKeys: credentialKeys(env),
    dexcom: {
      clientId: env.DEXCOM_CLIENT_ID,
      clientSecret: env.DEXCOM_CLIENT_SECRET,
      redirectUri: env.DEXCOM_REDIRECT_URI,
      baseUrl: env.DEXCOM_BASE_URL.replace(/\/+$/, ''),
    },
    libreLinkUp: {
      baseUrl: env.LIBRE_LINK_UP_BASE_URL.replace(/\/+$/, ''),
      regionUrlTemplate: env.LIBRE_LINK_UP_REGION_URL.replace(/\/+$/, ''),
      version: env.LIBRE_LINK_UP_VERSION,
    },
  }
}

function credentialKeys(env: Env): string[] {
  const keys = (env.CREDENTIALS_KEY ?? '').split(',').map((k) => k.trim()).filter((k) => k.length > 0)
  if (keys.length > 0) {
    parseCredentialKeys(keys) // fail at start-up, naming the variable, rather than at the first connection
    return keys
  }
  if (env.NODE_ENV === 'production') throw new Error('CREDENTIALS_KEY is required when NODE_ENV=production (32 bytes, hex or base64)')
  return [DEV_CREDENTIALS_KEY]
}

function jwtKey(env: Env): Config['jwt'] {
  if (env.JWT_SECRET && env.JWT_PUBLIC_KEY) throw new Error('Set JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256), not both')
  if (env.JWT_PUBLIC_KEY) return { algorithm: 'RS256', key: env.JWT_PUBLIC_KEY.replace(/\\n/g, '\n') }
  if (env.JWT_SECRET) return { algorithm: 'HS256', key: env.JWT_SECRET }
  // A known development secret is convenient locally and fatal in production.
  if (env.NODE_ENV === 'production') throw new Error('JWT_SECRET or JWT_PUBLIC_KEY is required when NODE_ENV=production')
  return { algorithm: 'HS256', key: DEV_JWT_SECRET }
}
