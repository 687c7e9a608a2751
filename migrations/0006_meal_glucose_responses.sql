-- One computed glucose response per meal (definitions in sql/ and src/analytics/, filled by the analytics issue).
CREATE TABLE meal_glucose_responses (
  meal_id uuid PRIMARY KEY REFERENCES meals (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  computed_at timestamptz NOT NULL DEFAULT now(),
  baseline_mg_dl real,
  peak_mg_dl real,
  peak_rise_mg_dl real,
  time_to_peak_min real,
  return_to_baseline_min real,
  iauc_2h real,                  -- mg/dL·min
  iauc_3h real,
  coverage_pct real,
  largest_gap_min real,
  score smallint CHECK (score BETWEEN 0 AND 100),
  flags text[] NOT NULL DEFAULT '{}',
  no_response_reason text
);
CREATE INDEX meal_glucose_responses_user ON meal_glucose_responses (user_id);
