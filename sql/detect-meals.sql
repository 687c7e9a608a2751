-- detect-meals.sql: the one glucose series of a user in [from, to), smoothed, with the rates and look-ahead rises
-- that src/analytics/detect-meals.ts walks to find meal-like rises. Loaded once and run by that module; every
-- parameter is a bind parameter whose value, meaning and source are documented in DETECTION there:
--   $1 uuid user, $2 / $3 timestamptz readings in [from, to), $4 interval smoothing half-width,
--   $5 interval rise look-ahead, $6 interval pre-onset level look-back, $7 float8 longest step (minutes) a rate
--   may span (longer is a gap: no rate across it).
-- Returns one row per reading of the chosen series, oldest first: time, source, g (raw mg/dL), s (smoothed),
-- rate (mg/dL/min of s since the previous reading, null across a gap or at the first reading), rise_ahead (highest
-- s in [time, time + $5] minus s), level_before (mean raw g in [time − $6, time]).
--
-- Series: ONE source per UTC day, never two (the Dexcom API and a Nightscout upload of the same sensor would
-- otherwise each produce the same rise, or zig-zag between calibrations into false ones). Rule as everywhere:
-- the source with the most readings, ties by series_source_priority() (migrations/0012, 0024).
WITH raw AS (
  SELECT r.time, r.source, r.value::float8 AS g
  FROM glucose_readings r
  WHERE r.user_id = $1::uuid AND r.time >= $2::timestamptz AND r.time < $3::timestamptz
),
per_day AS (
  SELECT time_bucket('1 day', time) AS day, source, count(*) AS n FROM raw GROUP BY 1, 2
),
chosen AS (
  SELECT DISTINCT ON (day) day, source
  FROM per_day
  ORDER BY day, n DESC, array_position(series_source_priority(), source)
),
series AS (
  SELECT r.* FROM raw r JOIN chosen c ON c.day = time_bucket('1 day', r.time) AND c.source = r.source
),
-- Centred moving average over [t − h, t + h]: at 5-minute sampling and h = 10 min, five readings, which damps the
-- reading-to-reading sensor noise that would otherwise trip a rate threshold.
smoothed AS (
  SELECT s.*,
         avg(s.g) OVER (ORDER BY s.time RANGE BETWEEN $4::interval PRECEDING AND $4::interval FOLLOWING) AS s,
         avg(s.g) OVER (ORDER BY s.time RANGE BETWEEN $6::interval PRECEDING AND CURRENT ROW) AS level_before
  FROM series s
),
stepped AS (
  SELECT m.*,
         extract(epoch FROM m.time - lag(m.time) OVER w)::float8 / 60 AS dt,
         m.s - lag(m.s) OVER w AS ds,
         max(m.s) OVER (ORDER BY m.time RANGE BETWEEN CURRENT ROW AND $5::interval FOLLOWING) AS ahead_max
  FROM smoothed m
  WINDOW w AS (ORDER BY m.time)
)
SELECT time, source, g, s,
       CASE WHEN dt <= $7::float8 THEN ds / dt END AS rate,
       ahead_max - s AS rise_ahead,
       level_before
FROM stepped
ORDER BY time
