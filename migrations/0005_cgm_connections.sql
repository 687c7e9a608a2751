-- A user's link to a CGM provider. Filled by the providers and sync issues; credentials are ciphertext only
-- (encrypted by the service before they reach the database) and no route ever selects them.
CREATE TABLE cgm_connections (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider text NOT NULL,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'active', 'reauth_required', 'disconnected', 'error')),
  region text,
  credentials_encrypted bytea,
  sync_cursor jsonb NOT NULL DEFAULT '{}',
  last_reading_at timestamptz,
  last_sync_at timestamptz,
  last_success_at timestamptz,
  last_error text,
  consecutive_failures integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cgm_connections_user ON cgm_connections (user_id);
