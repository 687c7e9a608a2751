-- A user is the subject (`sub`) of the bearer JWT; the row is created on first authenticated request.
CREATE TABLE users (
  id uuid PRIMARY KEY,
  -- IANA zone: day boundaries, meal times shown to the user, local timestamps in CSV imports.
  timezone text NOT NULL DEFAULT 'UTC',
  preferred_unit text NOT NULL DEFAULT 'mg/dL' CHECK (preferred_unit IN ('mg/dL', 'mmol/L')),
  created_at timestamptz NOT NULL DEFAULT now()
);
