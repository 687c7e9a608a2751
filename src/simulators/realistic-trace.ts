/**
 * Deterministic, seeded CGM trace shared by the provider simulators.
 *
 * Every value is a pure function of (seed, time): no state is kept, so a simulator can answer any window
 * (30 days of Dexcom history, Libre's last 12 h, a Nightscout `find[date][$gte]`) and two requests for the same
 * window always agree — which is what lets tests assert concrete numbers and lets revisions be layered on top.
 *
 * Shape of a day (local time of the simulated person): a small overnight dip, a dawn rise, three meal responses
 * with a per-day jitter in time and size, an optional afternoon snack, an occasional afternoon low, slow smooth
 * noise (physiology) and a little per-reading jitter (sensor). Readings sit on a fixed 5-minute grid shifted by
 * a seeded phase, since real sensors never read on round minutes.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** FNV-1a over the string form: turns seeds like "SandboxUser1" into 32-bit numbers. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A uniform number in [0, 1) determined by the parts; the same parts always give the same number. */
export function unitHash(...parts: Array<string | number>): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    const v = typeof part === 'number' ? Math.floor(part) : hashString(part);
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h ^ Math.floor(v / 0x100000000), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  // Murmur3 finaliser: consecutive slot indexes must not give correlated numbers.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x100000000;
}

