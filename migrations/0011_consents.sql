-- Consent to connect a CGM provider (issue 3): who agreed, to which provider, to what scope, under which version
-- of our privacy policy, and when. Rows are never updated except to mark them revoked, so the table is the
-- record of what each user agreed to and when they withdrew it.
CREATE TABLE consents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider text NOT NULL,
  scope text NOT NULL,
  policy_version text NOT NULL,
  given_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CHECK (revoked_at IS NULL OR revoked_at >= given_at)
);

-- At most one consent in force per user and provider; it is also the lookup every connect makes.
CREATE UNIQUE INDEX consents_in_force ON consents (user_id, provider) WHERE revoked_at IS NULL;
