-- glucose-report.sql: the consensus CGM report's summary metrics for one user over one period [from, to).
-- Loaded once and run by src/analytics/glucose-report.ts, with the AGP from sql/glucose-agp.sql. Parameters only
-- (never spliced text): $1 uuid user, $2 / $3 timestamptz period [from, to), $4 / $5 timestamptz the whole UTC
-- hours read from the hourly rollup, [$4, $5) inside the period; $4 = $5 = $3 reads every reading raw.
-- Returns one row. With no readings, n = 0 and every metric is null (means of nothing are undefined, not 0).
--
-- Exact from sums: every metric below is a function of per-source sums (count, Σg, Σg², band counts, Σ risk,
-- 5-minute slots), which the hourly rollup glucose_hourly stores (migrations/0018_glucose_rollups_summable.*.sql) and which
-- the raw readings of the edges [from, $4) and [$5, to) give the same way. Long periods read ~24 rollup rows a day
-- instead of 288 readings; the numbers are those of the raw computation (test/analytics/glucose-report-rollups).
--
-- Definitions (issue 5). g = a reading in mg/dL.
-- - series: readings from ONE source per user and period, never two (the Dexcom API and a Nightscout upload of the
--   same sensor are both stored; counting both would double-weight every reading). The same rule as
--   sql/meal-response.sql: the source with the most readings in [from, to), ties broken by the fixed priority
--   series_source_priority() (migrations/0024), i.e. DEXCOM, LIBRE, LEVELS, NIGHTSCOUT, NIGHTSCOUT_UPLOAD, IMPORT, MANUAL. Applied in
--   `chosen`; the rollups keep sources apart so that the rule applies to them too.
-- - mean; SD = sample standard deviation (n − 1), from exact integer sums: √((n·Σg² − (Σg)²) / (n·(n − 1)));
--   CV % = 100 · SD / mean.
-- - GMI (%) = 3.31 + 0.02392 · mean (Bergenstal et al., Diabetes Care 2018;41:2275-80).
-- - bands, % of readings: glucose_band() (migrations/0015_glucose_band_and_risk.sql; International Consensus on Time in Range, Battelino et
--   al., Diabetes Care 2019, doi 10.2337/dci19-0028): very low g < 54, low 54 ≤ g < 70, in range 70 ≤ g ≤ 180,
--   high 180 < g ≤ 250, very high g > 250. Consensus targets (reported by the API, not applied here): TIR > 70 %,
--   < 70 under 4 %, < 54 under 1 %, > 180 under 25 %, > 250 under 5 %, CV ≤ 36 %.
-- - GRI = 3.0 · veryLow% + 2.4 · low% + 1.6 · veryHigh% + 0.8 · high%, capped at 100 (Klonoff et al., J Diabetes
--   Sci Technol 2022, online; print 2023;17:1226-42); zones A–E in 20-point steps.
-- - LBGI / HBGI = mean of glucose_risk_low() / glucose_risk_high() over the readings (migrations/0015_glucose_band_and_risk.sql; Kovatchev et
--   al., Diabetes Care 1997;20:1655-8, the risk scale; 1998;21:1870-5, LBGI).
-- - coverage (% of expected readings present): distinct 5-minute UTC clock slots (time_bucket('5 minutes'))
--   holding at least one reading of the chosen series, over the clock slots the period touches. Sensor-minute
--   based, so a 1-minute sensor tops out at 100 % and a duplicated reading is not counted twice; clock slots (not
--   slots from `from`) nest in the rollup's hours, so they sum exactly.
-- - sufficient: the consensus asks for ≥ 70 % of readings over 14 days; false (with the reason) when coverage < 70 %
--   or the period is shorter than 14 days.
WITH p AS (
  SELECT INTERVAL '5 minutes' AS step,       -- expected CGM interval for coverage
         70.0::float8 AS min_coverage_pct,   -- consensus: ≥ 70 % of readings…
         14 AS min_days,                     -- …over 14 days
         series_source_priority() AS source_priority -- migrations/0012, redefined in 0024
),
-- The raw edges around the rollup's hours (all of [from, to) when $4 = $5 = $3): two ranges, each an index range.
edges AS (
  SELECT r.time, r.value, r.source FROM glucose_readings r
  WHERE r.user_id = $1::uuid AND r.time >= $2::timestamptz AND r.time < $4::timestamptz
  UNION ALL
  SELECT r.time, r.value, r.source FROM glucose_readings r
  WHERE r.user_id = $1::uuid AND r.time >= $5::timestamptz AND r.time < $3::timestamptz
),
-- Per-source sums: the rollup's rows for the whole hours, and the edges summed into glucose_hourly's columns.
sums AS (
  SELECT h.source, h.readings, h.sum_mg_dl, h.sum_sq_mg_dl, h.readings_very_low, h.readings_low,
         h.readings_in_range, h.readings_high, h.readings_very_high, h.slots_5min, h.risk_low_sum, h.risk_high_sum
  FROM glucose_hourly h
  WHERE h.user_id = $1::uuid AND h.bucket >= $4::timestamptz AND h.bucket < $5::timestamptz
  UNION ALL
  SELECT e.source, count(*), sum(e.value), sum(e.value::integer * e.value),
         count(*) FILTER (WHERE glucose_band(e.value) = 'very_low'),
         count(*) FILTER (WHERE glucose_band(e.value) = 'low'),
         count(*) FILTER (WHERE glucose_band(e.value) = 'in_range'),
         count(*) FILTER (WHERE glucose_band(e.value) = 'high'),
         count(*) FILTER (WHERE glucose_band(e.value) = 'very_high'),
         count(DISTINCT time_bucket(INTERVAL '5 minutes', e.time)),
         sum(glucose_risk_low(e.value)), sum(glucose_risk_high(e.value))
  FROM edges e GROUP BY e.source
),
-- The series rule (see the header): at most one source.
chosen AS (
  SELECT s.source
  FROM sums s CROSS JOIN p
  GROUP BY s.source, p.source_priority
  ORDER BY sum(s.readings) DESC, array_position(p.source_priority, s.source)
  LIMIT 1
),
-- The chosen source's totals as exact numerics; no GROUP BY: one row even without readings.
total AS (
  SELECT coalesce(sum(s.readings), 0)::numeric AS n, sum(s.sum_mg_dl)::numeric AS sum_g,
         sum(s.sum_sq_mg_dl)::numeric AS sum_sq,
         sum(s.readings_very_low) AS very_low, sum(s.readings_low) AS low, sum(s.readings_in_range) AS in_range,
         sum(s.readings_high) AS high, sum(s.readings_very_high) AS very_high,
         coalesce(sum(s.slots_5min), 0)::int AS slots, sum(s.risk_low_sum) AS risk_low, sum(s.risk_high_sum) AS risk_high
  FROM sums s JOIN chosen c ON c.source = s.source
),
stats AS (
  SELECT t.n::int AS n, t.slots,
         (t.sum_g / nullif(t.n, 0))::float8 AS mean,
         sqrt((t.n * t.sum_sq - t.sum_g * t.sum_g) / nullif(t.n * (t.n - 1), 0))::float8 AS sd,
         (100 * t.very_low / nullif(t.n, 0))::float8 AS very_low_pct,
         (100 * t.low / nullif(t.n, 0))::float8 AS low_pct,
         (100 * t.in_range / nullif(t.n, 0))::float8 AS in_range_pct,
         (100 * t.high / nullif(t.n, 0))::float8 AS high_pct,
         (100 * t.very_high / nullif(t.n, 0))::float8 AS very_high_pct,
         t.risk_low / nullif(t.n, 0)::float8 AS lbgi,
         t.risk_high / nullif(t.n, 0)::float8 AS hbgi
  FROM total t
),
period AS (
  SELECT extract(epoch FROM $3::timestamptz - $2::timestamptz)::float8 / 60 AS minutes,
         -- clock slots touched by [from, to): from the slot holding `from` to the one holding the last instant
         (extract(epoch FROM time_bucket(p.step, $3::timestamptz - INTERVAL '1 microsecond') - time_bucket(p.step, $2::timestamptz))
           / extract(epoch FROM p.step))::int + 1 AS expected_slots
  FROM p
)
SELECT st.n, (SELECT c.source FROM chosen c)::text AS source,
       st.mean, st.sd, 100 * st.sd / nullif(st.mean, 0) AS cv_pct,
       3.31 + 0.02392 * st.mean AS gmi_pct,
       st.very_low_pct, st.low_pct, st.in_range_pct, st.high_pct, st.very_high_pct,
       -- least() skips nulls: without the CASE, no readings would give 100
       CASE WHEN st.n > 0 THEN least(100, 3.0 * st.very_low_pct + 2.4 * st.low_pct + 1.6 * st.very_high_pct
                                          + 0.8 * st.high_pct) END AS gri,
       st.lbgi, st.hbgi,
       st.slots, pd.expected_slots,
       100 * st.slots::float8 / pd.expected_slots AS coverage_pct,
       pd.minutes / 1440 AS period_days,
       CASE WHEN pd.minutes < p.min_days * 1440
              THEN format('the period is %s days; the consensus report needs at least %s', round((pd.minutes / 1440)::numeric, 1), p.min_days)
            WHEN 100 * st.slots::float8 / pd.expected_slots < p.min_coverage_pct
              THEN format('%s %% of the expected 5-minute readings are present; the consensus report needs at least %s %%',
                          round((100 * st.slots::float8 / pd.expected_slots)::numeric, 1), p.min_coverage_pct)
       END AS insufficient_reason
FROM stats st CROSS JOIN p CROSS JOIN period pd
