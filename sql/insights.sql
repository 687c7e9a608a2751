-- insights.sql: every meal of one user eaten in [from, to) with its stored glucose response and carbohydrate, the
-- one query behind GET /api/v1/glucose/insights (the statistics are in src/analytics/insights.ts, which refreshes
-- stale responses first). $1 uuid user, $2 / $3 timestamptz eaten_at range [from, to).
-- - food: food_key(name) (migrations/0013), the one definition of "the same food"; a meal is one food, named by
--   the meal's name. Items are not foods of their own: a meal's one glucose curve cannot be split between them.
-- - carbs_g: the sum of the meal's items' carbs_g; null when no item states carbohydrate (unknown is not zero).
-- - month: calendar month of eaten_at in the user's time zone, for trends.
SELECT m.id, food_key(m.name) AS food, m.name, m.eaten_at,
       to_char(m.eaten_at AT TIME ZONE u.timezone, 'YYYY-MM') AS month,
       r.iauc_2h, r.score, coalesce(r.flags, '{}') AS flags, r.no_response_reason,
       (SELECT sum(i.carbs_g)::float8 FROM meal_items i WHERE i.meal_id = m.id) AS carbs_g
FROM meals m
JOIN users u ON u.id = m.user_id
LEFT JOIN meal_glucose_responses r ON r.meal_id = m.id
WHERE m.user_id = $1::uuid AND m.eaten_at >= $2::timestamptz AND m.eaten_at < $3::timestamptz
ORDER BY m.eaten_at
