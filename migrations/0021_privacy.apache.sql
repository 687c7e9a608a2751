-- Data retention (issue 6, privacy): a per-user retention period, and the hook the retention job calls to apply the
-- global period (RETENTION_DAYS) to the hypertable. Apache edition: TimescaleDB policies are refused here
-- (shared/reference/TIMESCALEDB.md), so the function only answers 'job' and the pg-boss retention job
-- (src/privacy/retention.ts) drops whole chunks with drop_chunks(), which the Apache edition does support.
-- 0021_privacy.full.sql has the same column and the same function, managing retention policies instead.

-- Days of health data (readings, meals and what derives from them, detected meals, alerts) to keep for this user;
-- NULL keeps it as long as the global period does (RETENTION_DAYS, unset = forever). 1 day to 100 years.
ALTER TABLE users ADD COLUMN retention_days integer CHECK (retention_days BETWEEN 1 AND 36500);
-- The retention job visits only the users who set a period.
CREATE INDEX users_retention_days ON users (id) WHERE retention_days IS NOT NULL;

-- days NULL: no global period. Returns who drops old chunks: 'policy' (TimescaleDB's scheduler) or 'job' (ours).
CREATE FUNCTION apply_glucose_retention_policies(days integer) RETURNS text
  LANGUAGE sql VOLATILE
  RETURN 'job';
