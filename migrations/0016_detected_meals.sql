-- Detected meals: glucose rises that no logged meal explains, found by src/analytics/detect-meals.ts (definitions and
-- sources in sql/detect-meals.sql) so a client can ask "did you eat around 13:10?".
-- status: pending (ask the user), confirmed (the user said yes: meal_id is the meal created with source 'detected'),
--   dismissed (the user said no), explained (a logged meal near the onset turned up later: meal_id is that meal).
-- Re-detection over a span updates pending events in place (their ids stay valid for a client that is asking) and
-- never re-creates an event the user already answered; see reconcile in src/analytics/detect-meals.ts.
CREATE TABLE detected_meals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  onset_at timestamptz NOT NULL,     -- where the rise starts: the estimated start of eating plus absorption delay
  peak_at timestamptz NOT NULL,
  onset_mg_dl real NOT NULL,         -- smoothed glucose at the onset
  peak_mg_dl real NOT NULL,          -- smoothed glucose at the peak
  rise_mg_dl real NOT NULL,          -- peak − onset
  max_rate_mg_dl_min real NOT NULL,  -- steepest smoothed rate of the rise
  confidence real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
  series_source reading_source NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'dismissed', 'explained')),
  meal_id uuid REFERENCES meals (id) ON DELETE SET NULL,
  detected_at timestamptz NOT NULL DEFAULT now(),
  answered_at timestamptz
);
CREATE INDEX detected_meals_user_onset ON detected_meals (user_id, onset_at);
