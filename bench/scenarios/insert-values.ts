// (c) Multi-row INSERT ... VALUES ... ON CONFLICT DO NOTHING, 1000 rows per statement: what Prisma's
// `createMany({ skipDuplicates: true })` and most ORMs' bulk inserts send. Statements run one after another on one
// connection, like an ORM loop awaiting each call. 1000 rows x 6 columns = 6000 parameters, under the 65535 limit.
import type { Sql } from '../../src/db/connect.js'
import { insertRows, type InsertRow, type SyntheticReading } from '../lib/readings.js'
import type { IngestPath } from '../lib/rounds.js'
import { createUsers } from '../lib/users.js'
import type { Workload } from '../lib/workload.js'

export const ROWS_PER_STATEMENT = 1000
const COLUMNS = ['time', 'user_id', 'source', 'value', 'trend', 'trend_rate'] as const

async function insertAll(sql: Sql, statements: readonly InsertRow[][]): Promise<void> {
  for (const rows of statements) {
    await sql`INSERT INTO glucose_readings ${sql(rows, ...COLUMNS)} ON CONFLICT DO NOTHING`
  }
}

function split(rows: InsertRow[]): InsertRow[][] {
  const out: InsertRow[][] = []
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) out.push(rows.slice(i, i + ROWS_PER_STATEMENT))
  return out
}

export async function prepareInsertValues(
  sql: Sql,
  workload: Workload,
  userIds: readonly string[],
  warmup: { userId: string; batch: SyntheticReading[] },
): Promise<IngestPath & { rowsPerStatement: number }> {
  await createUsers(sql, [...userIds, warmup.userId])
  await insertAll(sql, split(insertRows(warmup.batch, warmup.userId)))
  // Row objects are built before the clock starts (an ORM already holds them); parameter encoding is timed.
  const statements = workload.batches.map((batch, i) => split(insertRows(batch, userIds[i]!)))
  return {
    name: 'insertValues',
    rowsPerStatement: ROWS_PER_STATEMENT,
    run: (batches) => insertAll(sql, batches.flatMap((i) => statements[i]!)),
  }
}
