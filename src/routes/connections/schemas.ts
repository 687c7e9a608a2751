// Response shapes of /api/v1/connections. Credentials have no field here: a connection never leaves the server
// with them, whatever a handler returns (fast-json-stringify drops properties a response schema does not name).
import { Type } from 'typebox'

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
