import t from 'tap';
import { createTrace, unitHash, uuidFrom } from '../../src/simulators/realistic-trace.js';

const DAY = 86_400_000;
const END = Date.UTC(2025, 1, 6, 12, 0, 0);

t.test('deterministic per seed, different across seeds', async (t) => {
  const a = createTrace({ seed: 'alice' }).points(END - DAY, END);
  const again = createTrace({ seed: 'alice' }).points(END - DAY, END);
  const b = createTrace({ seed: 'bob' }).points(END - DAY, END);
  t.same(a, again);
  t.not(JSON.stringify(a.map((p) => p.mgdl)), JSON.stringify(b.map((p) => p.mgdl)));
  t.equal(uuidFrom('x', 1), uuidFrom('x', 1));
  t.match(uuidFrom('x', 1), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

t.test('5-minute grid with a whole-second phase; windows agree with each other', async (t) => {
  const trace = createTrace({ seed: 'grid' });
  const day = trace.points(END - DAY, END);
  t.equal(day.length, 288);
  t.ok(day.every((p, i) => i === 0 || p.time - day[i - 1]!.time === 300_000));
  t.equal(trace.phaseMs % 1000, 0);
  t.equal(day[0]!.time % 300_000, trace.phaseMs);
  const hour = trace.points(END - 3_600_000, END);
  t.same(hour, day.slice(-12), 'a sub-window returns the same readings');
});

t.test('looks like a CGM trace of an insulin-treated person', async (t) => {
  for (const seed of ['SandboxUser1', 'patient-2', 42]) {
    const trace = createTrace({ seed, utcOffsetMinutes: 60 });
    const values = trace.points(END - 14 * DAY, END).map((p) => p.mgdl);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    const tir = values.filter((v) => v >= 70 && v <= 180).length / values.length;
    t.ok(mean > 110 && mean < 180, `${seed}: mean ${mean.toFixed(0)} mg/dL`);
    t.ok(sd / mean > 0.18 && sd / mean < 0.45, `${seed}: CV ${((sd / mean) * 100).toFixed(0)} %`);
    t.ok(tir > 0.55 && tir < 0.95, `${seed}: TIR ${(tir * 100).toFixed(0)} %`);
    t.ok(Math.min(...values) >= 35 && Math.max(...values) <= 450);
  }
});

t.test('meals land at local mealtimes and raise glucose', async (t) => {
  const offset = -300; // UTC-5
  const trace = createTrace({ seed: 'meals', utcOffsetMinutes: offset });
  const meals = trace.meals(END - 7 * DAY, END);
  t.ok(meals.length >= 7 * 3 && meals.length <= 7 * 4);
  for (const meal of meals) {
    const localHour = new Date(meal.time + offset * 60_000).getUTCHours();
    t.ok(localHour >= 6 && localHour <= 20, `${meal.kind} at local ${localHour}h`);
    t.ok(meal.carbs >= 15 && meal.carbs <= 90 && meal.carbs % 5 === 0);
  }
  const big = meals.filter((m) => m.carbs >= 50);
  const rises = big.map((m) => trace.valueAt(m.time + 50 * 60_000) - trace.valueAt(m.time));
  const avgRise = rises.reduce((s, r) => s + r, 0) / rises.length;
  t.ok(avgRise > 40, `average rise 50 min after a ≥ 50 g meal: ${avgRise.toFixed(0)} mg/dL`);
});

t.test('gaps and rates', async (t) => {
  const trace = createTrace({ seed: 'gaps', gapRate: 0.1 });
  const n = trace.points(END - 7 * DAY, END).length;
  t.ok(n > 7 * 288 * 0.85 && n < 7 * 288 * 0.95, `${n} of ${7 * 288} readings survive a 10 % gap rate`);
  const p = createTrace({ seed: 'rates' }).points(END - DAY, END);
  t.ok(p.every((x) => Math.abs(x.rate) < 10 && Math.round(x.rate * 10) === x.rate * 10));
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 10_000; i++) buckets[Math.floor(unitHash('u', i) * 10)]! += 1;
  t.ok(buckets.every((c) => c > 900 && c < 1100), 'unitHash is close to uniform');
});
