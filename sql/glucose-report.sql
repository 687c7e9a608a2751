-- glucose-report.sql: the consensus CGM report of one user over one period [from, to).
-- Loaded once and run by src/analytics/glucose-report.ts. Parameters only (never spliced text):
--   $1 uuid user, $2 / $3 timestamptz period [from, to).
-- Returns one row: the summary metrics and `agp`, a json array of time-of-day bins. With no readings, n = 0 and
-- every metric is null (percentiles and means of nothing are undefined, not 0).
--
-- Definitions (issue 5). g = a reading in mg/dL; every number is a column of `p` below, the one place to change it.
-- - series: readings from ONE source per user and period, never two (the Dexcom API and a Nightscout upload of the
--   same sensor are both stored; counting both would double-weight every reading). The same rule as
--   sql/meal-response.sql: the source with the most readings in [from, to), ties broken by the fixed priority
--   series_source_priority() (migrations/0012), i.e. DEXCOM, LIBRE, LEVELS, NIGHTSCOUT, IMPORT, MANUAL. Applied in `chosen`.
-- - mean; SD = sample standard deviation (n − 1, stddev_samp); CV % = 100 · SD / mean.
-- - GMI (%) = 3.31 + 0.02392 · mean (Bergenstal et al., Diabetes Care 2018;41:2275-80).
-- - bands, % of readings (International Consensus on Time in Range, Battelino et al., Diabetes Care 2019,
--   doi 10.2337/dci19-0028): very low g < 54, low 54 ≤ g < 70, in range 70 ≤ g ≤ 180, high 180 < g ≤ 250,
--   very high g > 250. Consensus targets (reported by the API, not applied here): TIR > 70 %, < 70 under 4 %,
--   < 54 under 1 %, > 180 under 25 %, > 250 under 5 %, CV ≤ 36 %.
-- - GRI = 3.0 · veryLow% + 2.4 · low% + 1.6 · veryHigh% + 0.8 · high%, capped at 100 (Klonoff et al., J Diabetes
--   Sci Technol 2022, online; print 2023;17:1226-42); zones A–E in 20-point steps.
-- - LBGI / HBGI (Kovatchev et al., Diabetes Care 1997;20:1655-8, the risk scale; 1998;21:1870-5, LBGI): g in mg/dL,
--   f(g) = 1.509 · (ln(g)^1.084 − 5.381), r = 10 · f², rl = r where f < 0 else 0, rh = r where f > 0 else 0;
--   LBGI = mean(rl), HBGI = mean(rh) over all readings.
-- - coverage (% of expected readings present): distinct 5-minute slots, aligned to `from`, holding at least one
--   reading of the chosen series, over the slots in the period (ceil(period / 5 min)). Sensor-minute based, so a
--   1-minute sensor tops out at 100 % and a duplicated reading is not counted twice.
-- - sufficient: the consensus asks for ≥ 70 % of readings over 14 days; false (with the reason) when coverage < 70 %
--   or the period is shorter than 14 days.
-- - AGP: 5th, 25th, 50th, 75th, 95th percentiles (percentile_cont, linear interpolation) of the readings grouped by
--   time of day in the user's time zone (users.timezone) in 15-minute bins (96 per day; a bin is named by its
--   start, minutes after local midnight). Only bins holding readings are returned. On a DST change day the local
--   clock repeats or skips an hour; readings are binned by the local clock time they were taken at.
WITH p AS (
  SELECT 5.0::float8 AS step_min,          -- expected CGM interval for coverage
         15 AS agp_bin_min,                -- AGP time-of-day bin
         70.0::float8 AS min_coverage_pct, -- consensus: ≥ 70 % of readings…
         14 AS min_days,                   -- …over 14 days
         54.0::float8 AS very_low_below, 70.0::float8 AS low_below,
         180.0::float8 AS high_above, 250.0::float8 AS very_high_above,
         series_source_priority() AS source_priority -- migrations/0012_series_source_priority.sql
),
-- The series rule (see the header): at most one source.
chosen AS (
  SELECT r.source, count(*) AS n
  FROM glucose_readings r CROSS JOIN p
  WHERE r.user_id = $1::uuid AND r.time >= $2::timestamptz AND r.time < $3::timestamptz
  GROUP BY r.source, p.source_priority
  ORDER BY count(*) DESC, array_position(p.source_priority, r.source)
  LIMIT 1
),
series AS (
  SELECT r.time, r.value::float8 AS g,
         1.509 * (ln(r.value::float8) ^ 1.084 - 5.381) AS f  -- Kovatchev's symmetrised risk scale
  FROM glucose_readings r JOIN chosen c ON c.source = r.source
  WHERE r.user_id = $1::uuid AND r.time >= $2::timestamptz AND r.time < $3::timestamptz
),
stats AS (
  SELECT count(*)::int AS n, avg(s.g) AS mean, stddev_samp(s.g) AS sd,
         100::float8 * count(*) FILTER (WHERE s.g < p.very_low_below) / nullif(count(*), 0) AS very_low_pct,
         100::float8 * count(*) FILTER (WHERE s.g >= p.very_low_below AND s.g < p.low_below) / nullif(count(*), 0) AS low_pct,
         100::float8 * count(*) FILTER (WHERE s.g >= p.low_below AND s.g <= p.high_above) / nullif(count(*), 0) AS in_range_pct,
         100::float8 * count(*) FILTER (WHERE s.g > p.high_above AND s.g <= p.very_high_above) / nullif(count(*), 0) AS high_pct,
         100::float8 * count(*) FILTER (WHERE s.g > p.very_high_above) / nullif(count(*), 0) AS very_high_pct,
         avg(CASE WHEN s.f < 0 THEN 10 * s.f ^ 2 ELSE 0 END) AS lbgi,
         avg(CASE WHEN s.f > 0 THEN 10 * s.f ^ 2 ELSE 0 END) AS hbgi,
         count(DISTINCT floor(extract(epoch FROM s.time - $2::timestamptz) / (60 * p.step_min)))::int AS slots
  FROM series s CROSS JOIN p  -- no GROUP BY: one row even without readings
),
agp AS (
  SELECT b.bin,
         count(*)::int AS n,
         percentile_cont(ARRAY[0.05, 0.25, 0.5, 0.75, 0.95]::float8[]) WITHIN GROUP (ORDER BY b.g) AS pct
  FROM (SELECT s.g,
               (extract(hour FROM local.t)::int * 60 + extract(minute FROM local.t)::int) / p.agp_bin_min * p.agp_bin_min AS bin
        FROM series s CROSS JOIN p
        CROSS JOIN (SELECT coalesce((SELECT u.timezone FROM users u WHERE u.id = $1::uuid), 'UTC') AS tz) z
        CROSS JOIN LATERAL (SELECT s.time AT TIME ZONE z.tz AS t) local) b
  GROUP BY b.bin
),
period AS (
  SELECT extract(epoch FROM $3::timestamptz - $2::timestamptz)::float8 / 60 AS minutes
)
SELECT st.n, (SELECT c.source FROM chosen c)::text AS source,
       st.mean, st.sd, 100 * st.sd / nullif(st.mean, 0) AS cv_pct,
       3.31 + 0.02392 * st.mean AS gmi_pct,
       st.very_low_pct, st.low_pct, st.in_range_pct, st.high_pct, st.very_high_pct,
       -- least() skips nulls: without the CASE, no readings would give 100
       CASE WHEN st.n > 0 THEN least(100, 3.0 * st.very_low_pct + 2.4 * st.low_pct + 1.6 * st.very_high_pct
                                          + 0.8 * st.high_pct) END AS gri,
       st.lbgi, st.hbgi,
       st.slots, ceil(pd.minutes / p.step_min)::int AS expected_slots,
       100 * st.slots::float8 / nullif(ceil(pd.minutes / p.step_min), 0) AS coverage_pct,
       pd.minutes / 1440 AS period_days,
       CASE WHEN pd.minutes < p.min_days * 1440
              THEN format('the period is %s days; the consensus report needs at least %s', round((pd.minutes / 1440)::numeric, 1), p.min_days)
            WHEN 100 * st.slots::float8 / nullif(ceil(pd.minutes / p.step_min), 0) < p.min_coverage_pct
              THEN format('%s %% of the expected 5-minute readings are present; the consensus report needs at least %s %%',
                          round((100 * st.slots::float8 / ceil(pd.minutes / p.step_min))::numeric, 1), p.min_coverage_pct)
       END AS insufficient_reason,
       (SELECT coalesce(json_agg(json_build_object('minuteOfDay', a.bin, 'n', a.n, 'p5', a.pct[1], 'p25', a.pct[2],
                                                   'p50', a.pct[3], 'p75', a.pct[4], 'p95', a.pct[5]) ORDER BY a.bin), '[]')
        FROM agp a) AS agp
FROM stats st CROSS JOIN p CROSS JOIN period pd
