import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.ts';

/**
 * Roster import problems: each row of an import job that could not be imported, with its
 * cells exactly as read (so the error report hands them back for fixing) and every reason.
 * Written in the same transaction as the chunk the row belongs to, so a resumed job never
 * records a row twice; the primary key makes that a rule, not a hope.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('import_problem')
    .addColumn('job_id', 'text', (c) => c.notNull())
    // The row number as Excel shows it.
    .addColumn('row_number', 'integer', (c) => c.notNull())
    // JSON array of the row's cells, as text.
    .addColumn('cells', 'text', (c) => c.notNull())
    // JSON array of RosterProblem.
    .addColumn('problems', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_problem_pk', ['job_id', 'row_number'])
    .execute();
}
