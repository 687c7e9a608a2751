-- Live: the append-only event log behind GET /api/v1/glucose/stream, per-user alert settings and raised alerts
-- (src/live/).

-- One row per event a user's stream shows. The id is the SSE event id: a client reconnecting with Last-Event-ID gets
-- the rows after it. Writers of one user's events take turns on an advisory lock until they commit (src/live/
-- events.ts), so within one user ids become visible in id order and "id > last seen" never skips a late commit.
-- The payload is small (a reading, a count, ids); a NOTIFY carries only '<user id>:<event id>'. Rows older than
-- 24 h are deleted by every API process's pruning timer (src/live/prune.ts); replay is bounded to 24 h anyway.
CREATE TABLE live_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  type text NOT NULL CHECK (type IN ('reading', 'meal-response', 'connection', 'alert')),
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX live_events_user_id ON live_events (user_id, id);
CREATE INDEX live_events_created_at ON live_events (created_at);

-- Thresholds in mg/dL (rates in mg/dL/min); a user without a row has the defaults of src/live/alert-rules.ts.
-- NULL turns that alert off.
CREATE TABLE alert_settings (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  urgent_low smallint CHECK (urgent_low BETWEEN 40 AND 100),
  low smallint CHECK (low BETWEEN 50 AND 150),
  high smallint CHECK (high BETWEEN 120 AND 400),
  rate real CHECK (rate > 0 AND rate <= 10),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per episode: opened by the first reading past a threshold, ended when glucose is back past it by the
-- hysteresis margin or readings stop for a while (src/live/alerts.ts). At most one open episode per user and kind,
-- enforced here so two commits evaluated at once cannot both raise the same alert.
CREATE TABLE alerts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('urgent_low', 'low', 'high', 'rising_fast', 'falling_fast')),
  threshold real NOT NULL,
  reading_time timestamptz NOT NULL, -- the reading that opened the episode
  value smallint NOT NULL, -- mg/dL
  trend_rate real, -- mg/dL/min
  last_seen_at timestamptz NOT NULL, -- newest reading still past the threshold
  ended_at timestamptz, -- reading time that ended the episode
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alerts_open_episode ON alerts (user_id, kind) WHERE ended_at IS NULL;
CREATE INDEX alerts_user ON alerts (user_id, id);

-- Webhooks: HTTPS endpoints a user registers for event types; the secret (HMAC-SHA256 key) is encrypted with the
-- credentials key. Disabled automatically after repeated failed attempts (src/live/webhooks/deliver.ts).
CREATE TABLE webhooks (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  url text NOT NULL,
  event_types text[] NOT NULL,
  secret_encrypted bytea NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  consecutive_failures integer NOT NULL DEFAULT 0,
  disabled_reason text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_user ON webhooks (user_id) WHERE enabled;

-- The outbox and delivery log: one row per event and webhook, written with the event; `payload` is a copy so a
-- retry does not depend on live_events (pruned after 24 h). attempt_codes: each attempt's HTTP status, 0 when the
-- endpoint did not answer. Finished rows are kept 7 days.
CREATE TABLE webhook_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id bigint, -- null for a test delivery
  event_type text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'queued', 'delivered', 'failed', 'skipped')),
  attempts integer NOT NULL DEFAULT 0,
  attempt_codes integer[] NOT NULL DEFAULT '{}',
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE finished_at IS NOT NULL;
