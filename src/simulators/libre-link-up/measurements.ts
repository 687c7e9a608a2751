/**
 * LibreLinkUp glucose items and connection objects (PROVIDERS.md, Abbott: measurement fields; shapes as in
 * the request dump and the pylibrelinkup fixtures). Readings come from the shared seeded trace; tests can
 * revise or delete individual readings.
 */
import { createTrace, DAY_MS, hexHash, MINUTE_MS, unitHash, uuidFrom, type Trace } from '../realistic-trace.js';
import type { LluPatient } from './accounts.js';

const HOUR_MS = 3_600_000;
/** "graph covers about the last 12 h at 5-minute spacing" (PROVIDERS.md, UNCONFIRMED). */
export const GRAPH_SPAN_MS = 12 * HOUR_MS;
/** The logbook holds glucose events of about the last 14 days (pylibrelinkup `logbook` docstring). */
export const LOGBOOK_SPAN_MS = 14 * DAY_MS;
/** Libre sensors last 14 days. */
const SENSOR_LIFE_MS = 14 * DAY_MS;

export interface GlucoseItem {
  FactoryTimestamp: string;
  Timestamp: string;
  type: number;
  ValueInMgPerDl: number;
  TrendArrow?: number;
  TrendMessage?: null;
  MeasurementColor: number;
  GlucoseUnits: 0 | 1;
  Value: number;
  isHigh: boolean;
  isLow: boolean;
}