/** Hex string of `length` characters derived from the parts (ids, serials, hashed transmitter ids). */
export function hexHash(length: number, ...parts: Array<string | number>): string {
  let out = '';
  for (let i = 0; out.length < length; i++) {
    out += Math.floor(unitHash(...parts, 'hex', i) * 0x100000000).toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

/** A version-4-looking UUID derived from the parts. */
export function uuidFrom(...parts: Array<string | number>): string {
  const h = hexHash(32, ...parts);
  const variant = '89ab'[Number.parseInt(h[16] ?? '0', 16) % 4];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface TraceOptions {
  seed: string | number;
  /** Reading spacing; CGMs that upload every 5 minutes are the common case (PROVIDERS.md, Nightscout volume). */
  intervalMs?: number;
  /** Offset of the person's local time from UTC, so meals land at local mealtimes. */
  utcOffsetMinutes?: number;
  /** Fasting level in mg/dL. */
  baselineMgdl?: number;
  /** mg/dL of peak rise per gram of carbohydrate. */
  carbSensitivity?: number;
  /** Amplitude in mg/dL of the slow, smooth drift that is neither meal nor rhythm. */
  driftMgdl?: number;
  /** Daily probability of a hypoglycaemic episode (over-corrected insulin, exercise, night). */
  lowChancePerDay?: number;
  /** Probability that a reading is missing (signal loss); 0 keeps the grid complete. */
  gapRate?: number;
}

export interface TracePoint {
  /** Epoch milliseconds of the reading. */
  time: number;
  /** Rounded glucose in mg/dL, clamped to what sensors physically report (35–450). */
  mgdl: number;
  /** Rate of change over the last 15 minutes, mg/dL per minute, one decimal. */
  rate: number;
}

export interface TraceMeal {
  time: number;
  carbs: number;
  kind: 'breakfast' | 'lunch' | 'snack' | 'dinner';
}

export interface Trace {
  readonly intervalMs: number;
  readonly phaseMs: number;
  /** Continuous glucose in mg/dL (not rounded, not clamped). */
  valueAt(time: number): number;
  /** Grid time of slot `index` (index 0 = first slot after the epoch). */
  slotTime(index: number): number;
  /** First slot index whose time is >= `time`. */
  slotIndexAtOrAfter(time: number): number;
  /** Whether slot `index` is a simulated signal loss. */
  isGap(index: number): boolean;
  /** The reading of slot `index` (even if it is a gap; callers skip gaps). */
  pointAt(index: number): TracePoint;
  /** All non-gap readings with from <= time <= to, oldest first. */
  points(from: number, to: number): TracePoint[];
  /** Meals whose start lies in [from, to], oldest first. */
  meals(from: number, to: number): TraceMeal[];
}

const MEAL_PLAN: ReadonlyArray<{ kind: TraceMeal['kind']; hour: number; jitterMin: number; carbs: [number, number]; chance: number }> = [
  { kind: 'breakfast', hour: 7.5, jitterMin: 40, carbs: [30, 60], chance: 0.95 },
  { kind: 'lunch', hour: 12.75, jitterMin: 50, carbs: [40, 80], chance: 0.9 },
  { kind: 'snack', hour: 16, jitterMin: 45, carbs: [15, 30], chance: 0.4 },
  { kind: 'dinner', hour: 19, jitterMin: 60, carbs: [50, 90], chance: 0.97 },
];

/** Gamma-like response peaking at `peakMin` minutes with height 1; zero before the meal and after 5 h. */
function mealShape(minutesSince: number, peakMin: number): number {
  if (minutesSince <= 0 || minutesSince > 300) return 0;
  const x = minutesSince / peakMin;
  return x * Math.exp(1 - x);
}

function gaussian(x: number, mu: number, sigma: number): number {
  return Math.exp(-((x - mu) ** 2) / (2 * sigma * sigma));
}

export function createTrace(options: TraceOptions): Trace {
  const seed = String(options.seed);
  const intervalMs = options.intervalMs ?? 5 * MINUTE_MS;
  const offsetMs = (options.utcOffsetMinutes ?? 0) * MINUTE_MS;
  const baseline = options.baselineMgdl ?? 100 + unitHash(seed, 'baseline') * 20;
  // Defaults give a trace like an insulin-treated person's: CV near 30 %, some time below 70 and above 180.
  const sensitivity = options.carbSensitivity ?? 1.6 + unitHash(seed, 'sensitivity') * 1.2;
  const driftMgdl = options.driftMgdl ?? 22;
  const lowChance = options.lowChancePerDay ?? 0.3;
  const gapRate = options.gapRate ?? 0;
  // Whole seconds, like device clocks.
  const phaseMs = Math.floor((unitHash(seed, 'phase') * intervalMs) / 1000) * 1000;

  const mealsOfDay = (day: number): TraceMeal[] => {
    const out: TraceMeal[] = [];
    for (const plan of MEAL_PLAN) {
      if (unitHash(seed, 'meal-chance', plan.kind, day) >= plan.chance) continue;
      const jitter = (unitHash(seed, 'meal-time', plan.kind, day) * 2 - 1) * plan.jitterMin * MINUTE_MS;
      const [lo, hi] = plan.carbs;
      const carbs = Math.round((lo + unitHash(seed, 'meal-carbs', plan.kind, day) * (hi - lo)) / 5) * 5;
      out.push({ kind: plan.kind, carbs, time: Math.round(day * DAY_MS + plan.hour * 3_600_000 + jitter - offsetMs) });
    }
    return out;
  };

  // Smooth physiological drift: seeded knots every 45 min, cosine-interpolated.
  const KNOT_MS = 45 * MINUTE_MS;
  const knot = (i: number): number => unitHash(seed, 'drift', i) * 2 - 1;
  const drift = (time: number): number => {
    const pos = time / KNOT_MS;
    const i = Math.floor(pos);
    const f = (1 - Math.cos((pos - i) * Math.PI)) / 2;
    return knot(i) * (1 - f) + knot(i + 1) * f;
  };

  const valueAt = (time: number): number => {
    const local = time + offsetMs;
    const day = Math.floor(local / DAY_MS);
    const hour = (local - day * DAY_MS) / 3_600_000;
    let v = baseline;
    v -= 8 * gaussian(hour, 3, 1.2); // overnight dip
    v += 18 * gaussian(hour, 6.5, 1.3); // dawn phenomenon
    for (const d of [day - 1, day]) {
      for (const meal of mealsOfDay(d)) {
        const peak = 40 + unitHash(seed, 'peak', meal.kind, d) * 25;
        v += meal.carbs * sensitivity * mealShape((time - meal.time) / MINUTE_MS, peak);
      }
      // Some days have a low: in the afternoon (after lunch insulin, exercise) or at night.
      if (unitHash(seed, 'low', d) < lowChance) {
        const night = unitHash(seed, 'low-night', d) < 0.35;
        const hourOfLow = night ? 2 + unitHash(seed, 'low-hour', d) * 2 : 14 + unitHash(seed, 'low-hour', d) * 3;
        const lowCentre = d * DAY_MS + hourOfLow * 3_600_000 - offsetMs;
        v -= (50 + unitHash(seed, 'low-depth', d) * 30) * gaussian((time - lowCentre) / MINUTE_MS, 0, 35);
      }
    }
    return v + driftMgdl * drift(time);
  };

  const slotTime = (index: number): number => index * intervalMs + phaseMs;
  const slotIndexAtOrAfter = (time: number): number => Math.ceil((time - phaseMs) / intervalMs);
  const isGap = (index: number): boolean => gapRate > 0 && unitHash(seed, 'gap', index) < gapRate;

  const pointAt = (index: number): TracePoint => {
    const time = slotTime(index);
    const jitter = (unitHash(seed, 'jitter', index) * 2 - 1) * 2;
    const mgdl = Math.round(Math.min(450, Math.max(35, valueAt(time) + jitter)));
    const rate = Math.round(((valueAt(time) - valueAt(time - 15 * MINUTE_MS)) / 15) * 10) / 10;
    return { time, mgdl, rate: Object.is(rate, -0) ? 0 : rate };
  };

  return {
    intervalMs,
    phaseMs,
    valueAt,
    slotTime,
    slotIndexAtOrAfter,
    isGap,
    pointAt,
    points(from, to) {
      const out: TracePoint[] = [];
      for (let i = slotIndexAtOrAfter(from); slotTime(i) <= to; i++) {
        if (!isGap(i)) out.push(pointAt(i));
      }
      return out;
    },
    meals(from, to) {
      const out: TraceMeal[] = [];
      const first = Math.floor((from + offsetMs) / DAY_MS) - 1;
      const last = Math.floor((to + offsetMs) / DAY_MS) + 1;
      for (let d = first; d <= last; d++) {
        for (const meal of mealsOfDay(d)) if (meal.time >= from && meal.time <= to) out.push(meal);
      }
      return out.sort((a, b) => a.time - b.time);
    },
  };
}
