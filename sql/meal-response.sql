-- meal-response.sql: the glucose response to each meal, upserted into meal_glucose_responses.
-- Loaded once and run by src/analytics/meal-response.ts. Parameters only (never spliced text):
--   $1 uuid[] meal ids or null (any), $2 uuid user or null (any), $3 / $4 timestamptz eaten_at range [from, to) or
--   null (open), $5 boolean: true = write only responses that are missing or stale, false = rewrite all.
-- Returns one row (meal_id) per response written.
--
-- Definitions (issue 5). t0 = meals.eaten_at, t = minutes from t0; every number is a column of `p` below, the one
-- place to change them (then bump definitions_version, which makes every stored response stale).
-- - series: readings from ONE source per meal, never two (the Dexcom API and a Nightscout upload of the same sensor
--   are both stored; counting both would double-weight every mean and area and zig-zag the curve between two
--   calibrations). Rule: the source with the most readings in the meal's window [t0 − 60 min, t0 + 4 h], ties
--   broken by a fixed priority (a provider's own API before an uploader's copy, sparse fingersticks last):
--   series_source_priority() (migrations/0024), i.e. DEXCOM, LIBRE, LEVELS, NIGHTSCOUT, NIGHTSCOUT_UPLOAD, IMPORT, MANUAL. Applied in `chosen`.
-- - baseline: mean of the readings in [t0 − 30 min, t0], both ends included. If there are none, the nearest reading
--   within 60 min before t0, flagged 'baseline_fallback'. None at all → no response, with the reason.
-- - peak, time to peak: highest reading in (t0, t0 + 3 h], the earliest on ties; peak rise = peak − baseline.
-- - return to baseline: minutes from t0 until glucose, after the peak, first comes back to ≤ baseline, linearly
--   interpolated between the two readings that straddle it. Null when the peak is not above baseline, or when the
--   crossing is later than t0 + 3 h (a reading after t0 + 3 h may still place the crossing inside it).
-- - iAUC over [t0, t0 + 2 h] and [t0, t0 + 3 h] (mg/dL·min): Wolever & Jenkins, Am J Clin Nutr 1986;43:167-72, as
--   adopted by ISO 26642:2010 (glycaemic index): trapezoid rule on (glucose − baseline), only area above baseline
--   counts, a segment that crosses baseline contributes only the triangle above it (crossing interpolated). The
--   curve starts at the value interpolated at t0 and ends at the value interpolated at the window's end; if the
--   data stop earlier it ends at the last reading and the response is flagged 'truncated' (data stop before
--   t0 + 3 h) and also 'truncated_2h' (before t0 + 2 h).
-- - coverage: % of the 42 expected 5-minute readings of [t0 − 30 min, t0 + 3 h) present, counted as 5-minute slots
--   (aligned to t0 − 30 min) holding at least one reading, so 1-minute sensors top out at 100 %.
-- - largest gap: the longest interval between consecutive readings among the segments the response uses (from the
--   first baseline reading to t0 + 3 h); over 20 min is flagged 'large_gap' (the curve is interpolated across it).
-- - score 0–100 = 100 − 40·min(max(rise, 0) / 100 mg/dL, 1) − 40·min(iAUC 2 h / 6000 mg/dL·min, 1) − 20·r, where
--   r = 0 if the peak is not above baseline, else min(return minutes / 180, 1), or 1 if it does not return.
--   Non-increasing in rise, iAUC and return time. A house formula, not a published index: the 2 h iAUC is the
--   usual outcome of meal studies (Zeevi et al., Cell 2015), and the caps are set high enough that ordinary meals
--   spread over the range; a rise of 100 mg/dL or an area of 6000 mg/dL·min (333 mmol/L·min) scores 0 on that part.
-- input_digest: definitions version, t0, and a count and sum of 64-bit hashes of every reading (all sources) in the
-- window: any change to what the response depends on changes it.
WITH p AS (
  SELECT 1 AS definitions_version,
         30.0::float8 AS baseline_min,     -- baseline window before t0
         60.0::float8 AS reach_min,        -- fallback baseline reach before t0; lookahead past t0 + 3 h to interpolate
         180.0::float8 AS response_min,    -- peak search, return, 3 h iAUC, coverage window end
         120.0::float8 AS iauc_short_min,  -- the ISO 26642 2 h iAUC
         5.0::float8 AS step_min,          -- expected CGM interval for coverage
         20.0::float8 AS max_gap_min,      -- gaps longer than this are flagged
         100.0::float8 AS score_rise_cap, 6000.0::float8 AS score_iauc_cap, 180.0::float8 AS score_return_cap,
         40.0::float8 AS score_rise_weight, 40.0::float8 AS score_iauc_weight, 20.0::float8 AS score_return_weight,
         series_source_priority() AS source_priority -- migrations/0012, redefined in 0024
),
meal AS (
  SELECT m.id, m.user_id, m.eaten_at AS t0
  FROM meals m
  WHERE ($1::uuid[] IS NULL OR m.id = ANY ($1::uuid[]))
    AND ($2::uuid IS NULL OR m.user_id = $2::uuid)
    AND ($3::timestamptz IS NULL OR m.eaten_at >= $3::timestamptz)
    AND ($4::timestamptz IS NULL OR m.eaten_at < $4::timestamptz)
),
-- One pass over each user's readings (the batch shape): one index range scan per user over the span its meals need,
-- each reading's neighbours in its own source's series taken once (lag/lead), then readings matched to the meal
-- windows that contain them by an equality join on the clock hour (a window spans at most 6), and everything per
-- meal computed by two grouped aggregates, without sorting per meal. The earlier form (one index probe per meal
-- through a LATERAL, window functions partitioned per meal) was 1.2–2× slower side by side on a user-year (2 busy
-- cores). The trade-off: a user's readings are read from their first meal's window to their last, so two meals a
-- year apart in one call read the year between (≤ 105,000 rows, a few hundred ms).
span AS (
  SELECT m.user_id, min(m.t0) - p.reach_min * interval '1 minute' AS lo,
         max(m.t0) + (p.response_min + p.reach_min) * interval '1 minute' AS hi
  FROM meal m CROSS JOIN p
  GROUP BY m.user_id, p.reach_min, p.response_min
),
-- MATERIALIZED: joined to the windows as a whole. Left inlined, the planner may move the window join inside the
-- per-user scan and match on the user alone (every reading × every window: 47 s instead of 0.7 s for a user-year,
-- seen after ANALYZE on a table other users had just filled and emptied).
series AS MATERIALIZED (
  SELECT r.*, date_trunc('hour', r.time) AS hour
  FROM span s
  CROSS JOIN LATERAL (
    SELECT g.user_id, g.source, g.time, g.value::float8 AS g,
           lag(g.time) OVER w AS time_prev, lag(g.value::float8) OVER w AS g_prev,
           lead(g.time) OVER w AS time_next, lead(g.value::float8) OVER w AS g_next
    FROM glucose_readings g
    WHERE g.user_id = s.user_id AND g.time BETWEEN s.lo AND s.hi
    WINDOW w AS (PARTITION BY g.source ORDER BY g.time)) r
),
-- The clock hours each window touches: 5 h long, so at most 6 (an integer series, which the planner sizes right).
meal_hour AS (
  SELECT m.id, m.user_id, m.t0, date_trunc('hour', m.t0 - p.reach_min * interval '1 minute') + k * interval '1 hour' AS h
  FROM meal m CROSS JOIN p CROSS JOIN generate_series(0, 5) k
),
-- Every reading, of every source, in each meal's window [t0 − 60 min, t0 + 4 h], in minutes from t0, with its
-- neighbours only when they lie inside that window too (as if the window were all the data there is).
raw AS (
  SELECT mh.id AS meal_id, s.source, s.time, s.g, x.t,
         CASE WHEN x.t_prev >= -p.reach_min THEN x.t_prev END AS t_prev,
         CASE WHEN x.t_prev >= -p.reach_min THEN s.g_prev END AS g_prev,
         CASE WHEN x.t_next <= p.response_min + p.reach_min THEN x.t_next END AS t_next,
         CASE WHEN x.t_next <= p.response_min + p.reach_min THEN s.g_next END AS g_next
  FROM series s
  JOIN meal_hour mh ON mh.user_id = s.user_id AND mh.h = s.hour
  CROSS JOIN p
  CROSS JOIN LATERAL (SELECT extract(epoch FROM s.time - mh.t0)::float8 / 60 AS t,
                             extract(epoch FROM s.time_prev - mh.t0)::float8 / 60 AS t_prev,
                             extract(epoch FROM s.time_next - mh.t0)::float8 / 60 AS t_next) x
  WHERE x.t BETWEEN -p.reach_min AND p.response_min + p.reach_min
),
-- Per meal and source: size of the series, baseline window, fallback, peak. max(ARRAY[a, b]) picks the row with
-- the largest a, then b: the latest reading before the baseline window with its value, and the highest reading with
-- the earliest time on ties (−t).
by_source AS (
  SELECT r.meal_id, r.source, count(*) AS n, max(r.t) AS last_t,
         sum(hashtextextended(concat_ws(':', r.source, extract(epoch FROM r.time), r.g), 0)::numeric) AS readings_hash,
         avg(r.g) FILTER (WHERE r.t BETWEEN -p.baseline_min AND 0) AS window_mean,
         min(r.t) FILTER (WHERE r.t BETWEEN -p.baseline_min AND 0) AS window_first,
         max(ARRAY[r.t, r.g]) FILTER (WHERE r.t < -p.baseline_min) AS fallback,
         max(ARRAY[r.g, -r.t]) FILTER (WHERE r.t > 0 AND r.t <= p.response_min) AS peak
  FROM raw r CROSS JOIN p
  GROUP BY r.meal_id, r.source
),
-- The series rule (see the header): one source per meal.
chosen AS (
  SELECT DISTINCT ON (b.meal_id) b.meal_id, b.source, b.last_t, b.window_mean IS NULL AS fallback,
         coalesce(b.window_mean, b.fallback[2]) AS baseline, coalesce(b.window_first, b.fallback[1]) AS span_start,
         b.peak[1] AS peak_g, -b.peak[2] AS peak_t,
         sum(b.n) OVER (PARTITION BY b.meal_id) AS n_readings,
         sum(b.readings_hash) OVER (PARTITION BY b.meal_id) AS readings_hash
  FROM by_source b CROSS JOIN p
  ORDER BY b.meal_id, b.n DESC, array_position(p.source_priority, b.source)
),
-- One row per meal: the chosen series' segments (each reading to the next), the return crossing, gaps, coverage
-- slots and the areas. Each reading appears twice, once per iAUC window end (e.end_min); the other aggregates
-- filter on one end.
walked AS (
  SELECT l.meal_id,
         -- the first reading at or below baseline after the peak, its predecessor above: the first down-crossing
         -- (crossings lie in disjoint, ordered intervals, so the earliest is the smallest)
         min(l.t_prev + (l.t - l.t_prev) * (l.g_prev - c.baseline) / nullif(l.g_prev - l.g, 0))
           FILTER (WHERE c.peak_g > c.baseline AND l.t > c.peak_t AND l.g <= c.baseline AND l.g_prev > c.baseline) AS return_t,
         sum(z.above) FILTER (WHERE e.end_min = p.iauc_short_min) AS iauc_short,
         sum(z.above) FILTER (WHERE e.end_min = p.response_min) AS iauc_long,
         max(l.t_next - l.t) FILTER (WHERE l.t_next > c.span_start AND l.t < p.response_min) AS largest_gap,
         -- 5-minute slots (aligned to t0 − 30 min) holding a reading: readings are in time order within a series,
         -- so a reading opens a new slot exactly when its predecessor lies in another slot or before the count
         count(*) FILTER (WHERE e.end_min = p.response_min AND l.t >= -p.baseline_min AND l.t < p.response_min
                            AND (l.t_prev IS NULL OR l.t_prev < -p.baseline_min
                                 OR floor((l.t + p.baseline_min) / p.step_min) <> floor((l.t_prev + p.baseline_min) / p.step_min))) AS slots
  FROM raw l
  JOIN chosen c ON c.meal_id = l.meal_id AND c.source = l.source
  CROSS JOIN p
  CROSS JOIN LATERAL (VALUES (p.iauc_short_min), (p.response_min)) e (end_min)
  -- iAUC (Wolever & Jenkins 1986; ISO 26642:2010): the segment to the next reading, clipped to [0, end], linearly
  -- interpolated at the clip points (t0 and the window end); da, db: its ends' distances from baseline
  CROSS JOIN LATERAL (SELECT greatest(l.t, 0) AS a, least(l.t_next, e.end_min) AS b) x
  CROSS JOIN LATERAL (SELECT l.g + (l.g_next - l.g) * (x.a - l.t) / (l.t_next - l.t) - c.baseline AS da,
                             l.g + (l.g_next - l.g) * (x.b - l.t) / (l.t_next - l.t) - c.baseline AS db) y
  CROSS JOIN LATERAL (SELECT CASE
           WHEN l.t_next IS NULL OR x.b <= x.a THEN 0                          -- no segment inside the window
           WHEN y.da >= 0 AND y.db >= 0 THEN (y.da + y.db) / 2 * (x.b - x.a)  -- trapezoid above baseline
           WHEN y.da <= 0 AND y.db <= 0 THEN 0                                -- wholly at or below
           ELSE (greatest(y.da, 0) ^ 2 + greatest(y.db, 0) ^ 2)                -- crossing: the triangle above, of
                / (abs(y.da) + abs(y.db)) * (x.b - x.a) / 2                    -- base width·d₊/(|da| + |db|)
         END AS above) z
  GROUP BY l.meal_id
),
per_meal AS (
  SELECT m.id AS meal_id, m.user_id, m.t0, c.source, coalesce(c.n_readings, 0) AS n_readings, c.readings_hash,
         c.baseline, c.fallback, c.peak_g, c.peak_t, c.last_t, w.return_t, w.iauc_short, w.iauc_long, w.largest_gap,
         coalesce(w.slots, 0) AS slots
  FROM meal m
  LEFT JOIN chosen c ON c.meal_id = m.id
  LEFT JOIN walked w ON w.meal_id = m.id
),
result AS (
  SELECT r.*,
         concat_ws(':', p.definitions_version, extract(epoch FROM r.t0), r.n_readings, r.readings_hash) AS input_digest,
         100 * r.slots / ((p.baseline_min + p.response_min) / p.step_min) AS coverage,
         CASE WHEN r.baseline IS NULL
                THEN format('no baseline: no glucose reading in the %s minutes before the meal', p.reach_min)
              WHEN r.peak_g IS NULL
                THEN format('no glucose reading in the %s minutes after the meal', p.response_min)
         END AS no_response_reason
  FROM per_meal r CROSS JOIN p
)
INSERT INTO meal_glucose_responses AS stored (
  meal_id, user_id, computed_at, baseline_mg_dl, peak_mg_dl, peak_rise_mg_dl, time_to_peak_min,
  return_to_baseline_min, iauc_2h, iauc_3h, coverage_pct, largest_gap_min, score, flags, no_response_reason,
  series_source, input_digest)
