import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect.ts';
import { analyze } from '../planner-statistics.ts';

/**
 * Member search by name prefix and pinyin initials is a range on the column's index
 * (members.repository.ts), which is exact only where the column compares bytewise. SQLite's
 * default BINARY does; on PostgreSQL the columns take the "C" collation, as the path columns
 * do, so `name >= '王建' and name < '王建' || U+10FFFF` is the prefix under any database
 * collation and the existing indexes (rebuilt by the type change) serve it.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`alter table person alter column name type text collate "C"`.execute(db);
  await sql`alter table person alter column name_initials type text collate "C"`.execute(db);
  // The type change drops the columns' statistics; without them the planner guesses a prefix
  // matches 0.5 % of all persons and walks a whole index instead (seconds at 5 million).
  await analyze(db, dialect, 'person');
}
