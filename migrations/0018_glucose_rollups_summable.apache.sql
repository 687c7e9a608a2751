-- Rollups with enough to sum (issue 5, "Aggregates for analysts"); the analyst role on them is 0019.
-- Apache edition: glucose_hourly / glucose_daily are plain views computed on read, with the same names and columns
-- as the continuous aggregates of 0018_glucose_rollups_summable.full.sql. The per-reading definitions the rollups call
-- are migrations/0015_glucose_band_and_risk.sql.
--
-- Why per (user, source, bucket): two sources covering the same time (a Dexcom API series and a Nightscout upload
-- of the same sensor) are both stored. Summing them would double-count every reading, so the rollups keep sources
-- apart and a reader applies the one-series rule of sql/glucose-report.sql (most readings in the period, ties by
-- series_source_priority()) by summing the rows of the chosen source only.
-- Summable columns: readings, sum_mg_dl, sum_sq_mg_dl (exact integers), the five band counts, slots_5min (distinct
-- UTC 5-minute clock slots holding a reading, which nest in hours and days) and the two Kovatchev risk sums.
-- min/max combine with min()/max(); mean_mg_dl is kept for earlier readers (per source now) and does not sum.
-- Days are UTC days (time_bucket('1 day')); local days need the hourly rows or raw readings.

DROP VIEW glucose_daily;
DROP VIEW glucose_hourly;

CREATE VIEW glucose_hourly AS
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
GROUP BY user_id, source, time_bucket(INTERVAL '1 hour', time);

-- Days from hours (as the full edition's hierarchical aggregate does): every column sums or combines exactly.
CREATE VIEW glucose_daily AS
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
GROUP BY user_id, source, time_bucket(INTERVAL '1 day', bucket);
