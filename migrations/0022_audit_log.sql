-- Audit log: who touched whose health data or credentials, when, how, and with what outcome — never the data
-- itself (no values, query strings or bodies). Written by src/plugins/audit.ts after each audited request and by the
-- sync (src/providers/sync-connection.ts) when it decrypts or replaces a connection's credentials.
--   actor_kind / actor_id: 'user' (the token's sub), 'operator' (a token with the admin scope on an admin route),
--     'upload-site' (a Nightscout upload secret: the site id), 'oauth-callback' (the provider's redirect, bound to a
--     user by its single-use state), 'system' (e.g. 'sync-worker:<host>:<pid>').
--   subject_user_id: whose data; NULL when none (operator overviews) or when the user no longer exists (the
--     DELETE /api/v1/me that erased them is recorded with NULL, and nothing else of theirs remains).
--   action: 'METHOD /route/pattern' (e.g. 'GET /api/v1/meals/:id') or a named event ('credentials.read').
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  request_id text,
  actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'operator', 'upload-site', 'oauth-callback', 'system')),
  actor_id text,
  subject_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  action text NOT NULL CHECK (length(action) <= 200),
  status smallint
);
CREATE INDEX audit_log_subject_at ON audit_log (subject_user_id, at);
CREATE INDEX audit_log_at ON audit_log (at);

-- Append-only. The service owns the table, so REVOKE cannot stop it (an owner may always re-grant itself);
-- a trigger can: every UPDATE and DELETE raises, except the deletes of a user's erasure, which cascade from
-- users and are allowed only for rows of the user named in the transaction-local setting glucose.erasing_user
-- (set by DELETE /api/v1/me: SELECT set_config('glucose.erasing_user', <user id>, true)). TRUNCATE raises too.
-- A superuser can still drop the trigger: that is an operator's act, visible in the database's own log.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.subject_user_id IS NOT NULL
     AND current_setting('glucose.erasing_user', true) = OLD.subject_user_id::text THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'rows go only with their user''s erasure (glucose.erasing_user)';
END
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
