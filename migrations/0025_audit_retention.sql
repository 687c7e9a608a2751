-- Audit retention: the append-only trigger of 0022 also lets the retention job (src/privacy/retention.ts) delete
-- audit rows older than AUDIT_RETENTION_DAYS. The job names its cutoff in the transaction-local setting
-- glucose.audit_prune_before; a row goes only if it is older than that cutoff AND the cutoff lies at least 365 days
-- in the past, so no setting, typo or compromised caller can use this door to remove a recent record. UPDATE and
-- TRUNCATE still raise; a user's erasure still takes that user's rows (glucose.erasing_user), as before.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prune_before timestamptz := nullif(current_setting('glucose.audit_prune_before', true), '')::timestamptz;
BEGIN
  IF TG_OP = 'DELETE' AND OLD.subject_user_id IS NOT NULL
     AND current_setting('glucose.erasing_user', true) = OLD.subject_user_id::text THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'DELETE' AND prune_before IS NOT NULL AND prune_before <= now() - interval '365 days'
     AND OLD.at < prune_before THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'rows go only with their user''s erasure (glucose.erasing_user) or past the audit retention period (glucose.audit_prune_before, at least 365 days ago)';
END
$$;
