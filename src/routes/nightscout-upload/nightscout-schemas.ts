// Response schemas of the Nightscout-compatible routes, and the status document uploaders read.
import { Type } from 'typebox'
import { TREND_CODE_DIRECTIONS } from '../../nightscout-upload/nightscout-entry.js'
import type { UploadSite } from '../../nightscout-upload/sites.js'

export const NightscoutError = Type.Object(
  { status: Type.Integer(), message: Type.String(), description: Type.Optional(Type.String()) },
  { description: "Nightscout's error shape (not this API's own): its clients read `status` and `message`" },
)

export const Entry = Type.Object({
  _id: Type.String({ description: '24 hex digits: epoch seconds, then zeros (unique within the site)' }),
  type: Type.Literal('sgv'),
  sgv: Type.Integer({ description: 'mg/dL' }),
  date: Type.Integer({ description: 'epoch milliseconds' }),
  dateString: Type.String({ description: 'ISO 8601, UTC' }),
  sysTime: Type.String(),
  direction: Type.Enum(TREND_CODE_DIRECTIONS),
  trend: Type.Integer({ description: 'numeric code of the direction (0 NONE … 9 RATE OUT OF RANGE)' }),
  device: Type.String(),
  utcOffset: Type.Literal(0),
})
export const Entries = Type.Array(Entry, { description: 'Newest first' })

export const VerifyAuthAnswer = Type.Object({
  status: Type.Literal(200),
  message: Type.Object({
    canRead: Type.Boolean(),
    canWrite: Type.Boolean(),
    isAdmin: Type.Boolean(),
    message: Type.Union([Type.Literal('OK'), Type.Literal('UNAUTHORIZED')]),
    rolefound: Type.String(),
    permissions: Type.String(),
  }),
})

// The release whose v1 API these routes follow. xDrip+ only refuses 0.6-0.8 (NightscoutUploader.isNightscoutCompatible).
const NIGHTSCOUT_VERSION = '15.0.3'

export const StatusAnswer = Type.Object({
  status: Type.Literal('ok'),
  name: Type.String(),
  version: Type.String(),
  serverTime: Type.String(),
  serverTimeEpoch: Type.Integer(),
  apiEnabled: Type.Boolean(),
  careportalEnabled: Type.Boolean(),
  boluscalcEnabled: Type.Boolean(),
  settings: Type.Object({}, { additionalProperties: true }),
  extendedSettings: Type.Object({}, { additionalProperties: true }),
  authorized: Type.Null(),
  runtimeState: Type.String(),
})

/**
 * What GET /api/v1/status.json answers (the fields cgm-remote-monitor's status.js sends). Careportal is off: this
 * service takes no treatments, and xDrip+ then tells its user to enable careportal rather than failing silently.
 */
export function siteStatus(site: UploadSite) {
  const now = Date.now()
  return {
    status: 'ok' as const,
    name: 'nightscout',
    version: NIGHTSCOUT_VERSION,
    serverTime: new Date(now).toISOString(),
    serverTimeEpoch: now,
    apiEnabled: true,
    careportalEnabled: false,
    boluscalcEnabled: false,
    settings: {
      units: site.preferredUnit === 'mmol/L' ? 'mmol' : 'mg/dl',
      timeFormat: 24,
      customTitle: 'Glucose',
      theme: 'default',
      authDefaultRoles: 'denied',
      enable: [],
      // The consensus target range and level-2 bounds (Battelino et al., Diabetes Care 2019), as in our report.
      thresholds: { bgHigh: 250, bgTargetTop: 180, bgTargetBottom: 70, bgLow: 54 },
    },
    extendedSettings: {},
    authorized: null,
    runtimeState: 'loaded',
  }
}
