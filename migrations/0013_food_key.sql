-- The one definition of "the same food" across meals and users, used by insights (per-user) and the analysts'
-- food ranking (across users): case-folded, trimmed, inner whitespace collapsed, so "Oatmeal ", "oatmeal" and
-- "OATMEAL" group together. Deliberately no stemming or synonym lists: those would merge foods people mean to
-- keep apart ("apple" vs "apple pie") and belong in the client that knows the user's language.
CREATE FUNCTION food_key(name text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN lower(regexp_replace(btrim(name), '\s+', ' ', 'g'));
