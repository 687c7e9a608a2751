// Meal logging: a meal and its food items, always read and written within one user's scope.
import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Database, MealItemsTable } from '../db/schema.js'

export interface MealItem {
  name: string
  grams?: number | null | undefined
  carbs?: number | null | undefined
  protein?: number | null | undefined
  fat?: number | null | undefined
  fiber?: number | null | undefined
  calories?: number | null | undefined
}

export interface MealInput {
  eatenAt: string
  name: string
  notes?: string | null | undefined
  items?: MealItem[] | undefined
}

const NUTRIENTS = ['grams', 'carbs', 'protein', 'fat', 'fiber', 'calories'] as const
type Nutrient = (typeof NUTRIENTS)[number]
// API names -> columns: the columns carry their unit (g, kcal); the API documents it once in the schema.
const COLUMN: Record<Nutrient, 'grams' | 'carbs_g' | 'protein_g' | 'fat_g' | 'fiber_g' | 'calories_kcal'> = {
  grams: 'grams', carbs: 'carbs_g', protein: 'protein_g', fat: 'fat_g', fiber: 'fiber_g', calories: 'calories_kcal',
}

export interface Meal {
  id: string
  eatenAt: string
  name: string
  notes: string | null
  source: string
  items: Required<MealItem>[]
  totals: Record<Nutrient, number | null>
}

export async function createMeal(db: Kysely<Database>, userId: string, input: MealInput): Promise<Meal> {
  const id = await db.transaction().execute(async (tx) => {
    const { id } = await tx
      .insertInto('meals')
      .values({ user_id: userId, eaten_at: input.eatenAt, name: input.name, notes: input.notes ?? null })
      .returning('id')
      .executeTakeFirstOrThrow()
    await insertItems(tx, id, input.items ?? [])
    return id
  })
  return (await getMeal(db, userId, id))!
}

export async function getMeal(db: Kysely<Database>, userId: string, id: string): Promise<Meal | undefined> {
  const [meal] = await listMeals(db, userId, { ids: [id] })
  return meal
}

export async function listMeals(
  db: Kysely<Database>,
  userId: string,
  filter: { ids?: string[]; from?: string | undefined; to?: string | undefined; limit?: number },
): Promise<Meal[]> {
  let query = db.selectFrom('meals').selectAll().where('user_id', '=', userId)
  if (filter.ids) query = query.where('id', 'in', filter.ids)
  if (filter.from) query = query.where('eaten_at', '>=', new Date(filter.from))
  if (filter.to) query = query.where('eaten_at', '<', new Date(filter.to))
  const meals = await query.orderBy('eaten_at', 'desc').limit(filter.limit ?? 100).execute()
  if (meals.length === 0) return []
  const items = await db
    .selectFrom('meal_items')
    .selectAll()
    .where('meal_id', 'in', meals.map((m) => m.id))
    .orderBy('meal_id')
    .orderBy('position')
    .execute()
  return meals.map((m) => {
    const own = items.filter((i) => i.meal_id === m.id).map(toApiItem)
    return { id: m.id, eatenAt: new Date(m.eaten_at).toISOString(), name: m.name, notes: m.notes, source: m.source, items: own, totals: totals(own) }
  })
}

/** Changes the given fields; `items`, when given, replaces the whole list. Undefined when not this user's meal. */
export async function updateMeal(db: Kysely<Database>, userId: string, id: string, changes: Partial<MealInput>): Promise<Meal | undefined> {
  const found = await db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable('meals')
      .set({
        ...(changes.eatenAt !== undefined && { eaten_at: changes.eatenAt }),
        ...(changes.name !== undefined && { name: changes.name }),
        ...(changes.notes !== undefined && { notes: changes.notes }),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .returning('id')
      .executeTakeFirst()
    if (!row) return false
    if (changes.items) {
      await tx.deleteFrom('meal_items').where('meal_id', '=', id).execute()
      await insertItems(tx, id, changes.items)
    }
    return true
  })
  return found ? getMeal(db, userId, id) : undefined
}

export async function deleteMeal(db: Kysely<Database>, userId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('meals').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()
  return result.numDeletedRows > 0n
}

async function insertItems(tx: Transaction<Database>, mealId: string, items: MealItem[]) {
  if (items.length === 0) return
  await tx
    .insertInto('meal_items')
    .values(items.map((item, position) => ({
      meal_id: mealId,
      position,
      name: item.name,
      ...Object.fromEntries(NUTRIENTS.map((n) => [COLUMN[n], item[n] ?? null])),
    })))
    .execute()
}

function toApiItem(row: Selectable<MealItemsTable>): Required<MealItem> {
  return { name: row.name, ...Object.fromEntries(NUTRIENTS.map((n) => [n, row[COLUMN[n]]])) } as Required<MealItem>
}

// A total is null only when no item states that nutrient: unknown is not zero.
function totals(items: Required<MealItem>[]): Record<Nutrient, number | null> {
  return Object.fromEntries(NUTRIENTS.map((n) => {
    const known = items.map((i) => i[n]).filter((v): v is number => typeof v === 'number')
    return [n, known.length ? Math.round(known.reduce((a, b) => a + b, 0) * 10) / 10 : null]
  })) as Record<Nutrient, number | null>
}
