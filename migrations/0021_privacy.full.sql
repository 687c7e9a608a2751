-- Data retention (issue 6, privacy): a per-user retention period, and the global period (RETENTION_DAYS) as
-- TimescaleDB retention policies. Full edition; 0021_privacy.apache.sql has the same column and function, where
-- the function leaves chunk dropping to the pg-boss retention job (src/privacy/retention.ts).
-- NOT RUN on the development machines (Apache build only, no Docker): written against the TimescaleDB docs
-- (add_retention_policy / remove_retention_policy, timescaledb_information.jobs and .continuous_aggregates, ≥ 2.13).

-- Days of health data (readings, meals and what derives from them, detected meals, alerts) to keep for this user;
-- NULL keeps it as long as the global period does (RETENTION_DAYS, unset = forever). 1 day to 100 years.
ALTER TABLE users ADD COLUMN retention_days integer CHECK (retention_days BETWEEN 1 AND 36500);
-- The retention job visits only the users who set a period.
CREATE INDEX users_retention_days ON users (id) WHERE retention_days IS NOT NULL;

-- Makes the retention policies match the global period: one on the readings hypertable and one on each rollup
-- (glucose_hourly, glucose_daily; migrations/0018), because a continuous aggregate keeps its materialized rows
-- after the raw chunks are dropped, and per-user hourly sums are health data too. days NULL removes them.
-- Why a function and not a fixed policy here: the period is configuration (RETENTION_DAYS), so the retention job
-- (src/privacy/retention.ts) calls this on every run; it changes nothing when the policies already match, so the
-- policies' own schedules are not reset every hour. Policies drop whole chunks (7-day chunks for readings), so
-- the job also deletes the rows older than the period in the one chunk that straddles it.
-- Returns 'policy': TimescaleDB's scheduler drops old chunks, the job need not.
CREATE FUNCTION apply_glucose_retention_policies(days integer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  relation text;
  target_schema name;
  target_table name;
  wanted interval := make_interval(days => days);
  current interval;
BEGIN
  FOREACH relation IN ARRAY ARRAY['glucose_readings', 'glucose_hourly', 'glucose_daily'] LOOP
    -- The policy of a continuous aggregate is registered on its materialization hypertable.
    SELECT materialization_hypertable_schema, materialization_hypertable_name INTO target_schema, target_table
      FROM timescaledb_information.continuous_aggregates WHERE view_schema = 'public' AND view_name = relation;
    IF NOT FOUND THEN
      target_schema := 'public';
      target_table := relation;
    END IF;
    SELECT (config ->> 'drop_after')::interval INTO current
      FROM timescaledb_information.jobs
      WHERE proc_name = 'policy_retention' AND hypertable_schema = target_schema AND hypertable_name = target_table;
    CONTINUE WHEN current IS NOT DISTINCT FROM (CASE WHEN days IS NULL THEN NULL ELSE wanted END);
    PERFORM remove_retention_policy(relation::regclass, if_exists => true);
    IF days IS NOT NULL THEN
      PERFORM add_retention_policy(relation::regclass, drop_after => wanted);
    END IF;
  END LOOP;
  RETURN 'policy';
END $$;
