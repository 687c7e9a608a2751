-- Which source's series wins when two cover the same period (the Dexcom API and a Nightscout upload of the same
-- sensor are both stored; counting both would double-weight every metric). The rule, used by sql/meal-response.sql
-- and sql/glucose-report.sql: the source with the most readings in the window; ties go to the earlier source in
-- this list — a provider's own API before an uploader's copy, sparse manual values last.
CREATE FUNCTION series_source_priority() RETURNS reading_source[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['DEXCOM', 'LIBRE', 'LEVELS', 'NIGHTSCOUT', 'IMPORT', 'MANUAL']::reading_source[];
