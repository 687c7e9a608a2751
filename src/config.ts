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
  // The service's public address (scheme, host, optional path; no trailing slash needed), used in the Nightscout
  // upload URLs shown to users. Unset: the address each request reached (right unless behind a proxy).
  PUBLIC_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://[^?#]+$' })),
  // Browser origins allowed to call the API cross-origin (CORS), comma-separated exact origins such as
  // https://app.example.com. Empty (the default): no cross-origin browser access; API clients outside browsers
  // and same-origin pages are unaffected.
  CORS_ORIGINS: Type.String({ default: '', pattern: '^(\\s*https?://[^/,\\s]+\\s*)?(,\\s*https?://[^/,\\s]+\\s*)*$' }),
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
  // Every provider call (headers and body) must finish within this, and a provider answer may be at most this big:
  // a provider that hangs, trickles or streams without end fails the sync with a clear error instead of holding a
  // worker or its memory. The largest real answer, a 30-day Dexcom EGV window, is about 3 MB.
  PROVIDER_TIMEOUT_MS: Type.Integer({ default: 15_000, minimum: 100, maximum: 300_000 }),
  PROVIDER_MAX_RESPONSE_BYTES: Type.Integer({ default: 32 * 1024 * 1024, minimum: 1024 }),
  // The sync engine (src/sync/). `serve` runs the API and a sync worker together unless SYNC_WORKER=false (then run
  // `npm run worker` processes separately; any number may run at once).
  SYNC_WORKER: Type.Boolean({ default: true }),
  // How often a worker enqueues the connections that are due, spreading them over the next interval.
  SYNC_TICK_SECONDS: Type.Integer({ default: 15, minimum: 1, maximum: 300 }),
  // Syncs in flight per worker process: mostly waiting on provider HTTP, so well above the core count.
  SYNC_CONCURRENCY: Type.Integer({ default: 16, minimum: 1, maximum: 256 }),
  // A sync job whose worker stops sending heartbeats for this long (it died) is retried by another worker.
  SYNC_JOB_HEARTBEAT_SECONDS: Type.Integer({ default: 30, minimum: 10 }),
  // How often pg-boss's monitor looks for those (and for expired jobs); lower means faster recovery, more queries.
  SYNC_MONITOR_SECONDS: Type.Integer({ default: 30, minimum: 1, maximum: 3600 }),
  // First delay before a crashed sync job is retried; it doubles with each further crash (up to 10 minutes).
  SYNC_RETRY_DELAY_SECONDS: Type.Integer({ default: 30, minimum: 1, maximum: 600 }),
  // Dexcom's request budget for the whole app (60,000 per hour, PROVIDERS.md); the scheduler stays within it.
  DEXCOM_REQUESTS_PER_HOUR: Type.Integer({ default: 60_000, minimum: 1 }),
  // GET /api/v1/glucose/stream: a comment line this often keeps proxies (often 60 s idle limits) from cutting it;
  // open streams per user per process beyond the limit are refused with 429 (a phone, a watch, a browser or two).
  LIVE_HEARTBEAT_SECONDS: Type.Integer({ default: 15, minimum: 1, maximum: 300 }),
  LIVE_MAX_STREAMS_PER_USER: Type.Integer({ default: 5, minimum: 1, maximum: 100 }),
  // `npm start` on an empty local development database seeds a demo user once (src/demo/first-start.ts); false: never.
  DEMO: Type.Boolean({ default: true }),
  // Days of health data kept for everyone (src/privacy/retention.ts); unset keeps it forever. Users may set a
  // shorter period of their own (PATCH /api/v1/me retentionDays).
  RETENTION_DAYS: Type.Optional(Type.Integer({ minimum: 1, maximum: 36500 })),
  // Days audit rows are kept (src/privacy/retention.ts); unset keeps them for ever. At least a year: the database
  // refuses to delete younger ones (migrations/0025).
  AUDIT_RETENTION_DAYS: Type.Optional(Type.Integer({ minimum: 365, maximum: 36500 })),
  // GET /metrics (Prometheus): with a token, scrapers send `Authorization: Bearer <token>` from anywhere; without
  // one, only loopback clients not relayed by a proxy are answered (src/plugins/metrics.ts).
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  // `npm run worker` serves GET /metrics on this port (on HOST) when set; 0 picks a free one (logged).
  WORKER_METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
})
type Env = Static<typeof EnvSchema>

export interface Config {
  env: Env['NODE_ENV']
  databaseUrl: string
  /** Whether a first development start may seed the demo user (only on the local cluster; see src/demo/). */
  demo: boolean
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
  publicBaseUrl: string | undefined
  /** Origins allowed cross-origin (CORS); empty = none. */
  corsOrigins: string[]
  /** Whether user-supplied provider URLs may resolve to loopback or private addresses (src/providers/public-host.ts). */
  providerAllowPrivateHosts: boolean
  /** Raw keys, current first; src/providers/crypto.ts parses and checks them. */
  credentialKeys: string[]
  dexcom: { clientId: string | undefined; clientSecret: string | undefined; redirectUri: string; baseUrl: string }
  libreLinkUp: { baseUrl: string; regionUrlTemplate: string; version: string }
  /** Limits of every provider HTTP call (src/providers/http.ts). */
  providerHttp: { timeoutMs: number; maxResponseBytes: number }
  sync: SyncConfig
  /** The live stream (src/live/): heartbeat period and open streams per user per process. */
  live: { heartbeatMs: number; maxStreamsPerUser: number }
  /** Global retention period in days (src/privacy/retention.ts); null keeps data forever. */
  retentionDays: number | null
  /** Audit log retention in days (≥ 365); null keeps audit rows for ever. */
  auditRetentionDays: number | null
  /** Bearer token for GET /metrics; undefined: loopback clients only. */
  metricsToken: string | undefined
  /** Port of `npm run worker`'s own GET /metrics; null: the worker serves none. */
  workerMetricsPort: number | null
}

