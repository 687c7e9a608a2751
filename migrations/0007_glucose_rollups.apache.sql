-- Hourly and daily glucose rollups per user for analysts (Apache edition: plain views computed on read).
-- Same names and columns as the continuous aggregates of 0007_glucose_rollups.full.sql, so queries and tests are
-- the same on both editions; only their cost differs.
CREATE VIEW glucose_hourly AS
SELECT user_id,
       time_bucket(INTERVAL '1 hour', time) AS bucket,
       count(*) AS readings,
       avg(value)::double precision AS mean_mg_dl,
       min(value) AS min_mg_dl,
       max(value) AS max_mg_dl
FROM glucose_readings
GROUP BY user_id, time_bucket(INTERVAL '1 hour', time);

CREATE VIEW glucose_daily AS
SELECT user_id,
       time_bucket(INTERVAL '1 day', time) AS bucket,
       count(*) AS readings,
       avg(value)::double precision AS mean_mg_dl,
       min(value) AS min_mg_dl,
       max(value) AS max_mg_dl
FROM glucose_readings
GROUP BY user_id, time_bucket(INTERVAL '1 day', time);
