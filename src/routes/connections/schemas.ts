// Response shapes of /api/v1/connections. Credentials have no field here: a connection never leaves the server
// with them, whatever a handler returns (fast-json-stringify drops properties a response schema does not name).
import { Type } from 'typebox'
import { POLICY_VERSION_PATTERN } from '../../providers/consents.js'

/** Issue 3's window for connect/callback limits (5 requests per 15 minutes per user). */
export const FIFTEEN_MINUTES = 15 * 60_000

const When = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])

export const Connection = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  status: Type.String({ description: 'pending, active, reauth_required (connect again), disconnected or error' }),
  region: Type.Union([Type.String(), Type.Null()]),
  lastSyncAt: When,
  lastSuccessAt: When,
  lastReadingAt: When,
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
})

export const ProviderParams = Type.Object({ provider: Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' }) })

/** An OAuth connect's first step: where to send the user's browser, until when the state is good. */
export const AuthorizeAnswer = Type.Object({ authorizeUrl: Type.String(), region: Type.String(), expiresAt: Type.String() })

export const ConnectionStatus = Type.Object({
  ...Connection.properties,
  readingCount: Type.Integer({ description: "Readings stored under this provider's source for the user" }),
})

export const SyncResult = Type.Object({
  readings: Type.Object({
    received: Type.Integer(),
    inserted: Type.Integer(),
    updated: Type.Integer(),
    unchanged: Type.Integer(),
    skipped: Type.Record(Type.String(), Type.Integer(), { description: 'Provider records not stored, counted by reason' }),
  }),
  meals: Type.Object({ inserted: Type.Integer(), updated: Type.Integer(), deleted: Type.Integer() }),
  connection: Type.Object({ ...Connection.properties }),
})

export const PolicyVersion = (description: string) => Type.String({ pattern: POLICY_VERSION_PATTERN, description })

/** What a connect request carries besides the provider's own fields. */
export const ConsentInput = Type.Object(
  { policyVersion: PolicyVersion('Version of the privacy policy the user agreed to when connecting') },
  { additionalProperties: false, description: 'The user consents to us reading their data at the provider and storing it' },
)

export const Consent = Type.Object({
  provider: Type.String(),
  scope: Type.String({ description: 'What the consent allows' }),
  policyVersion: Type.String(),
  givenAt: Type.String({ format: 'date-time' }),
})
