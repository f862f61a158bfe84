import { type Kysely, sql } from 'kysely';
import { rebuildStatCounters, statDay } from '../../modules/stats/stats.counters.ts';
import type { DialectName } from '../dialect.ts';
import type { DB } from '../schema.ts';

/**
 * 入会率 counts only the active members of unions that cover a work unit (decision 0009): a
 * new counter, recounted here from the rows of a database that already has members. An empty
 * one has nothing to count.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const q = db as unknown as Kysely<DB>;
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from membership`.execute(q);
  if (Number(rows[0]?.n ?? 0) === 0) return;
  await rebuildStatCounters(q, dialect, statDay(new Date()));
}
