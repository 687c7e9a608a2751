-- TimescaleDB provides hypertables (time-partitioned tables), time_bucket and, on the full edition, continuous
-- aggregates, compression and policies. The edition is read later with SHOW timescaledb.license.
CREATE EXTENSION IF NOT EXISTS timescaledb;
