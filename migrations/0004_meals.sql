-- Meal logging: a meal (when, what it was called) with its food items and their macronutrients.
CREATE TABLE meals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  eaten_at timestamptz NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  notes text CHECK (length(notes) <= 2000),
  -- manual: logged by the user; provider: carbs events from a CGM provider; detected: found in the glucose curve.
  source text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'provider', 'detected')),
  source_record_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meals_user_eaten_at ON meals (user_id, eaten_at DESC);
-- A provider's event is stored once however often it is synced.
CREATE UNIQUE INDEX meals_user_source_record ON meals (user_id, source, source_record_id)
  WHERE source_record_id IS NOT NULL;

CREATE TABLE meal_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  meal_id uuid NOT NULL REFERENCES meals (id) ON DELETE CASCADE,
  position smallint NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  grams real CHECK (grams >= 0),
  carbs_g real CHECK (carbs_g >= 0),
  protein_g real CHECK (protein_g >= 0),
  fat_g real CHECK (fat_g >= 0),
  fiber_g real CHECK (fiber_g >= 0),
  calories_kcal real CHECK (calories_kcal >= 0),
  UNIQUE (meal_id, position)
);
