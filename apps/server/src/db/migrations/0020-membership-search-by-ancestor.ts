import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect.ts';
import { analyze } from '../planner-statistics.ts';

/**
 * Member search keyed by the scope (decision 0010). The open-membership search indexes of
 * migration 0008 lead with the term, so a county cadre's search for a common surname walked
 * the term's whole range in the province (hundreds of thousands of entries) to find and count
 * the county's share. These lead with the id of the membership's ancestor at the city
 * (depth 1) and county (depth 2) levels, then the term: a city's or county's hits for a term
 * are one contiguous range.
 *
 * The ancestor ids are generated columns over the path (ids are 36 characters, so the
 * ancestor at depth d sits at `substr(org_path, 2 + 37 × d, 36)`), so moves and merges, which
 * rewrite `org_path`, keep them true with no code of their own. Columns rather than indexes on
 * the expression: PostgreSQL answers a count from an index alone only when every column the
 * query names is in it, and an expression index holds the substring, not `org_path`. SQLite
 * adds a generated column only as VIRTUAL (computed on read, stored only in the indexes);
 * PostgreSQL's are STORED.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const kind = sql.raw(dialect === 'postgres' ? 'stored' : 'virtual');
  for (const [level, start] of [
    ['city', 39],
    ['county', 76],
  ] as const) {
    const column = sql.raw(`${level}_key`);
    await sql`alter table membership add column ${column} text
      generated always as (substr(org_path, ${sql.raw(String(start))}, 36)) ${kind}`.execute(db);
    await sql`create index ${sql.raw(`membership_open_${level}_initials`)} on membership
      (${column}, name_initials, name, person_id, status) where ended_on is null`.execute(db);
    await sql`create index ${sql.raw(`membership_open_${level}_name`)} on membership
      (${column}, name, person_id, status) where ended_on is null`.execute(db);
  }
  // Statistics on the new columns, so both planners see how narrow a county's range is.
  await analyze(db, dialect, 'membership');
}
