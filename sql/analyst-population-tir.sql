-- analyst-population-tir.sql: the distribution of time in range across users over one period.
-- For analysts (role `analyst`, schema `analyst`, see README "For analysts"). Parameters: $1 / $2 timestamptz the
-- period [from, to) in whole UTC hours (hourly rollup rows are read whole), $3 the minimum coverage % for a user to
-- count (the consensus asks ≥ 70). With psql ≥ 16: `\bind '2025-01-01Z' '2025-04-01Z' 70` then `\g`.
--
-- Definitions:
-- - per user, ONE series (the rule of sql/glucose-report.sql: the source with the most readings in the period,
--   ties by series_source_priority(), migrations/0012 and 0024), so an uploader's copy of a sensor is not counted twice;
-- - per-user TIR % = 100 · readings 70 ≤ g ≤ 180 / readings (glucose_band(), migrations/0015_glucose_band_and_risk.sql; International
--   Consensus on Time in Range, Battelino et al., Diabetes Care 2019, doi 10.2337/dci19-0028);
-- - coverage % = 5-minute clock slots holding a reading / slots in the period (as the report's coverage);
-- - across the users with coverage ≥ $3: their number, mean TIR, the 10/25/50/75/90th percentiles
--   (percentile_cont) and the % of users meeting the consensus target TIR > 70 %.
-- Source: analyst.glucose_hourly (summed hourly rollup rows; exact, no raw readings read on the full edition).
WITH per_source AS (
  SELECT h.user_key, h.source, sum(h.readings) AS n, sum(h.readings_in_range) AS in_range, sum(h.slots_5min) AS slots
  FROM analyst.glucose_hourly h
  WHERE h.bucket >= $1::timestamptz AND h.bucket < $2::timestamptz
  GROUP BY h.user_key, h.source
),
series AS (
  SELECT DISTINCT ON (s.user_key) s.user_key, s.n, s.in_range, s.slots
  FROM per_source s
  ORDER BY s.user_key, s.n DESC, array_position(series_source_priority(), s.source)
),
per_user AS (
  SELECT s.user_key, 100 * s.in_range::float8 / s.n AS tir_pct,
         100 * s.slots::float8 / (extract(epoch FROM $2::timestamptz - $1::timestamptz) / 300) AS coverage_pct
  FROM series s
)
SELECT count(*)::int AS users,
       avg(u.tir_pct) AS mean_tir_pct,
       percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY u.tir_pct) AS tir_pct_p10_p25_p50_p75_p90,
       100 * count(*) FILTER (WHERE u.tir_pct > 70)::float8 / nullif(count(*), 0) AS pct_users_tir_over_70
FROM per_user u
WHERE u.coverage_pct >= $3::float8
