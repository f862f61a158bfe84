import type { Kysely } from 'kysely';
import { rebuildStatCounters, statDay } from '../../modules/stats/stats.counters.ts';
import { columnTypes, type DialectName } from '../dialect.ts';
import type { DB } from '../schema.ts';

/**
 * Subtree counters (decision 0009): `org_stat` holds per organization and key a value that
 * covers the whole subtree, keyed by organization id (not path) so a move rewrites no
 * counter rows below the node it moves. `org_stat_as_of` is the one date the age bands are
 * counted as of; the index on birth dates finds the members whose band changes as days pass.
 * A database with rows already in it gets its counters recounted here, as of today.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('org_stat')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('org_stat_pk', ['org_id', 'key'])
    .execute();
  await db.schema
    .createTable('org_stat_as_of')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('as_of', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('person_birth_date').on('person').columns(['birth_date']).execute();
  const today = statDay(new Date());
  const q = db as unknown as Kysely<DB>;
  await q.insertInto('org_stat_as_of').values({ id: 1, as_of: today }).execute();
  await rebuildStatCounters(q, dialect, today);
}