SELECT r.meal_id, r.user_id, now(), ok.baseline, ok.peak_g, ok.peak_g - ok.baseline, ok.peak_t,
       CASE WHEN ok.return_t <= p.response_min THEN ok.return_t END,
       ok.iauc_short, ok.iauc_long, r.coverage, r.largest_gap,
       -- numeric: halves round away from zero on every platform (float8 round() is platform-dependent). The CASE:
       -- least()/greatest() skip nulls, so without a response the formula would not stay null on its own.
       CASE WHEN ok.meal_id IS NOT NULL THEN round((100
         - p.score_rise_weight * least(greatest(ok.peak_g - ok.baseline, 0) / p.score_rise_cap, 1)
         - p.score_iauc_weight * least(ok.iauc_short / p.score_iauc_cap, 1)
         - p.score_return_weight * CASE WHEN ok.peak_g <= ok.baseline THEN 0
                                        WHEN ok.return_t <= p.score_return_cap THEN ok.return_t / p.score_return_cap
                                        ELSE 1 END)::numeric) END,
       array_remove(ARRAY[
         CASE WHEN ok.fallback THEN 'baseline_fallback' END,
         CASE WHEN ok.last_t < p.response_min THEN 'truncated' END,
         CASE WHEN ok.last_t < p.iauc_short_min THEN 'truncated_2h' END,
         CASE WHEN r.largest_gap > p.max_gap_min THEN 'large_gap' END], NULL),
       r.no_response_reason, ok.source, r.input_digest
