-- analyst-agp.sql: the ambulatory glucose profile (AGP) of a population, or of one pseudonymous user.
-- For analysts (role `analyst`, schema `analyst`, see README "For analysts"). Parameters: $1 / $2 timestamptz the
-- period [from, to); $3 text a user_key for one person, or NULL for everyone.
--
-- Definitions (as the report's AGP, sql/glucose-agp.sql; Bergenstal et al., Diabetes Technol Ther 2013;15:198-211):
-- - per user, ONE series (the rule of sql/glucose-report.sql: the source with the most readings in the period,
--   ties by series_source_priority(), migrations/0012 and 0024);
-- - readings binned by time of day in each user's own time zone (local_time) into 15-minute bins (minute_of_day =
--   bin start after local midnight); per bin the 5th, 25th, 50th, 75th and 95th percentiles (percentile_cont,
--   linear interpolation) over all readings of all included users (a user with more readings weighs more), with
--   the number of readings and of users. Only bins holding readings are returned.
-- Source: analyst.glucose_readings (raw readings: percentiles do not sum, so no rollup can serve them).
WITH per_source AS (
  SELECT r.user_key, r.source, count(*) AS n
  FROM analyst.glucose_readings r
  WHERE r.time >= $1::timestamptz AND r.time < $2::timestamptz AND ($3::text IS NULL OR r.user_key = $3::text)
  GROUP BY r.user_key, r.source
),
series AS (
  SELECT DISTINCT ON (s.user_key) s.user_key, s.source
  FROM per_source s
  ORDER BY s.user_key, s.n DESC, array_position(series_source_priority(), s.source)
)
SELECT (extract(hour FROM r.local_time)::int * 60 + extract(minute FROM r.local_time)::int) / 15 * 15 AS minute_of_day,
       count(*)::int AS n,
       count(DISTINCT r.user_key)::int AS users,
       percentile_cont(ARRAY[0.05, 0.25, 0.5, 0.75, 0.95]) WITHIN GROUP (ORDER BY r.value_mg_dl) AS p5_p25_p50_p75_p95
FROM analyst.glucose_readings r
JOIN series s ON s.user_key = r.user_key AND s.source = r.source
WHERE r.time >= $1::timestamptz AND r.time < $2::timestamptz
GROUP BY 1
ORDER BY 1
