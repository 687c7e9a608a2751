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
--   series_source_priority() (migrations/0012), i.e. DEXCOM, LIBRE, LEVELS, NIGHTSCOUT, IMPORT, MANUAL. Applied in `ranked`.
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
         series_source_priority() AS source_priority -- migrations/0012_series_source_priority.sql
),
meal AS (
  SELECT m.id, m.user_id, m.eaten_at AS t0
  FROM meals m
  WHERE ($1::uuid[] IS NULL OR m.id = ANY ($1::uuid[]))
    AND ($2::uuid IS NULL OR m.user_id = $2::uuid)
    AND ($3::timestamptz IS NULL OR m.eaten_at >= $3::timestamptz)
    AND ($4::timestamptz IS NULL OR m.eaten_at < $4::timestamptz)
),
-- Every reading, of every source, in each meal's window; a meal without any keeps one row of nulls. LATERAL with
-- OFFSET 0 (not flattened into a join): one (user_id, time) index range scan per meal, and TimescaleDB skips the
-- other chunks at run time. As a plain join the planner hashed all of a user's readings, or, without statistics
-- for a newly imported user, scanned all of them once per meal (seconds instead of milliseconds per 1,000 meals).
raw AS (
  SELECT m.id AS meal_id, m.user_id, m.t0, g.source, g.time, g.value::float8 AS g,
         extract(epoch FROM g.time - m.t0)::float8 / 60 AS t
  FROM meal m CROSS JOIN p
  LEFT JOIN LATERAL (
    SELECT r.source, r.time, r.value FROM glucose_readings r
    WHERE r.user_id = m.user_id
      AND r.time BETWEEN m.t0 - p.reach_min * interval '1 minute'
                     AND m.t0 + (p.response_min + p.reach_min) * interval '1 minute'
    OFFSET 0) g ON true
),
-- The series rule (see the header): `chosen` is the same on every row of a meal.
ranked AS (
  SELECT c.*, first_value(c.source) OVER (PARTITION BY c.meal_id
                                          ORDER BY c.n DESC, array_position(p.source_priority, c.source)) AS chosen
  FROM (SELECT raw.*, count(*) OVER (PARTITION BY raw.meal_id, raw.source) AS n FROM raw) c CROSS JOIN p
),
-- Every source's readings in time order with their neighbours (lag/lead) and that series' levels. Each source is
-- walked on its own (partitioned by source) and the final aggregate keeps the chosen one: no joins between steps,
-- whose row estimates the planner cannot know.
walk AS (
  SELECT s.*,
         lag(s.t) OVER w AS t_prev, lag(s.g) OVER w AS g_prev, lead(s.t) OVER w AS t_next, lead(s.g) OVER w AS g_next,
         avg(s.g) FILTER (WHERE s.t BETWEEN -p.baseline_min AND 0) OVER whole AS window_mean,
         min(s.t) FILTER (WHERE s.t BETWEEN -p.baseline_min AND 0) OVER whole AS window_first,
         max(s.t) FILTER (WHERE s.t < -p.baseline_min) OVER whole AS fallback_t,
         max(s.g) FILTER (WHERE s.t > 0 AND s.t <= p.response_min) OVER whole AS peak_g
  FROM ranked s CROSS JOIN p
  WINDOW w AS (PARTITION BY s.meal_id, s.source ORDER BY s.t), whole AS (PARTITION BY s.meal_id, s.source)
),
level AS (
  SELECT k.*,
         coalesce(k.window_mean, max(k.g) FILTER (WHERE k.t = k.fallback_t) OVER whole) AS baseline,
         coalesce(k.window_first, k.fallback_t) AS span_start,
         min(k.t) FILTER (WHERE k.g = k.peak_g AND k.t > 0 AND k.t <= p.response_min) OVER whole AS peak_t
  FROM walk k CROSS JOIN p
  WINDOW whole AS (PARTITION BY k.meal_id, k.source)
),
-- One row per meal. Each reading appears twice, once per iAUC window end (e.end_min); sums and counts filter on
-- one end, min/max are unaffected.
per_meal AS (
  SELECT l.meal_id, l.user_id, l.t0, max(l.chosen) AS source,
         count(l.time) FILTER (WHERE e.end_min = p.response_min) AS n_readings,
         sum(hashtextextended(concat_ws(':', l.source, extract(epoch FROM l.time), l.g), 0)::numeric)
           FILTER (WHERE e.end_min = p.response_min) AS readings_hash,
         max(l.baseline) FILTER (WHERE l.source = l.chosen) AS baseline,
         bool_or(l.window_mean IS NULL) FILTER (WHERE l.source = l.chosen) AS fallback,
         max(l.peak_g) FILTER (WHERE l.source = l.chosen) AS peak_g,
         max(l.peak_t) FILTER (WHERE l.source = l.chosen) AS peak_t,
         max(l.t) FILTER (WHERE l.source = l.chosen) AS last_t,
         -- the first reading at or below baseline after the peak, its predecessor above: the first down-crossing
         -- (crossings lie in disjoint, ordered intervals, so the earliest is the smallest)
         min(l.t_prev + (l.t - l.t_prev) * (l.g_prev - l.baseline) / nullif(l.g_prev - l.g, 0))
           FILTER (WHERE l.source = l.chosen AND l.peak_g > l.baseline AND l.t > l.peak_t
                     AND l.g <= l.baseline AND l.g_prev > l.baseline) AS return_t,
         sum(z.above) FILTER (WHERE l.source = l.chosen AND e.end_min = p.iauc_short_min) AS iauc_short,
         sum(z.above) FILTER (WHERE l.source = l.chosen AND e.end_min = p.response_min) AS iauc_long,
         max(l.t_next - l.t) FILTER (WHERE l.source = l.chosen AND l.t_next > l.span_start AND l.t < p.response_min)
           AS largest_gap,
         count(DISTINCT floor((l.t + p.baseline_min) / p.step_min))
           FILTER (WHERE l.source = l.chosen AND l.t >= -p.baseline_min AND l.t < p.response_min) AS slots
  FROM level l CROSS JOIN p
  CROSS JOIN LATERAL (VALUES (p.iauc_short_min), (p.response_min)) e (end_min)
  -- iAUC (Wolever & Jenkins 1986; ISO 26642:2010): the segment to the next reading, clipped to [0, end], linearly
  -- interpolated at the clip points (t0 and the window end); da, db: its ends' distances from baseline
  CROSS JOIN LATERAL (SELECT greatest(l.t, 0) AS a, least(l.t_next, e.end_min) AS b) x
  CROSS JOIN LATERAL (SELECT l.g + (l.g_next - l.g) * (x.a - l.t) / (l.t_next - l.t) - l.baseline AS da,
                             l.g + (l.g_next - l.g) * (x.b - l.t) / (l.t_next - l.t) - l.baseline AS db) y
  CROSS JOIN LATERAL (SELECT CASE
           WHEN l.t_next IS NULL OR x.b <= x.a THEN 0                          -- no segment inside the window
           WHEN y.da >= 0 AND y.db >= 0 THEN (y.da + y.db) / 2 * (x.b - x.a)  -- trapezoid above baseline
           WHEN y.da <= 0 AND y.db <= 0 THEN 0                                -- wholly at or below
           ELSE (greatest(y.da, 0) ^ 2 + greatest(y.db, 0) ^ 2)                -- crossing: the triangle above, of
                / (abs(y.da) + abs(y.db)) * (x.b - x.a) / 2                    -- base width·d₊/(|da| + |db|)
         END AS above) z
  GROUP BY l.meal_id, l.user_id, l.t0
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
