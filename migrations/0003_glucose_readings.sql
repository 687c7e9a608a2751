-- Glucose readings: the hypertable everything else reads. Rows are kept narrow (see README, bytes per reading):
-- columns are ordered widest-aligned first so PostgreSQL adds no padding, the value is whole mg/dL in a smallint
-- (CGMs report whole mg/dL; mmol/L input is converted at the boundary), and the only index is the unique one.
CREATE TYPE reading_source AS ENUM ('DEXCOM', 'LIBRE', 'LEVELS', 'NIGHTSCOUT', 'MANUAL', 'IMPORT');

-- Dexcom v3 trend names; LibreLinkUp arrows and Nightscout directions map onto these (TripleUp -> doubleUp).
CREATE TYPE glucose_trend AS ENUM (
  'doubleUp', 'singleUp', 'fortyFiveUp', 'flat', 'fortyFiveDown', 'singleDown', 'doubleDown',
  'none', 'notComputable', 'rateOutOfRange'
);

CREATE TABLE glucose_readings (
  time timestamptz NOT NULL,
  ingested_at timestamptz NOT NULL DEFAULT now(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  trend_rate real,               -- mg/dL per minute, as the provider reports it
  source reading_source NOT NULL,
  trend glucose_trend,
  value smallint NOT NULL CHECK (value BETWEEN 20 AND 600), -- mg/dL; the range is enforced in src/glucose/limits.ts too
  source_record_id text          -- provider's id (Dexcom recordId): revised values are matched by it
);

SELECT create_hypertable('glucose_readings', by_range('time', INTERVAL '7 days'), create_default_indexes => false);

-- Idempotency: one reading per user, instant and source. Re-sent readings hit this index and are skipped or
-- updated in place; two sources for the same sensor stay apart (analytics pick one series, never both).
-- It also serves every (user, time range) scan, so no separate time index is kept.
-- TimescaleDB requires the time column in any unique index on a hypertable.
CREATE UNIQUE INDEX glucose_readings_user_time_source ON glucose_readings (user_id, time DESC, source);
