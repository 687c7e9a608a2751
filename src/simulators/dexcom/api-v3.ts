/**
 * Dexcom API v3 data endpoints (`GET /v3/users/self/…`, Bearer token), PROVIDERS.md Dexcom section.
 *
 * Error bodies for 401/429 follow the Apigee gateway shape (`{fault:{faultstring, detail:{errorcode}}}`) that
 * fronts Dexcom's API; 400 bodies are the simulator's own, worded so a developer knows what to fix.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DAY_MS } from '../realistic-trace.js';
import type { DexcomOAuth, TokenGrant } from './oauth.js';
import { recordIdFor, type DexcomRecords } from './records.js';
import { displayAppFor, recordTimes, userIdFor, type DexcomUser } from './users.js';

export interface ApiV3Deps {
  oauth: DexcomOAuth;
  records: DexcomRecords;
  user: (username: string) => DexcomUser | undefined;
  now: () => number;
  /** Calls per app per hour before 429 (PROVIDERS.md: 60,000 in v2; v3 figure UNCONFIRMED). */
  hourlyCallLimit: () => number;
}

const HOUR_MS = 3_600_000;
/** Maximum span per request: 30 days (PROVIDERS.md, UNCONFIRMED) — enforced so clients that do not chunk fail. */
export const MAX_WINDOW_MS = 30 * DAY_MS;
/** ISO 8601 without zone, e.g. `2025-02-06T09:12:35` (fractional seconds tolerated). */
const NAIVE_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

function fault(reply: FastifyReply, code: number, faultstring: string, errorcode: string): FastifyReply {
  return reply.code(code).send({ fault: { faultstring, detail: { errorcode } } });
}

export function parseNaive(value: string): number {
  return Date.parse(`${value}Z`);
}

type Window = { ok: true; from: number; to: number } | { ok: false; message: string };

export function parseWindow(query: Record<string, string | undefined>): Window {
  const { startDate, endDate } = query;
  for (const [name, value] of [['startDate', startDate], ['endDate', endDate]] as const) {
    if (value === undefined || value === '') return { ok: false, message: `${name} is required (ISO 8601 without zone, e.g. 2025-02-06T09:12:35)` };
    if (!NAIVE_ISO.test(value)) {
      return { ok: false, message: `${name} "${value}" must be ISO 8601 without a zone suffix (no Z or ±hh:mm), e.g. 2025-02-06T09:12:35` };
    }
    if (Number.isNaN(parseNaive(value))) return { ok: false, message: `${name} "${value}" is not a valid date-time` };
  }
  const from = parseNaive(startDate as string);
  const to = parseNaive(endDate as string);
  if (from >= to) return { ok: false, message: 'startDate must be before endDate' };
  if (to - from > MAX_WINDOW_MS) return { ok: false, message: 'the window between startDate and endDate must not exceed 30 days; request it in chunks' };
  return { ok: true, from, to };
}

