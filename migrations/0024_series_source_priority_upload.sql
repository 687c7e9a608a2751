-- Nightscout-compatible uploads (0014) added the reading source NIGHTSCOUT_UPLOAD without a place in
-- series_source_priority(): SQL's array_position gave it NULL (after every other source) while the Node
-- reference's indexOf gave -1 (before every other), so the two disagreed on a tie. An uploader's copy ranks with
-- the Nightscout site's copy, after the providers' own APIs. test/db/source-priority.test.ts checks that every
-- reading_source has a place, so the next new source cannot be forgotten.
--
-- A fresh database runs 0014's ALTER TYPE ... ADD VALUE and this file in one transaction, where PostgreSQL refuses
-- to use the new value ("unsafe use of new value"). So the body is a string parsed at the first call, not now.
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION series_source_priority() RETURNS reading_source[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ARRAY['DEXCOM', 'LIBRE', 'LEVELS', 'NIGHTSCOUT', 'NIGHTSCOUT_UPLOAD', 'IMPORT', 'MANUAL']::reading_source[] $$;
SET LOCAL check_function_bodies = on;