FROM result r CROSS JOIN p
-- ok.* is null when there is no response: every metric, and the score, stay null then
LEFT JOIN LATERAL (SELECT r.* WHERE r.no_response_reason IS NULL) ok ON true
ON CONFLICT (meal_id) DO UPDATE SET
  (user_id, computed_at, baseline_mg_dl, peak_mg_dl, peak_rise_mg_dl, time_to_peak_min, return_to_baseline_min,
   iauc_2h, iauc_3h, coverage_pct, largest_gap_min, score, flags, no_response_reason, series_source, input_digest) =
  (EXCLUDED.user_id, EXCLUDED.computed_at, EXCLUDED.baseline_mg_dl, EXCLUDED.peak_mg_dl, EXCLUDED.peak_rise_mg_dl,
   EXCLUDED.time_to_peak_min, EXCLUDED.return_to_baseline_min, EXCLUDED.iauc_2h, EXCLUDED.iauc_3h,
   EXCLUDED.coverage_pct, EXCLUDED.largest_gap_min, EXCLUDED.score, EXCLUDED.flags, EXCLUDED.no_response_reason,
   EXCLUDED.series_source, EXCLUDED.input_digest)
  -- stale = computed from other inputs than there are now; an unchanged response is left as it is
  WHERE NOT $5::boolean OR stored.input_digest IS DISTINCT FROM EXCLUDED.input_digest
RETURNING stored.meal_id
