-- Hourly and daily glucose rollups per user for analysts (full edition: continuous aggregates).
-- The Apache edition creates the same names and columns as plain views (0007_glucose_rollups.apache.sql).
-- materialized_only = false: the newest, not yet materialized buckets are computed on read (real-time aggregate).
CREATE MATERIALIZED VIEW glucose_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT user_id,
       time_bucket(INTERVAL '1 hour', time) AS bucket,
       count(*) AS readings,
       avg(value)::double precision AS mean_mg_dl,
       min(value) AS min_mg_dl,
       max(value) AS max_mg_dl
FROM glucose_readings
GROUP BY user_id, time_bucket(INTERVAL '1 hour', time)
WITH NO DATA;

CREATE MATERIALIZED VIEW glucose_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT user_id,
       time_bucket(INTERVAL '1 day', time) AS bucket,
       count(*) AS readings,
       avg(value)::double precision AS mean_mg_dl,
       min(value) AS min_mg_dl,
       max(value) AS max_mg_dl
FROM glucose_readings
GROUP BY user_id, time_bucket(INTERVAL '1 day', time)
WITH NO DATA;

-- Refresh the last 3 days every 30 minutes; late backfill older than that is refreshed explicitly by the sync jobs.
SELECT add_continuous_aggregate_policy('glucose_hourly',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes');
SELECT add_continuous_aggregate_policy('glucose_daily',
  start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');