export function registerApiV3(app: FastifyInstance, deps: ApiV3Deps): { callsThisHour(clientId: string): number } {
  const usage = new Map<string, { window: number; count: number }>();

  /** Bearer check then the per-app hourly budget; answers the request itself when either fails. */
  const authorize = (request: FastifyRequest, reply: FastifyReply): { grant: TokenGrant; user: DexcomUser } | undefined => {
    const check = deps.oauth.checkBearer(request.headers.authorization);
    if (!check.ok) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      if (check.reason === 'expired') fault(reply, 401, 'Access Token expired', 'keymanagement.service.access_token_expired');
      else fault(reply, 401, 'Invalid Access Token', 'keymanagement.service.invalid_access_token');
      return undefined;
    }
    const now = deps.now();
    const window = Math.floor(now / HOUR_MS);
    const entry = usage.get(check.grant.clientId);
    const current = entry && entry.window === window ? entry : { window, count: 0 };
    current.count += 1;
    usage.set(check.grant.clientId, current);
    if (current.count > deps.hourlyCallLimit()) {
      reply.header('retry-after', String(Math.ceil(((window + 1) * HOUR_MS - now) / 1000)));
      fault(reply, 429, 'Rate limit quota violation. Quota limit exceeded.', 'policies.ratelimit.QuotaViolation');
      return undefined;
    }
    const user = deps.user(check.grant.username);
    if (!user) {
      fault(reply, 401, 'Invalid Access Token', 'keymanagement.service.invalid_access_token');
      return undefined;
    }
    return { grant: check.grant, user };
  };

  const envelope = (recordType: string, grant: TokenGrant, records: unknown[]) => ({
    recordType,
    recordVersion: '3.0',
    userId: userIdFor(grant.clientId, grant.username),
    records,
  });

  const windowed = (
    path: string,
    recordType: string,
    build: (user: DexcomUser, grant: TokenGrant, from: number, to: number) => unknown[],
  ): void => {
    app.get(path, async (request, reply) => {
      const auth = authorize(request, reply);
      if (!auth) return reply;
      const window = parseWindow(request.query as Record<string, string | undefined>);
      if (!window.ok) return reply.code(400).send({ error: 'invalid_request', message: window.message });
      return envelope(recordType, auth.grant, build(auth.user, auth.grant, window.from, window.to));
    });
  };

  const common = (user: DexcomUser) => ({
    transmitterId: user.transmitterId,
    transmitterGeneration: user.transmitterGeneration,
    displayDevice: user.displayDevice,
  });

  windowed('/v3/users/self/egvs', 'egv', (user, grant, from, to) =>
    deps.records.egvs(user, from, to).map((egv) => ({
      recordId: recordIdFor(grant.clientId, user.username, `egv:${egv.time}`),
      ...recordTimes(user, egv.time),
      transmitterId: user.transmitterId,
      transmitterTicks: Math.floor((egv.time - user.transmitterStart) / 1000),
      value: egv.value,
      status: egv.status,
      trend: egv.trend,
      trendRate: egv.trendRate,
      unit: 'mg/dL',
      rateUnit: 'mg/dL/min',
      displayDevice: user.displayDevice,
      transmitterGeneration: user.transmitterGeneration,
    })),
  );

  // v3 types `value` as a string (getEventsV3 schema), although its sample shows a number: clients must take both.
  windowed('/v3/users/self/events', 'event', (user, grant, from, to) =>
    deps.records.events(user, from, to).map((e) => ({
      recordId: recordIdFor(grant.clientId, user.username, e.key),
      ...recordTimes(user, e.time),
      eventStatus: e.eventStatus,
      eventType: e.eventType,
      eventSubType: e.eventSubType,
      value: String(e.value),
      unit: e.unit,
      ...common(user),
    })),
  );

  // Simulated users are factory calibrated (G6 and later): the array is empty, as for Dexcom ONE.
  windowed('/v3/users/self/calibrations', 'calibration', () => []);

  // Alerts: a low alert when glucose falls below 70, a high alert when it rises above 250.
  windowed('/v3/users/self/alerts', 'alert', (user, grant, from, to) => {
    const egvs = deps.records.egvs(user, from, to).reverse();
    const out: unknown[] = [];
    let previous: number | null = null;
    for (const egv of egvs) {
      const name = egv.value === null ? null : egv.value < 70 && (previous ?? 100) >= 70 ? 'low' : egv.value > 250 && (previous ?? 100) <= 250 ? 'high' : null;
      if (name) {
        out.push({
          recordId: recordIdFor(grant.clientId, user.username, `alert:${egv.time}`),
          ...recordTimes(user, egv.time),
          alertName: name,
          alertState: 'triggered',
          displayApp: displayAppFor(user),
          ...common(user),
        });
      }
      if (egv.value !== null) previous = egv.value;
    }
    return out.reverse();
  });

  app.get('/v3/users/self/dataRange', async (request, reply) => {
    const auth = authorize(request, reply);
    if (!auth) return reply;
    const { lastSyncTime } = request.query as { lastSyncTime?: string };
    let since: number | undefined;
    if (lastSyncTime !== undefined && lastSyncTime !== '') {
      // The page's own examples use both `2019-08-24T14:15:22Z` and `2025-01-01T17:00:00`: accept both.
      since = /[zZ]|[+-]\d{2}:?\d{2}$/.test(lastSyncTime) ? Date.parse(lastSyncTime) : parseNaive(lastSyncTime);
      if (Number.isNaN(since)) return reply.code(400).send({ error: 'invalid_request', message: `lastSyncTime "${lastSyncTime}" is not an ISO 8601 date-time` });
    }
    return {
      recordType: 'dataRange',
      recordVersion: '3.0',
      userId: userIdFor(auth.grant.clientId, auth.grant.username),
      ...deps.records.dataRange(auth.user, since),
    };
  });

  app.get('/v3/users/self/devices', async (request, reply) => {
    const auth = authorize(request, reply);
    if (!auth) return reply;
    const { user } = auth;
    const lastUpload = deps.records.cutoff();
    const alert = (alertName: string, value: number, unit: string) => ({
      alertName,
      value,
      unit,
      snooze: alertName === 'urgentLow' ? 30 : 120,
      enabled: true,
      ...recordTimes(user, user.historyStart),
    });
    return envelope('device', auth.grant, [
      {
        lastUploadDate: recordTimes(user, lastUpload).systemTime,
        alertSchedules: [
          {
            alertScheduleSettings: {
              alertScheduleName: 'Default',
              isEnabled: true,
              isDefaultSchedule: true,
              startTime: '00:00',
              endTime: '00:00',
              daysOfWeek: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'],
            },
            alertSettings: [
              alert('urgentLow', 55, 'mg/dL'),
              alert('low', 70, 'mg/dL'),
              alert('high', 250, 'mg/dL'),
              alert('rise', 3, 'mg/dL/min'),
              alert('fall', 3, 'mg/dL/min'),
            ],
          },
        ],
        ...common(user),
        displayApp: displayAppFor(user),
      },
    ]);
  });

  return {
    callsThisHour(clientId) {
      const entry = usage.get(clientId);
      return entry && entry.window === Math.floor(deps.now() / HOUR_MS) ? entry.count : 0;
    },
  };
}
