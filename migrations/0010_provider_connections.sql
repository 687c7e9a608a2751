-- Connecting CGM providers: pending OAuth2 authorizations, and one connection per user and provider.

-- An OAuth2 `state` ties the provider's redirect back to the user who started it (the callback carries no bearer
-- token). Only its SHA-256 is kept, so reading this table does not let anyone complete someone else's flow; a row
-- is deleted when used (single use) and ignored once expired.
CREATE TABLE oauth_states (
  state_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider text NOT NULL,
  region text NOT NULL,
  base_url text NOT NULL, -- the region's host: the code must be exchanged where it was issued
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);

-- Reconnecting a provider replaces that connection's tokens: a second row would sync the same readings twice.
CREATE UNIQUE INDEX cgm_connections_user_provider ON cgm_connections (user_id, provider);
