-- analyst-food-ranking.sql: foods ranked by the glucose response they cause, across users.
-- For analysts (role `analyst`, schema `analyst`, see README "For analysts"). Parameter: $1 the minimum number of
-- meals with a response for a food to rank (so that one or two meals do not rank; e.g. 10).
--
-- Definitions:
-- - a food is food_key(meals.name) (migrations/0013: case-folded, trimmed, inner spaces collapsed); the analyst
--   view shows it only when at least 3 different people logged it (rarer names are free text that could identify
--   someone and come through as NULL, so they never rank);
-- - per food: users (distinct people), meals (with a computed response), the mean 2 h iAUC (mg/dL·min, ISO 26642 /
--   Wolever & Jenkins 1986, definition in sql/meal-response.sql) and mean score (0–100) over meals, and the same
--   two means over people (each person's own mean first, so one person logging a food 50 times counts once);
-- - rank: by the mean iAUC over people, lowest (gentlest response) first. Responses differ widely between people
--   (Zeevi et al., Cell 2015), which is why the per-person mean ranks and the pooled mean is shown beside it.
-- Source: analyst.meal_responses (meal_glucose_responses joined to meals).
WITH per_user AS (
  SELECT m.food, m.user_key, count(*) AS meals, sum(m.iauc_2h::float8) AS sum_iauc, sum(m.score::float8) AS sum_score,
         avg(m.iauc_2h::float8) AS user_iauc, avg(m.score::float8) AS user_score
  FROM analyst.meal_responses m
  WHERE m.food IS NOT NULL AND m.iauc_2h IS NOT NULL
  GROUP BY m.food, m.user_key
)
SELECT rank() OVER (ORDER BY avg(p.user_iauc)) AS rank,
       p.food,
       count(*)::int AS users,
       sum(p.meals)::int AS meals,
       avg(p.user_iauc) AS mean_iauc_2h_per_user,
       avg(p.user_score) AS mean_score_per_user,
       sum(p.sum_iauc) / sum(p.meals) AS mean_iauc_2h_per_meal,
       sum(p.sum_score) / sum(p.meals) AS mean_score_per_meal
FROM per_user p
GROUP BY p.food
HAVING sum(p.meals) >= $1::int
ORDER BY rank, p.food
