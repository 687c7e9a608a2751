// The insights' statistics on hand-computed numbers (no database: buildInsights and the statistics are pure).
import t from 'tap'
import { buildInsights, type InsightMeal } from '../../src/analytics/insights.js'
import { benjaminiHochberg, meanInterval, permutationPValue, PERMUTATIONS, tCritical95 } from '../../src/analytics/statistics.js'

t.test('t critical values and the 95 % t-interval of a mean', async (t) => {
  t.equal(tCritical95(2), 4.303)
  t.equal(tCritical95(30), 2.042)
  // Between 40 (2.021) and 60 (2.000), linear in 1/df: w = (1/40 − 1/50)/(1/40 − 1/60) = 0.6 → 2.021 − 0.021·0.6
  t.equal(Number(tCritical95(50).toFixed(4)), 2.0084)
  t.equal(tCritical95(1e9) > 1.96 && tCritical95(1e9) < 1.9601, true)
  t.throws(() => tCritical95(0), /degrees of freedom must be ≥ 1/)
  // 100, 120, 140: mean 120, SD 20, 120 ± 4.303·20/√3 = 120 ± 49.687 → [70.31, 169.69]
  const i = meanInterval([100, 120, 140])
  t.same({ n: i.n, mean: i.mean, sd: i.sd }, { n: 3, mean: 120, sd: 20 })
  t.equal(Number(i.ci95![0].toFixed(2)), 70.31)
  t.equal(Number(i.ci95![1].toFixed(2)), 169.69)
  t.same(meanInterval([7]), { n: 1, mean: 7, sd: null, ci95: null })
})

t.test('Benjamini–Hochberg adjusted p-values', async (t) => {
  // sorted 0.01, 0.02, 0.03, 0.04 (m = 4): 0.04, 0.04, 0.04, 0.04 after the running minimum from the top;
  // 0.5 at rank 5 of 5: 0.5. Hand: p·m/rank = 0.05, 0.05, 0.05, 0.05, 0.5.
  t.same(benjaminiHochberg([0.04, 0.01, 0.5, 0.03, 0.02]).map((p) => Number(p.toFixed(6))), [0.05, 0.05, 0.5, 0.05, 0.05])
  // 0.001, 0.04 (m = 2): 0.002, 0.04
  t.same(benjaminiHochberg([0.04, 0.001]).map((p) => Number(p.toFixed(6))), [0.04, 0.002])
})

t.test('permutation p-values: seeded (same data, same p), never 0, near the exact value', async (t) => {
  const others = [50, 51, 52, 53, 54, 55, 56, 57, 58, 59]
  // Exact one-sided p for 3 values above all 10 others: only 1 of C(13, 3) = 286 splits is as extreme → 0.0035
  const p = permutationPValue([200, 210, 220], others, 'bread')
  t.equal(p, permutationPValue([200, 210, 220], others, 'bread'), 'reproducible')
  t.ok(p >= 1 / (PERMUTATIONS + 1) && p < 0.01, `p ${p} near 1/286`)
  // A food in the middle of the others is not above them: p near 0.5
  const middle = permutationPValue([53, 54, 55], others, 'rice')
  t.ok(middle > 0.2 && middle < 0.8, `p ${middle}`)
})

const day = (d: number) => new Date(Date.UTC(2025, 0, 1 + d, 12))
const meal = (food: string, d: number, iauc2h: number, score: number, carbsG: number | null, extra: Partial<InsightMeal> = {}): InsightMeal => ({
  id: `${food}-${d}`, food, name: food, eatenAt: day(d), month: day(d).toISOString().slice(0, 7), iauc2h, score, flags: [],
  noResponseReason: null, carbsG, ...extra,
})

t.test('insights: per-food intervals, problem foods, personal glycemic index and trends on hand numbers', async (t) => {
  const meals: InsightMeal[] = [
    // oats: iAUC 100, 120, 140 with 20 g each → 5, 6, 7 per g; scores 80, 70, 60
    meal('oats', 0, 100, 80, 20), meal('oats', 10, 120, 70, 20), meal('oats', 20, 140, 60, 20),
    // bread: far above everything else, 10 g each → 20, 21, 22 per g
    meal('bread', 5, 200, 30, 10), meal('bread', 15, 210, 25, 10), meal('bread', 25, 220, 20, 10),
    // salad: 60, 40, 50 with 20 g → 3, 2, 2.5 per g; one without carbohydrate stated
    meal('salad', 32, 60, 95, 20), meal('salad', 35, 40, 95, 20), meal('salad', 40, 50, 95, 20), meal('salad', 45, 50, 95, null),
    // not counted: no response, and an area cut short at 2 h
    meal('soup', 50, 0, 0, 30, { noResponseReason: 'no baseline', iauc2h: null, score: null }),
    meal('soup', 51, 10, 99, 30, { flags: ['truncated_2h'] }),
  ]
  const ins = buildInsights(meals)
  t.match(ins, { meals: 12, responses: 10, excluded: { noResponse: 1, truncated2h: 1 } })
  // all 10 iAUCs sorted: 40 50 50 60 100 120 140 200 210 220 → median (100 + 120)/2 = 110, mean 1190/10 = 119
  t.same(ins.typical, { n: 10, medianIauc2h: 110, meanIauc2h: 119, meanScore: 66.5 })
  const oats = ins.foods.find((f) => f.food === 'oats')!
  t.same(oats.iauc2h, { n: 3, mean: 120, sd: 20, ci95: [70.3, 169.7] })
  t.same(oats.score, { n: 3, mean: 70, sd: 10, ci95: [45.2, 94.8] }) // 70 ± 4.303·10/√3
  // per gram of all 9 meals with carbs: 2 2.5 3 5 6 7 20 21 22 → median 6. oats 100·6/6 = 100, bread 100·21/6 = 350,
  // salad 100·2.5/6 = 41.7 with its carb-less meal counted.
  t.same(ins.personalGlycemicIndexReference, { medianIaucPerGram: 6, n: 9, mealsWithoutCarbs: 1 })
  t.same(oats.personalGlycemicIndex, { value: 100, n: 3, mealsWithoutCarbs: 0 })
  t.same(ins.foods.find((f) => f.food === 'bread')!.personalGlycemicIndex, { value: 350, n: 3, mealsWithoutCarbs: 0 })
  t.same(ins.foods.find((f) => f.food === 'salad')!.personalGlycemicIndex, { value: 41.7, n: 3, mealsWithoutCarbs: 1 })
  // bread vs the 7 others: exact one-sided p = 1/C(10, 3) = 1/120; BH over 3 tested foods keeps it ≤ 0.05
  t.same(ins.problemFoods, ['bread'])
  const bread = ins.foods.find((f) => f.food === 'bread')!.problem!
  t.ok(bread.pValue < 0.02 && bread.adjustedP <= 0.05, `bread p ${bread.pValue}, adjusted ${bread.adjustedP}`)
  t.equal(bread.meanAboveOthers, 210 - 560 / 7) // others: 100+120+140+60+40+50+50 = 560
  t.equal(ins.foods.find((f) => f.food === 'soup')!.problem, null, 'fewer than 3 usable meals: not tested')
  // Months: January holds days 0–25 (6 meals), February days 32–45 (4 meals)
  t.same(ins.trends.monthly, [
    { month: '2025-01', n: 6, meanIauc2h: 165, meanScore: 47.5 },
    { month: '2025-02', n: 4, meanIauc2h: 50, meanScore: 95 },
  ])
  t.ok(ins.trends.iauc2hSlopePer30Days! < 0 && ins.trends.scoreSlopePer30Days! > 0, 'responses fall and scores rise over time')
})
