import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.ts';
import { forbidSkipScans } from '../planner-statistics.ts';

/**
 * On SQLite, the search indexes that lead with a column of few values (the initials, and the
 * city and county ids of migration 0020) are marked `noskipscan` in databases already
 * analyzed (a benchmark federation, or one analyzed by hand), so a province's search of a
 * common surname reads the name index in order instead of skip-scanning a city index
 * (decision 0010). Every later ANALYZE marks them again (`planner-statistics.ts`).
 * PostgreSQL has no such plan.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'sqlite') await forbidSkipScans(db);
}
