/**
 * The Dexcom record store: generated EGVs and events (pure functions of the trace) plus what tests layered on
 * top (added, revised, deleted). Records are keyed internally by user + time, so a revision keeps its recordId —
 * "values can be revised after first delivery: upsert on recordId" (PROVIDERS.md, Dexcom).
 */
import { MINUTE_MS, unitHash, uuidFrom } from '../realistic-trace.js';
import { recordTimes, trendForRate, type DexcomUser, type Trend } from './users.js';

export type EgvStatus = 'unknown' | 'high' | 'low' | 'ok';
export type EventStatus = 'created' | 'updated' | 'deleted';

/** An EGV as stored; recordId and the time strings are derived per client when it is served. */
export interface EgvState {
  time: number;
  value: number | null;
  status: EgvStatus;
  trend: Trend;
  trendRate: number | null;
}

export interface EventState {
  key: string;
  time: number;
  eventType: 'carbs' | 'insulin' | 'exercise' | 'health' | 'bloodGlucose' | 'notes' | 'unknown';
  eventSubType: string | null;
  value: number;
  unit: 'grams' | 'units' | 'minutes' | 'mg/dL' | 'unknown' | null;
  eventStatus: EventStatus;
}

interface EgvOverride {
  state: EgvState | null; // null = deleted
  modifiedAt: number;
}

interface EventOverride {
  state: EventState;
  modifiedAt: number;
}

export interface DataRangeMoment {
  systemTime: string | null;
  displayTime: string | null;
}

export class DexcomRecords {
  private readonly egvOverrides = new Map<string, Map<number, EgvOverride>>();
  private readonly eventOverrides = new Map<string, Map<string, EventOverride>>();

  constructor(
    private readonly now: () => number,
    private readonly dataDelayMs: () => number,
  ) {}

  /** Latest system time whose data has reached the API (US data arrives late: PROVIDERS.md). */
  cutoff(): number {
    return this.now() - this.dataDelayMs();
  }

  /** A generated EGV: values outside 40–400 come as null with status low/high, as receivers show LOW/HIGH. */
  private generatedEgv(user: DexcomUser, index: number): EgvState {
    const point = user.trace.pointAt(index);
    if (unitHash(user.seed, 'sensor-error', index) < 0.002) {
      return { time: point.time, value: null, status: 'unknown', trend: 'notComputable', trendRate: null };
    }
    const trendRate = point.rate;
    const trend = trendForRate(trendRate);
    if (point.mgdl > 400) return { time: point.time, value: null, status: 'high', trend, trendRate };
    if (point.mgdl < 40) return { time: point.time, value: null, status: 'low', trend, trendRate };
    return { time: point.time, value: point.mgdl, status: 'ok', trend, trendRate };
  }

  /** EGVs with from <= systemTime <= to that the API can see now, newest first. */
  egvs(user: DexcomUser, from: number, to: number): EgvState[] {
    const overrides = this.egvOverrides.get(user.username) ?? new Map<number, EgvOverride>();
    const byTime = new Map<number, EgvState>();
    const last = Math.min(to, this.cutoff());
    for (let i = user.trace.slotIndexAtOrAfter(Math.max(from, user.historyStart)); user.trace.slotTime(i) <= last; i++) {
      if (!user.trace.isGap(i)) byTime.set(user.trace.slotTime(i), this.generatedEgv(user, i));
    }
    const now = this.now();
    for (const [time, override] of overrides) {
      if (time < from || time > to || override.modifiedAt > now) continue;
      if (override.state === null) byTime.delete(time);
      else if (time <= now) byTime.set(time, override.state);
    }
    return [...byTime.values()].sort((a, b) => b.time - a.time);
  }

  /** Upsert at an exact time: a revision when a record exists there, an addition (backfill) otherwise. */
  putEgv(user: DexcomUser, time: number, patch: Partial<Omit<EgvState, 'time'>>): EgvState {
    const existing = this.egvs(user, time, time)[0] ?? this.generatedAt(user, time);
    const state: EgvState = { ...existing, ...patch, time };
    if (patch.value !== undefined && patch.status === undefined) {
      state.status = patch.value === null ? 'unknown' : patch.value > 400 ? 'high' : patch.value < 40 ? 'low' : 'ok';
    }
    this.overridesOf(user).set(time, { state, modifiedAt: this.now() });
    return state;
  }

  deleteEgv(user: DexcomUser, time: number): boolean {
    const existed = this.egvs(user, time, time).length > 0;
    this.overridesOf(user).set(time, { state: null, modifiedAt: this.now() });
    return existed;
  }

  private generatedAt(user: DexcomUser, time: number): EgvState {
    const index = user.trace.slotIndexAtOrAfter(time);
    const state = this.generatedEgv(user, index);
    return { ...state, time };
  }

  private overridesOf(user: DexcomUser): Map<number, EgvOverride> {
    let map = this.egvOverrides.get(user.username);
    if (!map) this.egvOverrides.set(user.username, (map = new Map()));
    return map;
  }

