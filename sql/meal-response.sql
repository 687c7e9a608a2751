-- meal-response.sql: the glucose response to each meal, upserted into meal_glucose_responses.
-- Loaded once and run by src/analytics/meal-response.ts. Parameters only (never spliced text):
--   $1 uuid[] meal ids or null (any), $2 uuid user or null (any), $3 / $4 timestamptz eaten_at range [from, to) or
--   null (open), $5 boolean: true = write only responses that are missing or stale, false = rewrite all,
--   $6 uuid[] / $7 / $8 timestamptz: the users and the first and last eaten_at of the meals $1–$4 select, read by
--   meal-response.ts just before in the same transaction (values the planner can see, see `series`); a meal
--   outside them (moved or added in between) is left for the next call.
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
-- input_digest: definitions version, t0, the count of every reading (all sources) in the window, and a sum over
-- its sources of a 64-bit hash of (source, count, 64-bit hashes of the window's reading times and of its values,
-- in time order): any change to what the response depends on (a late, revised, moved or deleted reading, a moved
-- meal, new definitions) changes it.
--
-- How (measured side by side with EXPLAIN ANALYZE, bench/sections/meal-responses.ts): each user's readings are read
-- once into one array per source, in time order (`series`); each meal finds its window in those arrays by binary
-- search (width_bucket) and walks only the readings in it (`base`, `by_source`). There is no join of readings to
-- windows, no sort of (meal, reading) rows and no window function over them. The earlier form (readings joined to
-- the windows by clock hour, then grouped twice) spent its time sorting and materialising ~60 rows per meal,
-- several times (external sorts on disk for 1,000 users), hashing a text rendering of every reading for the
-- digest, and re-probing the readings' chunks once per user; it ran at about half the Node path's speed.
-- Minutes from t0 are computed as (µs − µs0) / 1e6 / 60 on whole microseconds held exactly in float8, which gives
-- bit for bit the value of extract(epoch FROM time − t0) / 60, so window edges fall exactly as before.
-- NOT MATERIALIZED: its columns become constants in every expression (a CTE scan joined to each row costs a
-- nested loop per row).
WITH p AS NOT MATERIALIZED (
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
-- us0: t0 in whole microseconds since 1970, exact in float8 (< 2^53); date_part's float epoch is within 0.25 µs of
-- the true value until 2106, so round() recovers it.
meal AS (
  SELECT m.id, m.user_id, m.eaten_at AS t0, round(date_part('epoch', m.eaten_at) * 1e6) AS us0
  FROM meals m
  WHERE ($1::uuid[] IS NULL OR m.id = ANY ($1::uuid[]))
    AND ($2::uuid IS NULL OR m.user_id = $2::uuid)
    AND ($3::timestamptz IS NULL OR m.eaten_at >= $3::timestamptz)
    AND ($4::timestamptz IS NULL OR m.eaten_at < $4::timestamptz)
    AND m.user_id = ANY ($6::uuid[]) AND m.eaten_at BETWEEN $7::timestamptz AND $8::timestamptz
),
-- One row per user and source: every reading from the first meal's window to the last one's, in time order, as
-- two arrays (time in µs as above, value). One scan for all users; $6–$8 are values, so TimescaleDB drops the
-- chunks outside them when planning (a bound computed inside the statement is only known per execution, and a
-- per-user or per-meal probe then re-checked every chunk each time: ~1 ms per probe on a year of chunks).
-- MATERIALIZED: built once whatever join the planner picks below. Trade-off: all users share the time span, so
-- an operator batch over users with meals far apart reads the readings in between too.
series AS MATERIALIZED (
  SELECT g.user_id, g.source,
         array_agg(round(date_part('epoch', g.time) * 1e6) ORDER BY g.time) AS us,
         array_agg(g.value::float8 ORDER BY g.time) AS v
  FROM glucose_readings g CROSS JOIN p
  WHERE g.user_id = ANY ($6::uuid[])
    AND g.time BETWEEN $7::timestamptz - p.reach_min * interval '1 minute'
                   AND $8::timestamptz + (p.response_min + p.reach_min) * interval '1 minute'
  GROUP BY g.user_id, g.source
),
-- Each meal's window in each of its user's series, as positions found by binary search (width_bucket: how many
-- elements are <= the operand). Readings a+1..e lie in [t0 − 60 min, t0 + 4 h], b+1..c in the baseline window
-- [t0 − 30 min, t0], c+1..d in the peak search (t0, t0 + 3 h]; the −0.5 turns "<= bound − 1 µs" into "< bound".
-- (OFFSET 0 here and below: evaluated once per row, not once per reference after the planner inlines it.)
win AS (
  SELECT m.id AS meal_id, m.us0, s.source, s.us, s.v,
         width_bucket(m.us0 - p.reach_min * 6e7 - 0.5, s.us) AS a,
         width_bucket(m.us0 - p.baseline_min * 6e7 - 0.5, s.us) AS b,
         width_bucket(m.us0, s.us) AS c,
         width_bucket(m.us0 + p.response_min * 6e7, s.us) AS d,
         width_bucket(m.us0 + (p.response_min + p.reach_min) * 6e7, s.us) AS e
  FROM meal m JOIN series s ON s.user_id = m.user_id CROSS JOIN p
  OFFSET 0
),
-- Per meal and source: baseline (mean of the baseline window, else the last reading before it: position b),
-- where the used span starts, and the peak (first position of the highest value).
base AS (
  SELECT w.meal_id, w.source, w.us0, w.us, w.v, w.a, w.e,
         pa.window_mean IS NULL AS fallback,
         coalesce(pa.window_mean, CASE WHEN w.b > w.a THEN w.v[w.b] END) AS baseline,
         (CASE WHEN w.c > w.b THEN w.us[w.b + 1] WHEN w.b > w.a THEN w.us[w.b] END - w.us0) / 1e6 / 60 AS span_start,
         pa.peak_g,
         (w.us[w.c + array_position(w.v[w.c + 1:w.d], pa.peak_g)] - w.us0) / 1e6 / 60 AS peak_t
  FROM win w
  CROSS JOIN LATERAL (
    SELECT avg(x.g) FILTER (WHERE x.o <= w.c - w.b) AS window_mean, max(x.g) FILTER (WHERE x.o > w.c - w.b) AS peak_g
    FROM unnest(w.v[w.b + 1:w.d]) WITH ORDINALITY x (g, o)) pa
  WHERE w.e > w.a
  OFFSET 0
),
-- Per meal and source, walking the readings of the window in order, each with the next one (none after the last:
-- the window is all the data there is): the return crossing, the areas, the gaps, the coverage slots.
-- Each reading is paired with its successor, so the definitions' "reading at or below baseline whose predecessor
-- is above" is the segment from an above reading to an at-or-below one, and a slot is counted at its last reading
-- (the next is in another slot, past the window or absent) rather than its first: the same counts.
by_source AS (
  SELECT b.meal_id, b.source, b.e - b.a AS n, (b.us[b.e] - b.us0) / 1e6 / 60 AS last_t, b.fallback, b.baseline,
         b.peak_g, b.peak_t, wk.*,
         hash_array_extended(b.us[b.a + 1:b.e], 0) AS hash_times, hash_array_extended(b.v[b.a + 1:b.e], 0) AS hash_values
  FROM base b
  CROSS JOIN LATERAL (
    SELECT min(s.t + (s.t_next - s.t) * (s.g - b.baseline) / nullif(s.g - s.g_next, 0))
             FILTER (WHERE b.peak_g > b.baseline AND s.t_next > b.peak_t AND s.g_next <= b.baseline AND s.g > b.baseline) AS return_t,
           sum(s.above_long) AS iauc_long, sum(s.above_short) AS iauc_short,
           max(s.t_next - s.t) FILTER (WHERE s.t_next > b.span_start AND s.t < p.response_min) AS largest_gap,
           count(*) FILTER (WHERE s.t >= -p.baseline_min AND s.t < p.response_min
                              AND (s.t_next IS NULL OR floor((s.t + p.baseline_min) / p.step_min) <> floor((s.t_next + p.baseline_min) / p.step_min))) AS slots
    -- iAUC (Wolever & Jenkins 1986; ISO 26642:2010): the segment to the next reading, clipped to [0, end], linearly
    -- interpolated at the clip points (t0 and the window end); da, db: its ends' distances from baseline. The 2 h
    -- area equals the 3 h one for a segment ending by 2 h, is 0 for one starting at or after it, and is computed
    -- apart only for the one segment that straddles 2 h.
    FROM (
      SELECT y.*, z.above AS above_long,
             CASE WHEN y.t_next <= p.iauc_short_min THEN z.above WHEN y.t >= p.iauc_short_min THEN 0 ELSE zs.above END AS above_short
      FROM (
        SELECT x.*, greatest(x.t, 0) AS a, least(x.t_next, p.response_min) AS b, least(x.t_next, p.iauc_short_min) AS bs,
               x.g + (x.g_next - x.g) * (greatest(x.t, 0) - x.t) / (x.t_next - x.t) - b.baseline AS da,
               x.g + (x.g_next - x.g) * (least(x.t_next, p.response_min) - x.t) / (x.t_next - x.t) - b.baseline AS db,
               x.g + (x.g_next - x.g) * (least(x.t_next, p.iauc_short_min) - x.t) / (x.t_next - x.t) - b.baseline AS dbs
        FROM (
          SELECT (b.us[i] - b.us0) / 1e6 / 60 AS t, b.v[i] AS g,
                 CASE WHEN i < b.e THEN (b.us[i + 1] - b.us0) / 1e6 / 60 END AS t_next, CASE WHEN i < b.e THEN b.v[i + 1] END AS g_next
          FROM generate_series(b.a + 1, b.e) i
          OFFSET 0) x
        CROSS JOIN p
        OFFSET 0) y
      CROSS JOIN p
      CROSS JOIN LATERAL (SELECT CASE
               WHEN y.t_next IS NULL OR y.b <= y.a THEN 0
               WHEN y.da >= 0 AND y.db >= 0 THEN (y.da + y.db) / 2 * (y.b - y.a)
               WHEN y.da <= 0 AND y.db <= 0 THEN 0
               ELSE (greatest(y.da, 0) ^ 2 + greatest(y.db, 0) ^ 2) / (abs(y.da) + abs(y.db)) * (y.b - y.a) / 2
             END AS above) z                                                  -- crossing: the triangle above, of
      CROSS JOIN LATERAL (SELECT CASE                                          -- base width·d₊/(|da| + |db|)
               WHEN y.t_next IS NULL OR y.bs <= y.a THEN 0
               WHEN y.da >= 0 AND y.dbs >= 0 THEN (y.da + y.dbs) / 2 * (y.bs - y.a)
               WHEN y.da <= 0 AND y.dbs <= 0 THEN 0
               ELSE (greatest(y.da, 0) ^ 2 + greatest(y.dbs, 0) ^ 2) / (abs(y.da) + abs(y.dbs)) * (y.bs - y.a) / 2
             END AS above) zs
      OFFSET 0) s
    CROSS JOIN p) wk
  OFFSET 0
),
-- The series rule (see the header): one source per meal; the count and digest cover every source.
chosen AS (
  SELECT DISTINCT ON (b.meal_id) b.meal_id, b.source, b.last_t, b.fallback, b.baseline,
         b.peak_g, b.peak_t, b.return_t, b.iauc_short, b.iauc_long, b.largest_gap, b.slots,
         sum(b.n) OVER m AS n_readings,
         sum(hashtextextended(concat_ws(':', b.source, b.n, b.hash_times, b.hash_values), 0)::numeric) OVER m AS readings_hash
  FROM by_source b CROSS JOIN p
  WINDOW m AS (PARTITION BY b.meal_id)
  ORDER BY b.meal_id, b.n DESC, array_position(p.source_priority, b.source)
),
per_meal AS (
  SELECT m.id AS meal_id, m.user_id, m.t0, c.source, coalesce(c.n_readings, 0) AS n_readings, c.readings_hash,
         c.baseline, c.fallback, c.peak_g, c.peak_t, c.last_t, c.return_t, c.iauc_short, c.iauc_long, c.largest_gap,
         coalesce(c.slots, 0) AS slots
  FROM meal m
  LEFT JOIN chosen c ON c.meal_id = m.id
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
