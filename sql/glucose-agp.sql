-- glucose-agp.sql: the ambulatory glucose profile (AGP) of one user's chosen series over one period [from, to).
-- Run by src/analytics/glucose-report.ts after sql/glucose-report.sql has chosen the series. Parameters only:
--   $1 uuid user, $2 / $3 timestamptz period [from, to), $4 reading_source the chosen source (one series, no
--   double counting: the rule is in sql/glucose-report.sql).
-- Returns one row per 15-minute time-of-day bin holding readings, ordered by bin.
--
-- Definition: 5th, 25th, 50th, 75th, 95th percentiles (percentile_cont, linear interpolation) of the readings
-- grouped by time of day in the user's time zone (users.timezone) in 15-minute bins (96 per day; a bin is named by
-- its start, minutes after local midnight). On a DST change day the local clock repeats or skips an hour; readings
-- are binned by the local clock time they were taken at. (AGP: Bergenstal et al., Diabetes Technol Ther
-- 2013;15:198-211; its use in the International Consensus on Time in Range, Battelino et al. 2019.)
--
-- Always from raw readings, also for long periods: percentiles do not sum, and the rollups are UTC hours, not
-- 15-minute bins of local time. An approximation (e.g. per-bin histograms) would change the numbers, so none is used.
WITH p AS (
  SELECT 15 AS bin_min
),
local AS (
  SELECT r.value::float8 AS g, r.time AT TIME ZONE coalesce(u.timezone, 'UTC') AS t
  FROM glucose_readings r LEFT JOIN users u ON u.id = r.user_id
  WHERE r.user_id = $1::uuid AND r.source = $4::reading_source
    AND r.time >= $2::timestamptz AND r.time < $3::timestamptz
)
SELECT (extract(hour FROM l.t)::int * 60 + extract(minute FROM l.t)::int) / p.bin_min * p.bin_min AS "minuteOfDay",
       count(*)::int AS n,
       percentile_cont(ARRAY[0.05, 0.25, 0.5, 0.75, 0.95]::float8[]) WITHIN GROUP (ORDER BY l.g) AS pct
FROM local l CROSS JOIN p
GROUP BY 1
ORDER BY 1
