-- The Nightscout-compatible upload API (src/nightscout-upload/): one upload site per user, and the readings it
-- receives kept as their own source.
--
-- Why a source of its own rather than 'NIGHTSCOUT' (which the pull client of a user's Nightscout site writes): a user
-- may both pull from a Nightscout site and point an uploader at us; revoking the pulled provider with
-- deleteReadings must not delete what the uploader sent (src/providers/consents.ts deletes by source); the upload
-- API's GET /entries must show exactly what uploaders sent, because they read it as their cursor (an uploader asks
-- for the newest entry and sends only newer readings); and the series rule keeps the two copies of one sensor apart
-- instead of letting them overwrite each other's values.
--
-- Not added to series_source_priority() (migrations/0012): all migrations of a run share one transaction, and
-- PostgreSQL refuses to use an enum value in the transaction that added it. The new source is absent from that
-- array, so it loses ties on reading count to every listed source (it is an uploader's copy, like NIGHTSCOUT).
ALTER TYPE reading_source ADD VALUE IF NOT EXISTS 'NIGHTSCOUT_UPLOAD';

CREATE TABLE nightscout_upload_sites (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  -- Public, random, part of the base URL (/ns/<site_id>): names the site without revealing the user id.
  site_id text NOT NULL UNIQUE CHECK (site_id ~ '^[0-9a-f]{24}$'),
  -- SHA-256 of the lower-case SHA-1 hex of the upload secret. Never the secret; and not its bare SHA-1 either,
  -- since that is what clients send in `api-secret` and would let a reader of this table upload. Unique: uploaders
  -- that drop the site path (nightscout-librelink-up) are matched by this hash alone.
  secret_hash bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  secret_rotated_at timestamptz NOT NULL DEFAULT now(),
  last_upload_at timestamptz,
  last_device text,    -- the `device` of the newest entry last uploaded, shown by GET /entries
  last_upload jsonb    -- counts and the first rejected entries (index, field, message) of the last POST
);
