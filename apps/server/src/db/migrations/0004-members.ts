import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.ts';

/**
 * Member numbers: one counter row per year. A registration takes the next value with one
 * `UPDATE … RETURNING` inside its transaction, so two concurrent registrations can never
 * draw the same number (the row lock on PostgreSQL, the single writer on SQLite), and a bulk
 * import takes a whole range in one statement. See `members.policy.ts` for the format.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('member_number_sequence')
    .addColumn('year', 'integer', (c) => c.primaryKey())
    .addColumn('last_value', 'integer', (c) => c.notNull())
    .execute();
}
