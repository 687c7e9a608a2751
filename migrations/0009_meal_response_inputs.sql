-- Meal responses: which reading series a response was computed from, and a digest of its inputs.
-- series_source: the one source whose readings the response used (null when there is no response); the rule that
--   picks it is in sql/meal-response.sql.
-- input_digest: definitions version, meal time, and a count and hash of every reading (all sources) in the meal's
--   window, written by sql/meal-response.sql. A late, revised or deleted reading, a moved meal or changed
--   definitions all change it, so "stale" is decided from the data itself, not from clocks (a reading committed
--   late with an earlier ingested_at would slip past a timestamp comparison).
ALTER TABLE meal_glucose_responses
  ADD COLUMN series_source reading_source,
  ADD COLUMN input_digest text;
