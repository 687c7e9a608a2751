-- The read-only analyst role and its pseudonymous views over the rollups (0018) and readings (issue 5,
-- "Aggregates for analysts"); the same on both editions.
-- A NOLOGIN group role: grant it to a login (GRANT analyst TO alice). It reads only the schema `analyst`, whose
-- views (running with their owner's rights) expose a pseudonymous user key instead of the user id, and no
-- credentials, tokens, provider ids, notes or meal names (food keys only, see below).
-- Roles are cluster-wide, so another database of the same cluster may have created it already (or be creating it
-- right now: two concurrent migrations collide on the unique role name instead).
DO $$
BEGIN
  CREATE ROLE analyst NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END $$;

-- The pseudonym key: 366 random bits (three v4 UUIDs) per database, readable only by the owner.
-- user_key = sha256(key || user id): stable (rows of one person link across views and queries), not reversible,
-- and not recomputable without the key, so knowing someone's user id does not find their rows. Pseudonymous is
-- not anonymous: a person's own trace (reading times and values) can still be matched against
-- analyst.glucose_readings; grant the role to people bound by a data-use agreement, not to the public.
CREATE SCHEMA analyst_private;
CREATE TABLE analyst_private.pseudonym_key (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  key text NOT NULL
);
INSERT INTO analyst_private.pseudonym_key (key)
  VALUES (replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
CREATE FUNCTION user_pseudonym(user_id uuid, key text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN encode(sha256(convert_to(key || user_id::text, 'UTF8')), 'hex');

CREATE SCHEMA analyst;
CREATE VIEW analyst.glucose_hourly AS
SELECT user_pseudonym(h.user_id, k.key) AS user_key, h.source, h.bucket, h.readings, h.mean_mg_dl, h.min_mg_dl,
       h.max_mg_dl, h.sum_mg_dl, h.sum_sq_mg_dl, h.readings_very_low, h.readings_low, h.readings_in_range,
       h.readings_high, h.readings_very_high, h.slots_5min, h.risk_low_sum, h.risk_high_sum
FROM glucose_hourly h CROSS JOIN analyst_private.pseudonym_key k;

CREATE VIEW analyst.glucose_daily AS
SELECT user_pseudonym(d.user_id, k.key) AS user_key, d.source, d.bucket, d.readings, d.mean_mg_dl, d.min_mg_dl,
       d.max_mg_dl, d.sum_mg_dl, d.sum_sq_mg_dl, d.readings_very_low, d.readings_low, d.readings_in_range,
       d.readings_high, d.readings_very_high, d.slots_5min, d.risk_low_sum, d.risk_high_sum
FROM glucose_daily d CROSS JOIN analyst_private.pseudonym_key k;

-- Readings for what does not sum (percentiles, the AGP), with the user's local clock time for time-of-day work.
-- No provider record id, trend or ingest time.
CREATE VIEW analyst.glucose_readings AS
SELECT user_pseudonym(r.user_id, k.key) AS user_key, r.source, r.time,
       r.time AT TIME ZONE u.timezone AS local_time, r.value AS value_mg_dl
FROM glucose_readings r JOIN users u ON u.id = r.user_id CROSS JOIN analyst_private.pseudonym_key k;

-- Meal responses by food. A meal's name is free text a person typed ("dinner at Anna's"), so the food key is shown
-- only when at least 3 different people logged that food; rarer names show as NULL. No notes, no meal times.
CREATE VIEW analyst.meal_responses AS
WITH shared_foods AS (
  SELECT food_key(name) AS food FROM meals GROUP BY food_key(name) HAVING count(DISTINCT user_id) >= 3
)
SELECT user_pseudonym(m.user_id, k.key) AS user_key, f.food, g.iauc_2h, g.iauc_3h, g.score, g.peak_rise_mg_dl,
       g.no_response_reason
FROM meal_glucose_responses g
JOIN meals m ON m.id = g.meal_id
LEFT JOIN shared_foods f ON f.food = food_key(m.name)
CROSS JOIN analyst_private.pseudonym_key k;

GRANT USAGE ON SCHEMA analyst TO analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA analyst TO analyst;
