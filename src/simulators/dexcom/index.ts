/**
 * Dexcom API v3 simulator: OAuth2 authorization code + refresh, the v3 data endpoints, an hourly per-app call
 * budget, a data delay, and `/__sim/` test controls. Facts: /work/shared/reference/PROVIDERS.md (Dexcom).
 */
import { createHarness, type SimulatorControls, controlsOf } from '../harness.js';
import { registerApiV3 } from './api-v3.js';
import { registerDexcomControls } from './controls.js';
import { DexcomOAuth, type DexcomClientApp } from './oauth.js';
import { DexcomRecords, recordIdFor, type EgvState, type EventState } from './records.js';
import { buildUser, SANDBOX_USERS, type DexcomUser, type DexcomUserOptions } from './users.js';

export type { DexcomClientApp } from './oauth.js';
export type { DexcomUserOptions } from './users.js';
export type { EgvState, EventState } from './records.js';

export interface DexcomSimulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  now?: () => number;
  logger?: boolean;
  /** Registered apps; default one app `sim-client-id` / `sim-client-secret` accepting any redirect URI. */
  clients?: DexcomClientApp[];
  /** Default: SandboxUser1…7. */
  users?: DexcomUserOptions[];
  /** Who logs in when the login request names nobody (default: the first user). */
  defaultUser?: string;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlMs?: number | null;
  authCodeTtlMs?: number;
  /** Default 60,000 (PROVIDERS.md). */
  hourlyCallLimit?: number;
  /** Lag between a reading and its arrival in the API (default 0; US data historically lagged 1–3 h). */
  dataDelayMs?: number;
  hangMs?: number;
}

export interface EventInput {
  time: number | string | Date;
  eventType: EventState['eventType'];
  eventSubType?: string | null;
  value: number;
  unit?: EventState['unit'];
}

export interface DexcomSimulator extends SimulatorControls {
  baseUrl: string;
  close(): Promise<void>;
  clients: DexcomClientApp[];
  usernames: string[];
  issueTokens(username: string, clientId?: string): { access_token: string; expires_in: number; token_type: 'Bearer'; refresh_token: string };
  expireAccessTokens(username?: string): number;
  revokeRefreshTokens(username?: string): number;
  setDataDelay(ms: number): void;
  setHourlyCallLimit(limit: number): void;
  callsThisHour(clientId?: string): number;
  /** Add (backfill) or revise the EGV at exactly `time`. */
  putEgv(username: string, time: number | string | Date, patch: Partial<Omit<EgvState, 'time'>>): EgvState;
  deleteEgv(username: string, time: number | string | Date): boolean;
  /** Returns the event's key, used by updateEvent/deleteEvent. */
  addEvent(username: string, event: EventInput): string;
  updateEvent(username: string, key: string, patch: Partial<Pick<EventState, 'value' | 'eventSubType' | 'unit' | 'time'>>): EventState;
  deleteEvent(username: string, key: string): EventState;
  /** The recordId a client sees for an internal key (`egv:<epochMs>` or an event key). */
  recordIdFor(username: string, key: string, clientId?: string): string;
}

const DEFAULT_EVENT_UNITS: Partial<Record<EventState['eventType'], EventState['unit']>> = {
  carbs: 'grams',
  insulin: 'units',
  exercise: 'minutes',
  bloodGlucose: 'mg/dL',
};

/** Epoch ms from a number, Date, or ISO string (a zone-less string is read as UTC, like Dexcom's systemTime). */
export function toEpoch(time: number | string | Date): number {
  if (typeof time === 'number') return time;
  if (time instanceof Date) return time.getTime();
  const hasZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(time);
  const ms = Date.parse(hasZone ? time : `${time}Z`);
  if (Number.isNaN(ms)) throw new Error(`"${time}" is not an ISO 8601 date-time`);
  return ms;
}

