-- The sync engine (src/sync/): when each connection is next due, and a log of sync runs for operators.

-- next_sync_at is the whole schedule: the scheduler enqueues connections whose time has come (oldest first, within
-- each provider's request budget) and every sync sets the next one: a cadence after a success, a backoff after a
-- failure, NULL when only the user can fix it (reauth_required) — NULL is never scheduled.
ALTER TABLE cgm_connections
  ADD COLUMN next_sync_at timestamptz,
  ADD COLUMN sync_enqueued_at timestamptz;
UPDATE cgm_connections SET next_sync_at = now()
  WHERE status IN ('active', 'error') AND credentials_encrypted IS NOT NULL;
CREATE INDEX cgm_connections_due ON cgm_connections (provider, next_sync_at) WHERE next_sync_at IS NOT NULL;

-- One row per sync that got its connection's lock (a refused one is not a run): started when the lock is held,
-- finished with its outcome. A row left unfinished is a worker that died mid-sync. Kept 7 days (src/sync/).
CREATE TABLE sync_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connection_id uuid NOT NULL REFERENCES cgm_connections (id) ON DELETE CASCADE,
  provider text NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
  worker text, -- which worker process ran a scheduled sync (host:pid/instance)
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  outcome text CHECK (outcome IN ('ok', 'rate_limited', 'unavailable', 'reauth_required', 'error', 'crashed')),
  readings_stored integer, -- inserted + updated
  error text
);
CREATE INDEX sync_runs_started_at ON sync_runs (started_at);
CREATE INDEX sync_runs_connection ON sync_runs (connection_id, started_at);
