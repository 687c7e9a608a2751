-- PKCE (RFC 7636) for OAuth connects: the code_verifier of each pending authorization, kept server side until the
-- callback exchanges the code. Encrypted with CREDENTIALS_KEY (src/providers/crypto.ts, context bound to the
-- state's hash), so a copy of this table cannot complete a stolen authorization code. NULL: a flow started before
-- this migration, finished without PKCE.
ALTER TABLE oauth_states ADD COLUMN code_verifier_encrypted bytea;
