// Meals that come from a provider's events (Dexcom carbs), stored with source 'provider' and the provider's
// recordId, so a re-sync updates the same meal (unique index meals_user_source_record) and a deleted event
// deletes it.
import { transaction, type Sql } from '../db/connect.js'
import type { ProviderMeal } from '../providers/provider.js'

export async function upsertProviderMeals(sql: Sql, userId: string, meals: ProviderMeal[]): Promise<{ inserted: number; updated: number }> {
  // The same recordId twice in one statement would make ON CONFLICT touch a row twice (an error): the later wins.
  const unique = [...new Map(meals.map((m) => [m.recordId, m])).values()]
  if (unique.length === 0) return { inserted: 0, updated: 0 }
  return transaction(sql, async (tx) => {
    const changed = await tx<{ id: string; recordId: string; inserted: boolean }[]>`
      INSERT INTO meals AS m (user_id, eaten_at, name, source, source_record_id)
      SELECT ${userId}::uuid, t.eaten_at, t.name, 'provider', t.record_id
      FROM unnest(${unique.map((m) => m.eatenAt.toISOString())}::timestamptz[], ${unique.map((m) => m.name)}::text[],
                  ${unique.map((m) => m.recordId)}::text[]) AS t(eaten_at, name, record_id)
      ON CONFLICT (user_id, source, source_record_id) WHERE source_record_id IS NOT NULL DO UPDATE
        SET eaten_at = EXCLUDED.eaten_at, name = EXCLUDED.name, updated_at = now()
        WHERE (m.eaten_at, m.name) IS DISTINCT FROM (EXCLUDED.eaten_at, EXCLUDED.name)
      RETURNING m.id, m.source_record_id AS "recordId", (xmax = 0) AS inserted`
    if (changed.length > 0) {
      // The name states the grams, so a changed carb amount always comes back here and its item is rewritten.
      const carbs = new Map(unique.map((m) => [m.recordId, m.carbsG]))
      const ids = changed.map((c) => c.id)
      await tx`DELETE FROM meal_items WHERE meal_id = ANY(${ids}::uuid[])`
      await tx`
        INSERT INTO meal_items (meal_id, position, name, carbs_g)
        SELECT t.id, 0, 'Carbohydrates', t.carbs
        FROM unnest(${ids}::uuid[], ${changed.map((c) => carbs.get(c.recordId) ?? null)}::real[]) AS t(id, carbs)`
    }
    const inserted = changed.filter((c) => c.inserted).length
    return { inserted, updated: changed.length - inserted }
  })
}

export async function deleteProviderMeals(sql: Sql, userId: string, recordIds: string[]): Promise<number> {
  if (recordIds.length === 0) return 0
  const rows = await sql`
    DELETE FROM meals WHERE user_id = ${userId} AND source = 'provider' AND source_record_id = ANY(${recordIds}::text[])
    RETURNING id`
  return rows.length
}
