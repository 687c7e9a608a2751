// GET/PUT /api/v1/alerts/settings and GET /api/v1/alerts: threshold alerts (src/live/alerts.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ALERT_KINDS, DEFAULT_ALERT_SETTINGS, EPISODE_GAP_MS, RECOVERY_MARGIN_MG_DL, settingsProblems } from '../../live/alert-rules.js'
import { alertSettings, listAlerts, saveAlertSettings } from '../../live/alerts.js'
import { badRequest, DateTime, errors, queryRange } from '../schemas.js'

const NOT_A_DEVICE = 'Alerts are informational only: this service is not a medical device and must not be relied on for treatment decisions.'

const threshold = (min: number, max: number, what: string) =>
  Type.Union([Type.Integer({ minimum: min, maximum: max }), Type.Null()], { description: `${what}; null turns it off` })

const Settings = Type.Object(
  {
    urgentLow: threshold(40, 100, `Urgent low below this, mg/dL (default ${DEFAULT_ALERT_SETTINGS.urgentLow})`),
    low: threshold(50, 150, `Low below this, mg/dL (default ${DEFAULT_ALERT_SETTINGS.low})`),
    high: threshold(120, 400, `High above this, mg/dL (default ${DEFAULT_ALERT_SETTINGS.high})`),
    rate: Type.Union([Type.Number({ minimum: 1, maximum: 10 }), Type.Null()], {
      description: `Rising/falling fast at this rate of change or more, mg/dL/min (default ${DEFAULT_ALERT_SETTINGS.rate}); needs readings with a trendRate; null turns it off`,
    }),
  },
  { additionalProperties: false },
)
const SettingsUpdate = Type.Partial(Settings, { additionalProperties: false, description: 'Fields left out take their defaults' })
const SettingsAnswer = Type.Object({ settings: Settings, defaults: Settings })

const Alert = Type.Object({
  id: Type.Integer(),
  kind: Type.Enum(ALERT_KINDS),
  threshold: Type.Number(),
  readingTime: Type.String({ description: 'The reading that raised it' }),
  value: Type.Integer({ description: 'mg/dL' }),
  trendRate: Type.Union([Type.Number(), Type.Null()]),
  endedAt: Type.Union([Type.String(), Type.Null()], { description: 'When the episode ended; null while it lasts' }),
  createdAt: Type.String(),
})
const ListQuery = Type.Object(
  {
    from: Type.Optional(DateTime('Start, inclusive (default: 7 days before `to`)')),
    to: Type.Optional(DateTime('End, exclusive (default: now)')),
    open: Type.Optional(Type.Boolean({ description: 'Only episodes not over yet' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
)

const alerts: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/alerts/settings', {
    schema: { description: `The caller's alert thresholds. ${NOT_A_DEVICE}`, response: { 200: SettingsAnswer, ...errors(401) } },
  }, async (request) => ({ settings: await alertSettings(app.db.sql, request.userId), defaults: DEFAULT_ALERT_SETTINGS }))

  app.put('/alerts/settings', {
    schema: {
      description: `Replace the caller's alert thresholds (left-out fields take the defaults). ${NOT_A_DEVICE}`,
      body: SettingsUpdate, response: { 200: SettingsAnswer, ...errors(400, 401) },
    },
  }, async (request, reply) => {
    const settings = { ...DEFAULT_ALERT_SETTINGS, ...request.body }
    const problems = settingsProblems(settings)
    if (problems.length > 0) return reply.code(400).send(badRequest(`thresholds out of order: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems))
    return { settings: await saveAlertSettings(app.db.sql, request.userId, settings), defaults: DEFAULT_ALERT_SETTINGS }
  })

  app.get('/alerts', {
    schema: {
      description: `Alerts raised from the caller's readings, newest first: one per episode (raised by the first reading past a
threshold; over when glucose is back past it by ${RECOVERY_MARGIN_MG_DL} mg/dL, or after ${EPISODE_GAP_MS / 60_000} minutes without
readings). Readings older than 30 minutes when they arrive (backfills, imports) raise none. Also sent as \`alert\` events on
GET /api/v1/glucose/stream. ${NOT_A_DEVICE}`,
      querystring: ListQuery, response: { 200: Type.Object({ alerts: Type.Array(Alert) }), ...errors(400, 401) },
    },
  }, async (request, reply) => {
    const range = queryRange(request.query, 7, 92)
    if ('error' in range) return reply.code(400).send(range.error)
    const list = await listAlerts(app.db.sql, request.userId, { ...range, open: request.query.open ?? false, limit: request.query.limit ?? 100 })
    return { alerts: list }
  })
}
export default alerts