export async function startDexcomSimulator(options: DexcomSimulatorOptions = {}): Promise<DexcomSimulator> {
  const harness = createHarness({
    now: options.now,
    logger: options.logger,
    hangMs: options.hangMs,
    failureBody: (status) => ({ fault: { faultstring: `Simulated ${status}`, detail: { errorcode: 'simulator.injected' } } }),
  });
  const startedAt = harness.now();
  const users = new Map<string, DexcomUser>();
  for (const u of options.users ?? SANDBOX_USERS) users.set(u.username, buildUser(u, startedAt));
  const clients = options.clients ?? [{ clientId: 'sim-client-id', clientSecret: 'sim-client-secret' }];
  let dataDelayMs = options.dataDelayMs ?? 0;
  let hourlyCallLimit = options.hourlyCallLimit ?? 60_000;

  const oauth = new DexcomOAuth({
    clients,
    usernames: () => [...users.keys()],
    defaultUsername: options.defaultUser ?? users.keys().next().value ?? 'SandboxUser1',
    now: harness.now,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    refreshTokenTtlMs: options.refreshTokenTtlMs,
    authCodeTtlMs: options.authCodeTtlMs,
  });
  oauth.register(harness.app);
  const records = new DexcomRecords(harness.now, () => dataDelayMs);
  const api = registerApiV3(harness.app, {
    oauth,
    records,
    user: (name) => users.get(name),
    now: harness.now,
    hourlyCallLimit: () => hourlyCallLimit,
  });

  const userOf = (username: string): DexcomUser => {
    const user = users.get(username);
    if (!user) throw new Error(`no simulated Dexcom user "${username}" (have: ${[...users.keys()].join(', ')})`);
    return user;
  };
  const eventOf = (user: DexcomUser, key: string): EventState => {
    const event = records.findEvent(user, key);
    if (!event) throw new Error(`no event "${key}" for ${user.username}`);
    return event;
  };
  const firstClient = (): string => clients[0]?.clientId ?? 'sim-client-id';
  let added = 0;

  const sim: Omit<DexcomSimulator, 'baseUrl'> = {
    close: harness.close,
    clients,
    usernames: [...users.keys()],
    issueTokens: (username, clientId) => oauth.issue({ username: userOf(username).username, clientId: clientId ?? firstClient() }),
    expireAccessTokens: (username) => oauth.expireAccessTokens(username),
    revokeRefreshTokens: (username) => oauth.revokeRefreshTokens(username),
    setDataDelay(ms) {
      dataDelayMs = ms;
    },
    setHourlyCallLimit(limit) {
      hourlyCallLimit = limit;
    },
    callsThisHour: (clientId) => api.callsThisHour(clientId ?? firstClient()),
    putEgv: (username, time, patch) => records.putEgv(userOf(username), toEpoch(time), patch),
    deleteEgv: (username, time) => records.deleteEgv(userOf(username), toEpoch(time)),
    addEvent(username, input) {
      const user = userOf(username);
      const time = toEpoch(input.time);
      const key = `added:${time}:${++added}`;
      const unit = input.unit ?? DEFAULT_EVENT_UNITS[input.eventType] ?? null;
      records.putEvent(user, { key, time, eventType: input.eventType, eventSubType: input.eventSubType ?? null, value: input.value, unit, eventStatus: 'created' });
      return key;
    },
    updateEvent(username, key, patch) {
      const user = userOf(username);
      const time = patch.time === undefined ? undefined : toEpoch(patch.time);
      return records.putEvent(user, { ...eventOf(user, key), ...patch, ...(time === undefined ? {} : { time }), eventStatus: 'updated' });
    },
    deleteEvent(username, key) {
      const user = userOf(username);
      return records.putEvent(user, { ...eventOf(user, key), eventStatus: 'deleted' });
    },
    recordIdFor: (username, key, clientId) => recordIdFor(clientId ?? firstClient(), username, key),
    ...controlsOf(harness),
  };
  registerDexcomControls(harness.app, sim, () => ({ dataDelayMs, hourlyCallLimit }));

  const baseUrl = await harness.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return { baseUrl, ...sim };
}
