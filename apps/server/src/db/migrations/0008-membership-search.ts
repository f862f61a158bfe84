import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect.ts';
import { analyze } from '../planner-statistics.ts';

/**
 * Member search in scope as one index range (decision 0010). The name lives on `person` and
 * the scope on `membership`, so a name search joined the two row by row and counted every
 * hit in the province before it could answer a county cadre (hundreds of milliseconds at
 * 5 million members). The person's name and pinyin initials are copied onto every
 * membership (the repository keeps them in step when a name changes), and two partial
 * indexes over open memberships hold the search key, then the order's tie-breaker, then the
 * path and status: the first page is read in index order while the scope and status are
 * checked inside the index, and a capped count never leaves it.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  // Bytewise comparison on both engines, so a prefix is a range (as migration 0007 set for person).
  const text = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
  await db.schema
    .alterTable('membership')
    .addColumn('name', text, (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('membership')
    .addColumn('name_initials', text, (c) => c.notNull().defaultTo(''))
    .execute();
  await sql`update membership set name = p.name, name_initials = p.name_initials
    from person p where p.id = membership.person_id`.execute(db);
  const open = sql.ref('ended_on');
  await db.schema
    .createIndex('membership_open_name')
    .on('membership')
    .columns(['name', 'person_id', 'org_path', 'status'])
    .where(open, 'is', null)
    .execute();
  await db.schema
    .createIndex('membership_open_initials')
    .on('membership')
    .columns(['name_initials', 'name', 'person_id', 'org_path', 'status'])
    .where(open, 'is', null)
    .execute();
  // Fresh statistics, so both planners see how selective the new indexes are.
  await analyze(db, dialect, 'membership');
}