/** `12/30/2022 4:47:40 PM`: month/day unpadded, 12-hour clock, read from the UTC fields (shift `time` for local). */
export function lluTimestamp(time: number): string {
  const d = new Date(time);
  const h = d.getUTCHours();
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

/** 1 SingleDown, 2 FortyFiveDown, 3 Flat, 4 FortyFiveUp, 5 SingleUp (PROVIDERS.md); bands in mg/dL/min. */
export function trendArrow(rate: number): number {
  if (rate < -2) return 1;
  if (rate < -1) return 2;
  if (rate <= 1) return 3;
  if (rate <= 2) return 4;
  return 5;
}

/** Colour band of the app's dot: 1 in target, 2 above target, 3 far above (>250), 4 below target (simulator's mapping). */
function colourOf(mgdl: number, patient: LluPatient): number {
  if (mgdl < patient.targetLow) return 4;
  if (mgdl <= patient.targetHigh) return 1;
  return mgdl > 250 ? 3 : 2;
}

interface Reading {
  time: number;
  mgdl: number;
  rate: number;
}

export class LluReadings {
  private readonly traces = new Map<string, Trace>();
  private readonly overrides = new Map<string, Map<number, number | null>>();

  constructor(
    private readonly now: () => number,
    private readonly dataDelayMs: () => number,
  ) {}

  private trace(patient: LluPatient): Trace {
    let trace = this.traces.get(patient.patientId);
    if (!trace) this.traces.set(patient.patientId, (trace = createTrace({ seed: patient.seed, utcOffsetMinutes: patient.utcOffsetMinutes })));
    return trace;
  }

  /** Test control: set (or with null, remove) the reading at an exact time. */
  put(patient: LluPatient, time: number, mgdl: number | null): void {
    let map = this.overrides.get(patient.patientId);
    if (!map) this.overrides.set(patient.patientId, (map = new Map()));
    map.set(time, mgdl);
  }

  /** 5-minute history readings in [from, to], oldest first, with test overrides applied. */
  history(patient: LluPatient, from: number, to: number): Reading[] {
    const byTime = new Map<number, Reading>();
    for (const p of this.trace(patient).points(from, to)) byTime.set(p.time, p);
    for (const [time, mgdl] of this.overrides.get(patient.patientId) ?? []) {
      if (time < from || time > to) continue;
      if (mgdl === null) byTime.delete(time);
      else byTime.set(time, { time, mgdl, rate: byTime.get(time)?.rate ?? 0 });
    }
    return [...byTime.values()].sort((a, b) => a.time - b.time);
  }

  /** Latest time the servers have data for. */
  latest(): number {
    return this.now() - this.dataDelayMs();
  }

  /** The current 1-minute reading (Libre 2/3 stream every minute), shown as glucoseMeasurement. */
  current(patient: LluPatient): Reading {
    const trace = this.trace(patient);
    const phase = trace.phaseMs % MINUTE_MS;
    const time = Math.floor((this.latest() - phase) / MINUTE_MS) * MINUTE_MS + phase;
    const override = this.overrides.get(patient.patientId)?.get(time);
    const jitter = (unitHash(patient.seed, 'minute', time) * 2 - 1) * 2;
    const mgdl = override ?? Math.round(Math.min(450, Math.max(35, trace.valueAt(time) + jitter)));
    const rate = Math.round(((trace.valueAt(time) - trace.valueAt(time - 15 * MINUTE_MS)) / 15) * 10) / 10;
    return { time, mgdl, rate };
  }

  item(patient: LluPatient, units: 0 | 1, reading: Reading, type: number, withTrend: boolean): GlucoseItem {
    const item: GlucoseItem = {
      FactoryTimestamp: lluTimestamp(reading.time),
      Timestamp: lluTimestamp(reading.time + patient.utcOffsetMinutes * MINUTE_MS),
      type,
      ValueInMgPerDl: reading.mgdl,
      MeasurementColor: colourOf(reading.mgdl, patient),
      GlucoseUnits: units,
      // mmol/L with one decimal, mg/dL / 18 (matches the fixtures: 197 → 10.9, 181 → 10.1).
      Value: units === 1 ? reading.mgdl : Math.round((reading.mgdl / 18) * 10) / 10,
      // Outside what the sensor reports (LO < 40, HI > 500).
      isHigh: reading.mgdl > 500,
      isLow: reading.mgdl < 40,
    };
    // History points carry no arrow; current readings and logbook entries do (dump, fixtures).
    if (withTrend) return { ...item, TrendArrow: trendArrow(reading.rate), TrendMessage: null };
    return item;
  }

  /** graphData: about the last 12 h, 5-minute history points (type 0), oldest first. */
  graph(patient: LluPatient, units: 0 | 1): GlucoseItem[] {
    const latest = this.latest();
    return this.history(patient, latest - GRAPH_SPAN_MS, latest).map((r) => this.item(patient, units, r, 0, false));
  }

  /** Logbook: readings at low (<70) and high (>240) alarm crossings in the last 14 days, newest first. */
  logbook(patient: LluPatient, units: 0 | 1): GlucoseItem[] {
    const latest = this.latest();
    const readings = this.history(patient, latest - LOGBOOK_SPAN_MS, latest);
    const out: GlucoseItem[] = [];
    for (let i = 1; i < readings.length; i++) {
      const [prev, cur] = [readings[i - 1] as Reading, readings[i] as Reading];
      if ((cur.mgdl < 70 && prev.mgdl >= 70) || (cur.mgdl > 240 && prev.mgdl <= 240)) out.push(this.item(patient, units, cur, 1, true));
    }
    return out.reverse();
  }

  sensor(patient: LluPatient): { deviceId: string; sn: string; a: number; w: number; pt: number; s: boolean; lj: boolean } {
    const phase = Math.floor(unitHash(patient.seed, 'sensor-phase') * SENSOR_LIFE_MS);
    const activated = Math.floor((this.latest() - phase) / SENSOR_LIFE_MS) * SENSOR_LIFE_MS + phase;
    return { deviceId: '', sn: hexHash(10, patient.seed, 'sn', activated).toUpperCase(), a: Math.floor(activated / 1000), w: 60, pt: 4, s: false, lj: false };
  }

  patientDevice(patient: LluPatient): Record<string, unknown> {
    return {
      did: uuidFrom(patient.seed, 'device'),
      dtid: 40068,
      v: '3.6.4',
      ll: patient.targetLow,
      hl: patient.targetHigh,
      u: Math.floor(this.latest() / 1000) - 600,
      fixedLowAlarmValues: { mgdl: 60, mmoll: 3.3 },
      alarms: false,
      fixedLowThreshold: 0,
    };
  }

  /** A connection as listed by /llu/connections and embedded in /graph. */
  connection(patient: LluPatient, units: 0 | 1, country: string): Record<string, unknown> {
    const current = this.item(patient, units, this.current(patient), 1, true);
    const mmol = (mgdl: number): number => Math.round((mgdl / 18) * 10) / 10;
    return {
      id: uuidFrom(patient.patientId, 'connection'),
      patientId: patient.patientId,
      country,
      status: 2,
      firstName: patient.firstName,
      lastName: patient.lastName,
      targetLow: patient.targetLow,
      targetHigh: patient.targetHigh,
      uom: units,
      sensor: this.sensor(patient),
      alarmRules: {
        c: true,
        h: { on: true, th: patient.targetHigh, thmm: mmol(patient.targetHigh), d: 1440, f: 0.1 },
        f: { th: 55, thmm: 3, d: 30, tl: 10, tlmm: 0.6 },
        l: { on: true, th: patient.targetLow, thmm: mmol(patient.targetLow), d: 1440, tl: 10, tlmm: 0.6 },
        nd: { i: 20, r: 5, l: 6 },
        p: 5,
        r: 5,
        std: { sd: false },
      },
      glucoseMeasurement: current,
      glucoseItem: current,
      glucoseAlarm: null,
      patientDevice: this.patientDevice(patient),
      created: Math.floor(unitHash(patient.seed, 'created') * 1e8) + 1_600_000_000,
    };
  }
}
