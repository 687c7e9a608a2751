// The only place that reads the environment: validated once, typed, and failing fast with a message that names
// the variable. Everything else receives a Config.
import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'

// The embedded local cluster started by scripts/local-db.sh (loopback only, development and tests).
export const LOCAL_DATABASE_URL = 'postgres://glucose:glucose-local@127.0.0.1:54329/glucose'
const DEV_JWT_SECRET = 'local-development-secret-do-not-use-in-production'

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
  }
}

function jwtKey(env: Env): Config['jwt'] {
  if (env.JWT_SECRET && env.JWT_PUBLIC_KEY) throw new Error('Set JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256), not both')
  if (env.JWT_PUBLIC_KEY) return { algorithm: 'RS256', key: env.JWT_PUBLIC_KEY.replace(/\\n/g, '\n') }
  if (env.JWT_SECRET) return { algorithm: 'HS256', key: env.JWT_SECRET }
  // A known development secret is convenient locally and fatal in production.
  if (env.NODE_ENV === 'production') throw new Error('JWT_SECRET or JWT_PUBLIC_KEY is required when NODE_ENV=production')
  return { algorithm: 'HS256', key: DEV_JWT_SECRET }
}
