// The statistics behind GET /api/v1/glucose/insights, one definition each with its source. Arithmetic comes from
// simple-statistics; what it lacks (Student's t critical values, Benjamini–Hochberg, a seeded random source) is here.
import { linearRegression, mean, permutationTest, sampleStandardDeviation } from 'simple-statistics'

/**
 * Two-sided 95 % critical values of Student's t (the 0.975 quantile) for df = 1…30, 40, 60, 120 and ∞, from the
 * NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.2 "Critical values of the Student's t distribution".
 * Between tabulated df the value is interpolated linearly in 1/df, the standard way to read such a table (error
 * < 0.001 here). simple-statistics has the t statistic but no t quantile.
 */
const T975: Array<[df: number, t: number]> = [
  [1, 12.706], [2, 4.303], [3, 3.182], [4, 2.776], [5, 2.571], [6, 2.447], [7, 2.365], [8, 2.306], [9, 2.262],
  [10, 2.228], [11, 2.201], [12, 2.179], [13, 2.16], [14, 2.145], [15, 2.131], [16, 2.12], [17, 2.11], [18, 2.101],
  [19, 2.093], [20, 2.086], [21, 2.08], [22, 2.074], [23, 2.069], [24, 2.064], [25, 2.06], [26, 2.056], [27, 2.052],
  [28, 2.048], [29, 2.045], [30, 2.042], [40, 2.021], [60, 2.0], [120, 1.98], [Infinity, 1.96],
]

export function tCritical95(df: number): number {
  if (!(df >= 1)) throw new Error(`tCritical95: degrees of freedom must be ≥ 1, got ${df}`)
  const exact = T975.find(([d]) => d === df)
  if (exact) return exact[1]
  const upper = T975.findIndex(([d]) => d > df)
  const [d0, t0] = T975[upper - 1]!
  const [d1, t1] = T975[upper]!
  const w = (1 / d0 - 1 / df) / (1 / d0 - 1 / d1) // 1/∞ = 0, so the last interval ends at 1.96
  return t0 + (t1 - t0) * w
}

export interface MeanInterval {
  n: number
  mean: number
  /** Sample standard deviation (n − 1); null for one value. */
  sd: number | null
  /** 95 % confidence interval of the mean, mean ± t(0.975, n − 1)·SD/√n (Student 1908); null for one value. */
  ci95: [number, number] | null
}

/** Mean with its 95 % t-interval: the small-sample interval for a mean when the SD is estimated from the data. */
export function meanInterval(values: number[]): MeanInterval {
  const n = values.length
  const m = mean(values)
  if (n < 2) return { n, mean: m, sd: null, ci95: null }
  const sd = sampleStandardDeviation(values)
  const half = (tCritical95(n - 1) * sd) / Math.sqrt(n)
  return { n, mean: m, sd, ci95: [m - half, m + half] }
}

/** mulberry32: a small seeded PRNG, so a permutation test gives the same p-value for the same data every time. */
export function seededRandom(seed: string): () => number {
  let a = 0x811c9dc5
  for (let i = 0; i < seed.length; i++) a = Math.imul(a ^ seed.charCodeAt(i), 0x01000193) // FNV-1a of the seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Random permutations per test: the smallest attainable p is 1/2001, below BH's bar for 20 foods (0.05/20). */
export const PERMUTATIONS = 2000

/**
 * One-sided permutation test that `x` (one food's iAUCs) has a larger mean than `y` (the user's other meals):
 * simple-statistics' permutationTest (difference of means, group sizes kept). Chosen over a t-test because meal
 * iAUCs are right-skewed and a food has as few as 3 meals, where normality cannot be checked; the permutation test
 * needs only exchangeability under the null (Good, Permutation Tests, 2nd ed., 2000). Its Monte-Carlo p = b/k can
 * be 0; reported as (b + 1)/(k + 1), Phipson & Smyth, Stat Appl Genet Mol Biol 2010;9:39.
 */
export function permutationPValue(x: number[], y: number[], seed: string): number {
  const k = PERMUTATIONS
  const b = Math.round(permutationTest(x, y, 'greater', k, seededRandom(seed)) * k)
  return (b + 1) / (k + 1)
}

/**
 * Benjamini–Hochberg adjusted p-values (J R Stat Soc B 1995;57:289-300), in the input order: testing every food
 * of a user at once, rejecting adjusted p ≤ 0.05 keeps the expected share of false "problem foods" at 5 %.
 */
export function benjaminiHochberg(pValues: number[]): number[] {
  const m = pValues.length
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p)
  const adjusted = new Array<number>(m)
  let running = 1
  for (let r = m - 1; r >= 0; r--) {
    running = Math.min(running, (order[r]!.p * m) / (r + 1))
    adjusted[order[r]!.i] = running
  }
  return adjusted
}

/** Least-squares slope of y on x (simple-statistics linearRegression); null below 3 points or without spread in x. */
export function slope(points: Array<[number, number]>): number | null {
  if (points.length < 3 || points.every(([x]) => x === points[0]![0])) return null
  return linearRegression(points).m
}
