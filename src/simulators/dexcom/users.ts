/**
 * Simulated Dexcom accounts and the parts of a record that depend only on who the user is.
 * Facts follow /work/shared/reference/PROVIDERS.md (Dexcom section) and the v3 endpoint pages it cites.
 */
import { createHash } from 'node:crypto';
import { createTrace, DAY_MS, hexHash, MINUTE_MS, type Trace } from '../realistic-trace.js';

export type DisplayDevice = 'iOS' | 'android' | 'receiver';
export type TransmitterGeneration = 'unknown' | 'g4' | 'g5' | 'g6' | 'g6+' | 'dexcomPro' | 'g7';
export type Trend =
  | 'none' | 'unknown' | 'doubleUp' | 'singleUp' | 'fortyFiveUp' | 'flat' | 'fortyFiveDown' | 'singleDown'
  | 'doubleDown' | 'notComputable' | 'rateOutOfRange';

export interface DexcomUserOptions {
  /** Login name, e.g. `SandboxUser1` (the sandbox login page offers SandboxUser1…7 without a password). */
  username: string;
  /** Seed of the glucose trace; defaults to the username. */
  seed?: string | number;
  displayDevice?: DisplayDevice;
  transmitterGeneration?: TransmitterGeneration;
  /** Time zone of the display device, minutes east of UTC. */
  utcOffsetMinutes?: number;
  /** How far the display device's clock runs ahead of the system clock (users set receiver clocks by hand). */
  displayClockSkewSeconds?: number;
  /** Days of history that exist before the simulator started. */
  historyDays?: number;
  /** Share of meals the user logs as carbs/insulin events (0–1). */
  mealLoggingRate?: number;
}

export interface DexcomUser {
  username: string;
  displayDevice: DisplayDevice;
  transmitterGeneration: TransmitterGeneration;
  utcOffsetMinutes: number;
  displayClockSkewSeconds: number;
  mealLoggingRate: number;
  seed: string;
  trace: Trace;
  /** Epoch ms of the oldest record. */
  historyStart: number;
  /** v3 returns transmitter ids as 64-hex hashes (developer.dexcom.com getEventsV3 example). */
  transmitterId: string;
  /** Transmitter ticks count seconds since this instant. */
  transmitterStart: number;
}

/** SandboxUser1…7 with a spread of devices; SandboxUser7 is the G7 user (PROVIDERS.md). */
export const SANDBOX_USERS: readonly DexcomUserOptions[] = [
  { username: 'SandboxUser1', displayDevice: 'iOS', transmitterGeneration: 'g6', utcOffsetMinutes: -480 },
  { username: 'SandboxUser2', displayDevice: 'android', transmitterGeneration: 'g6', utcOffsetMinutes: -300 },
  { username: 'SandboxUser3', displayDevice: 'receiver', transmitterGeneration: 'g6', utcOffsetMinutes: -360, displayClockSkewSeconds: 94 },
  { username: 'SandboxUser4', displayDevice: 'iOS', transmitterGeneration: 'g5', utcOffsetMinutes: 60 },
  { username: 'SandboxUser5', displayDevice: 'android', transmitterGeneration: 'g6+', utcOffsetMinutes: 120 },
  { username: 'SandboxUser6', displayDevice: 'receiver', transmitterGeneration: 'g4', utcOffsetMinutes: 0, displayClockSkewSeconds: -41 },
  { username: 'SandboxUser7', displayDevice: 'iOS', transmitterGeneration: 'g7', utcOffsetMinutes: 540 },
];

export function buildUser(options: DexcomUserOptions, startedAt: number): DexcomUser {
  const seed = String(options.seed ?? options.username);
  const utcOffsetMinutes = options.utcOffsetMinutes ?? 0;
  const historyStart = startedAt - (options.historyDays ?? 90) * DAY_MS;
  return {
    username: options.username,
    displayDevice: options.displayDevice ?? 'iOS',
    transmitterGeneration: options.transmitterGeneration ?? 'g6',
    utcOffsetMinutes,
    displayClockSkewSeconds: options.displayClockSkewSeconds ?? 0,
    mealLoggingRate: options.mealLoggingRate ?? 0.7,
    seed,
    trace: createTrace({ seed, utcOffsetMinutes }),
    historyStart,
    transmitterId: hexHash(64, seed, 'transmitter'),
    transmitterStart: historyStart - 7 * DAY_MS,
  };
}

/** "The user ID is unique on a per-Dexcom account, per-Client basis" (v3 egvs page): so it hashes both. */
export function userIdFor(clientId: string, username: string): string {
  return createHash('sha256').update(`${clientId}\u0000${username}`).digest('hex');
}

/** `2025-02-06T09:12:35`: the zone-less ISO form Dexcom uses for query parameters and receiver records. */
export function naiveIso(time: number): string {
  return new Date(time).toISOString().slice(0, 19);
}

function offsetSuffix(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * systemTime/displayTime of a record made at `time`. "Records sourced from mobile apps (displayDevice iOS or
 * android) will have UTC offsets; records sourced from receivers will not" (v3 egvs/events/dataRange pages):
 * app → `2022-02-06T09:12:35+00:00` / `2022-02-06T01:12:35-08:00`; receiver → both without zone.
 */
export function recordTimes(user: DexcomUser, time: number): { systemTime: string; displayTime: string } {
  const local = time + user.utcOffsetMinutes * MINUTE_MS + user.displayClockSkewSeconds * 1000;
  if (user.displayDevice === 'receiver') return { systemTime: naiveIso(time), displayTime: naiveIso(local) };
  return { systemTime: `${naiveIso(time)}+00:00`, displayTime: `${naiveIso(local)}${offsetSuffix(user.utcOffsetMinutes)}` };
}

/** Dexcom's arrow bands in mg/dL/min (1, 2, 3 per minute); beyond ±5 the receiver shows no arrow. */
export function trendForRate(rate: number | null): Trend {
  if (rate === null) return 'notComputable';
  const abs = Math.abs(rate);
  if (abs > 5) return 'rateOutOfRange';
  if (abs <= 1) return 'flat';
  if (rate > 0) return rate > 3 ? 'doubleUp' : rate > 2 ? 'singleUp' : 'fortyFiveUp';
  return rate < -3 ? 'doubleDown' : rate < -2 ? 'singleDown' : 'fortyFiveDown';
}

export function displayAppFor(user: DexcomUser): string {
  if (user.displayDevice === 'receiver') return 'receiver';
  return user.transmitterGeneration === 'g7' ? 'G7' : user.transmitterGeneration === 'g5' ? 'G5' : 'G6';
}
