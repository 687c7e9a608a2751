-- Rollups with enough to sum (issue 5, "Aggregates for analysts"); the analyst role on them is 0019.
-- Full edition: glucose_hourly / glucose_daily become continuous aggregates (real-time, with refresh policies)
-- with the columns below; 0018_glucose_rollups_summable.apache.sql creates the same names and columns as plain views.
-- The per-reading definitions the rollups call are migrations/0015_glucose_band_and_risk.sql.
-- NOT RUN on the development machines (Apache build only, no Docker): written against the TimescaleDB docs
-- (≥ 2.13: finalized caggs accept FILTER and DISTINCT aggregates since 2.7, caggs on caggs since 2.9).
--
-- Why per (user, source, bucket): two sources covering the same time (a Dexcom API series and a Nightscout upload
-- of the same sensor) are both stored. Summing them would double-count every reading, so the rollups keep sources
-- apart and a reader applies the one-series rule of sql/glucose-report.sql (most readings in the period, ties by
-- series_source_priority()) by summing the rows of the chosen source only.
-- Summable columns: readings, sum_mg_dl, sum_sq_mg_dl (exact integers), the five band counts, slots_5min (distinct
-- UTC 5-minute clock slots holding a reading, which nest in hours and days) and the two Kovatchev risk sums.
-- min/max combine with min()/max(); mean_mg_dl is kept for earlier readers (per source now) and does not sum.
-- Days are UTC days (time_bucket('1 day')); local days need the hourly rows or raw readings.

-- 0007's aggregates had no sums; dropping a continuous aggregate also removes its refresh policy.
DROP MATERIALIZED VIEW glucose_daily;
DROP MATERIALIZED VIEW glucose_hourly;

-- Kept simple as continuous aggregates require: time_bucket on the hypertable's time column, plain aggregates,
-- FILTER and DISTINCT, immutable functions only. WITH NO DATA: materializing here would need its own
-- transaction, and the migrator runs every file in one; the policies below fill the aggregates.
-- materialized_only = false (real-time): buckets newer than the materialized range are computed on read.
CREATE MATERIALIZED VIEW glucose_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT user_id,
       source,
       time_bucket(INTERVAL '1 hour', time) AS bucket,
       count(*) AS readings,
       avg(value)::double precision AS mean_mg_dl,
       min(value) AS min_mg_dl,
       max(value) AS max_mg_dl,
       sum(value) AS sum_mg_dl,
       sum(value::integer * value) AS sum_sq_mg_dl,
       count(*) FILTER (WHERE glucose_band(value) = 'very_low') AS readings_very_low,
       count(*) FILTER (WHERE glucose_band(value) = 'low') AS readings_low,
       count(*) FILTER (WHERE glucose_band(value) = 'in_range') AS readings_in_range,
       count(*) FILTER (WHERE glucose_band(value) = 'high') AS readings_high,
       count(*) FILTER (WHERE glucose_band(value) = 'very_high') AS readings_very_high,
       count(DISTINCT time_bucket(INTERVAL '5 minutes', time)) AS slots_5min,
       sum(glucose_risk_low(value)) AS risk_low_sum,
       sum(glucose_risk_high(value)) AS risk_high_sum
FROM glucose_readings
GROUP BY user_id, source, time_bucket(INTERVAL '1 hour', time)
WITH NO DATA;

-- Days on hours (a hierarchical continuous aggregate): refreshing a day sums 24 hourly rows instead of re-reading
-- 288 readings, and every column sums or combines exactly (no average of averages).
CREATE MATERIALIZED VIEW glucose_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT user_id,
       source,
       time_bucket(INTERVAL '1 day', bucket) AS bucket,
       sum(readings)::bigint AS readings,
       sum(sum_mg_dl)::double precision / sum(readings) AS mean_mg_dl,
       min(min_mg_dl) AS min_mg_dl,
       max(max_mg_dl) AS max_mg_dl,
       sum(sum_mg_dl)::bigint AS sum_mg_dl,
       sum(sum_sq_mg_dl)::bigint AS sum_sq_mg_dl,
       sum(readings_very_low)::bigint AS readings_very_low,
       sum(readings_low)::bigint AS readings_low,
       sum(readings_in_range)::bigint AS readings_in_range,
       sum(readings_high)::bigint AS readings_high,
       sum(readings_very_high)::bigint AS readings_very_high,
       sum(slots_5min)::bigint AS slots_5min,
       sum(risk_low_sum) AS risk_low_sum,
       sum(risk_high_sum) AS risk_high_sum
FROM glucose_hourly
GROUP BY user_id, source, time_bucket(INTERVAL '1 day', bucket)
WITH NO DATA;

-- start_offset => NULL: each run refreshes every invalidated range back to the oldest reading, not only the last
-- few days. Providers revise values and CSV imports backfill months; a fixed window would leave those buckets
-- stale for good, and the report (which sums hourly rows for long spans) would then disagree with the raw
-- readings. A run only re-materializes invalidated buckets, so this costs little once the first run (which
-- fills the history, as WITH NO DATA left it empty) is done. Backfill shows in the rollups within one
-- schedule_interval; until then real-time aggregation covers only buckets after the materialized range.
-- Adding a policy only inserts a job row, so it runs inside the migrator's transaction (a refresh would not).
SELECT add_continuous_aggregate_policy('glucose_hourly',
  start_offset => NULL, end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes');
SELECT add_continuous_aggregate_policy('glucose_daily',
  start_offset => NULL, end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');
