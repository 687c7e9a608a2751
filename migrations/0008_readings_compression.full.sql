-- Native compression of readings older than 14 days (full edition): segmenting by user keeps one user's range
-- scans cheap and shrinks a reading from ~150 bytes to a few bytes (shared/reference/TIMESCALEDB.md).
ALTER TABLE glucose_readings SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'user_id',
  timescaledb.compress_orderby = 'time DESC'
);
SELECT add_compression_policy('glucose_readings', INTERVAL '14 days');
