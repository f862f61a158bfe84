import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect.ts';

/**
 * Member search keyed by the scope (decision 0010). The open-membership search indexes of
 * migration 0008 lead with the term, so a county cadre's search for a common surname walked
 * the term's whole range in the province (hundreds of thousands of entries) to find and count
 * the county's share. These lead with the id of the membership's ancestor at the city
 * (depth 1) and county (depth 2) levels, taken from its path at a fixed place (ids are 36
 * characters, so the ancestor at depth d is `substr(org_path, 2 + 37 × d, 36)`), then the
 * term: a city's or county's hits for a term are one contiguous range. The expressions must
 * stay exactly as the scope helper writes them (`inScopeByAncestor`), literal offsets
 * included, for either engine to match query and index. Paths are rewritten on every move
 * and merge, and the indexes follow them with no code of their own.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  for (const [level, start] of [
    ['city', 39],
    ['county', 76],
  ] as const) {
    const key = sql.raw(`substr(org_path, ${start}, 36)`);
    await sql`create index ${sql.raw(`membership_open_${level}_initials`)} on membership
      (${key}, name_initials, name, person_id, status) where ended_on is null`.execute(db);
    await sql`create index ${sql.raw(`membership_open_${level}_name`)} on membership
      (${key}, name, person_id, status) where ended_on is null`.execute(db);
  }
  // Statistics on the new expressions, so both planners see how narrow a county's range is.
  await sql`analyze membership`.execute(db);
}
