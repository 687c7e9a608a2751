// Kysely table types for the relations the typed queries touch (meals, users, connections). Kept in step with
// migrations/ by test/db/schema-types.test.ts, which compares these column lists with the migrated database.
import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string, Date | string>
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>

export interface UsersTable {
  id: string
  timezone: Generated<string>
  preferred_unit: Generated<'mg/dL' | 'mmol/L'>
  created_at: DefaultTimestamp
  /** The user's own retention period in days (migrations/0021); null: the global one. */
  retention_days: number | null
}

export interface MealsTable {
  id: Generated<string>
  user_id: string
  eaten_at: Timestamp
  name: string
  notes: string | null
  source: Generated<'manual' | 'provider' | 'detected'>
  source_record_id: string | null
  created_at: DefaultTimestamp
  updated_at: DefaultTimestamp
}

export interface MealItemsTable {
  id: Generated<string>
  meal_id: string
  position: number
  name: string
  grams: number | null
  carbs_g: number | null
  protein_g: number | null
  fat_g: number | null
  fiber_g: number | null
  calories_kcal: number | null
}

export interface Database {
  users: UsersTable
  meals: MealsTable
  meal_items: MealItemsTable
}

// Exported for the schema test: the column names each typed table must have in the database.
export const TYPED_COLUMNS: Record<keyof Database, string[]> = {
  users: ['id', 'timezone', 'preferred_unit', 'created_at', 'retention_days'],
  meals: ['id', 'user_id', 'eaten_at', 'name', 'notes', 'source', 'source_record_id', 'created_at', 'updated_at'],
  meal_items: ['id', 'meal_id', 'position', 'name', 'grams', 'carbs_g', 'protein_g', 'fat_g', 'fiber_g', 'calories_kcal'],
}