  /** Logged meals become a carbs event and a fast-acting insulin event a few minutes before. */
  private generatedEvents(user: DexcomUser, from: number, to: number): EventState[] {
    const out: EventState[] = [];
    for (const meal of user.trace.meals(from - 10 * MINUTE_MS, to + 10 * MINUTE_MS)) {
      if (unitHash(user.seed, 'logged', meal.time) >= user.mealLoggingRate) continue;
      const units = Math.round((meal.carbs / 10) * 2) / 2;
      out.push(
        { key: `carbs:${meal.time}`, time: meal.time - 2 * MINUTE_MS, eventType: 'carbs', eventSubType: null, value: meal.carbs, unit: 'grams', eventStatus: 'created' },
        { key: `insulin:${meal.time}`, time: meal.time - 6 * MINUTE_MS, eventType: 'insulin', eventSubType: 'fastActing', value: units, unit: 'units', eventStatus: 'created' },
      );
    }
    return out.filter((e) => e.time >= from && e.time <= to);
  }

  /** Events in the window, newest first. Deleted ones stay, with eventStatus "deleted" (clients must honour it). */
  events(user: DexcomUser, from: number, to: number): EventState[] {
    const byKey = new Map<string, EventState>();
    const start = Math.max(from, user.historyStart);
    for (const e of this.generatedEvents(user, start, Math.min(to, this.cutoff()))) byKey.set(e.key, e);
    const now = this.now();
    for (const [key, override] of this.eventOverrides.get(user.username) ?? []) {
      const { state } = override;
      if (state.time >= from && state.time <= to && state.time <= now && override.modifiedAt <= now) byKey.set(key, state);
    }
    return [...byKey.values()].sort((a, b) => b.time - a.time);
  }

  findEvent(user: DexcomUser, key: string): EventState | undefined {
    const override = this.eventOverrides.get(user.username)?.get(key);
    if (override) return override.state;
    const time = Number(key.split(':')[1]);
    if (!Number.isFinite(time)) return undefined;
    return this.generatedEvents(user, time - 10 * MINUTE_MS, time + 10 * MINUTE_MS).find((e) => e.key === key);
  }

  putEvent(user: DexcomUser, state: EventState): EventState {
    let map = this.eventOverrides.get(user.username);
    if (!map) this.eventOverrides.set(user.username, (map = new Map()));
    map.set(state.key, { state, modifiedAt: this.now() });
    return state;
  }

  /**
   * Earliest/latest times per record type. With lastSyncTime, "the system will only return date ranges for new
   * data AFTER that date time" (v3 dataRange page): data that reached the API, or was revised, after it.
   * No data gives null times (simulator's choice of shape; the v3 page shows only the filled case).
   */
  dataRange(user: DexcomUser, lastSyncTime: number | undefined): Record<'calibrations' | 'egvs' | 'events', { start: DataRangeMoment; end: DataRangeMoment }> {
    const now = this.now();
    const cutoff = this.cutoff();
    const delay = this.dataDelayMs();
    const egvTimes: number[] = [];
    const trace = user.trace;
    const firstNew = lastSyncTime === undefined ? user.historyStart : Math.max(user.historyStart, lastSyncTime - delay + 1);
    const firstIndex = trace.slotIndexAtOrAfter(firstNew);
    const lastIndex = trace.slotIndexAtOrAfter(cutoff + 1) - 1;
    if (lastIndex >= firstIndex) egvTimes.push(trace.slotTime(firstIndex), trace.slotTime(lastIndex));
    for (const [time, o] of this.egvOverrides.get(user.username) ?? []) {
      if (o.state !== null && o.modifiedAt <= now && (lastSyncTime === undefined || o.modifiedAt > lastSyncTime)) egvTimes.push(time);
    }
    const eventTimes: number[] = [];
    for (const e of this.events(user, user.historyStart, now)) {
      const override = this.eventOverrides.get(user.username)?.get(e.key);
      const arrivedAt = override ? override.modifiedAt : e.time + delay;
      if (lastSyncTime === undefined || arrivedAt > lastSyncTime) eventTimes.push(e.time);
    }
    const range = (times: number[]): { start: DataRangeMoment; end: DataRangeMoment } => {
      if (times.length === 0) return { start: { systemTime: null, displayTime: null }, end: { systemTime: null, displayTime: null } };
      return { start: recordTimes(user, Math.min(...times)), end: recordTimes(user, Math.max(...times)) };
    };
    // No simulated user calibrates (G6 and later are factory calibrated).
    return { calibrations: range([]), egvs: range(egvTimes), events: range(eventTimes) };
  }
}

/** recordId: "a unique id (UUID) that identifies [the] record for the given client" (v3 egvs page). */
export function recordIdFor(clientId: string, username: string, key: string | number): string {
  return uuidFrom(clientId, username, String(key));
}