export interface SyncConfig {
  /** Whether `serve` also runs a sync worker. */
  worker: boolean
  tickSeconds: number
  concurrency: number
  heartbeatSeconds: number
  /** How often pg-boss looks for expired jobs and missed heartbeats (its monitor), in seconds. */
  monitorSeconds: number
  /** First delay before a crashed sync job is retried (doubling after each crash). */
  retryDelaySeconds: number
  /** Per-provider request budgets (per hour) overriding the providers' own (ProviderLimits.rateLimit). */
  requestsPerHour: Record<string, number>
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const env = envSchema<Env>({ schema: EnvSchema, data: { ...source }, dotenv: false })
  return { ...fromEnv(env), ...overrides }
}

function fromEnv(env: Env): Config {
  return {
    env: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    demo: env.DEMO,
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
    publicBaseUrl: env.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    corsOrigins: env.CORS_ORIGINS.split(',').map((o) => o.trim()).filter((o) => o.length > 0),
    providerAllowPrivateHosts: env.PROVIDER_ALLOW_PRIVATE_HOSTS ?? env.NODE_ENV !== 'production',
    credentialKeys: credentialKeys(env),
    dexcom: {
      clientId: env.DEXCOM_CLIENT_ID,
      clientSecret: env.DEXCOM_CLIENT_SECRET,
      redirectUri: oauthRedirectUri(env),
      baseUrl: env.DEXCOM_BASE_URL.replace(/\/+$/, ''),
    },
    libreLinkUp: {
      baseUrl: env.LIBRE_LINK_UP_BASE_URL.replace(/\/+$/, ''),
      regionUrlTemplate: env.LIBRE_LINK_UP_REGION_URL.replace(/\/+$/, ''),
      version: env.LIBRE_LINK_UP_VERSION,
    },
    providerHttp: { timeoutMs: env.PROVIDER_TIMEOUT_MS, maxResponseBytes: env.PROVIDER_MAX_RESPONSE_BYTES },
    sync: {
      worker: env.SYNC_WORKER,
      tickSeconds: env.SYNC_TICK_SECONDS,
      concurrency: env.SYNC_CONCURRENCY,
      heartbeatSeconds: env.SYNC_JOB_HEARTBEAT_SECONDS,
      monitorSeconds: env.SYNC_MONITOR_SECONDS,
      retryDelaySeconds: env.SYNC_RETRY_DELAY_SECONDS,
      requestsPerHour: { dexcom: env.DEXCOM_REQUESTS_PER_HOUR },
    },
    live: { heartbeatMs: env.LIVE_HEARTBEAT_SECONDS * 1000, maxStreamsPerUser: env.LIVE_MAX_STREAMS_PER_USER },
    retentionDays: env.RETENTION_DAYS ?? null,
    auditRetentionDays: env.AUDIT_RETENTION_DAYS ?? null,
    metricsToken: env.METRICS_TOKEN,
    workerMetricsPort: env.WORKER_METRICS_PORT ?? null,
  }
}

/** The variables left at their development defaults (fine locally; loadConfig refuses them in production). */
export function developmentSecretsIn(config: Config): string[] {
  return [
    ...(config.jwt.key === DEV_JWT_SECRET ? ['JWT_SECRET'] : []),
    ...(config.credentialKeys.includes(DEV_CREDENTIALS_KEY) ? ['CREDENTIALS_KEY'] : []),
  ]
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

// The OAuth redirect URI carries authorization codes: in production only over TLS (RFC 6749 §3.1.2.1), and never
// with a fragment (RFC 6749 §3.1.2). Which URIs Dexcom accepts is the allow-list registered with Dexcom.
function oauthRedirectUri(env: Env): string {
  const uri = new URL(env.DEXCOM_REDIRECT_URI)
  if (uri.hash) throw new Error('DEXCOM_REDIRECT_URI must not contain a fragment (#…)')
  if (env.NODE_ENV === 'production' && uri.protocol !== 'https:') throw new Error('DEXCOM_REDIRECT_URI must be https:// when NODE_ENV=production')
  return env.DEXCOM_REDIRECT_URI
}

function jwtKey(env: Env): Config['jwt'] {
  if (env.JWT_SECRET && env.JWT_PUBLIC_KEY) throw new Error('Set JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256), not both')
  if (env.JWT_PUBLIC_KEY) return { algorithm: 'RS256', key: env.JWT_PUBLIC_KEY.replace(/\\n/g, '\n') }
  if (env.JWT_SECRET) return { algorithm: 'HS256', key: env.JWT_SECRET }
  // A known development secret is convenient locally and fatal in production.
  if (env.NODE_ENV === 'production') throw new Error('JWT_SECRET or JWT_PUBLIC_KEY is required when NODE_ENV=production')
  return { algorithm: 'HS256', key: DEV_JWT_SECRET }
}
