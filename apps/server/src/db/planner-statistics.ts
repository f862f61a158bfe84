import { type Kysely, sql } from 'kysely';
import type { DialectName } from './dialect.ts';

/**
 * Indexes SQLite's planner must never skip-scan (decision 0010). These search indexes lead
 * with a column that has few values for its size: a city's or county's id (migration 0020),
 * or pinyin initials (migration 0008). With STAT4, which better-sqlite3 builds in, the planner
 * may answer a name range by skipping across every leading value's range: a province's
 * search of a common surname skipped across the city index and sorted all its hits (530–560
 * ms at a million members), and a bare name range skipped across the initials (14 ms), where
 * reading `membership_open_name` takes 1–5 ms and 0.1 ms. `noskipscan` at the end of an
 * index's `sqlite_stat1` row is SQLite's documented way to rule that plan out.
 */
export const NO_SKIP_SCAN_INDEXES = [
  'membership_open_city_name',
  'membership_open_city_initials',
  'membership_open_county_name',
  'membership_open_county_initials',
  'membership_open_initials',
] as const;

/**
 * Gather the planner's statistics, of one table or of all: the only way this project runs
 * ANALYZE, because on SQLite ANALYZE rewrites `sqlite_stat1` and so drops the `noskipscan`
 * marks, which are put back here in the same breath.
 */
export async function analyze<D>(db: Kysely<D>, dialect: DialectName, table?: string): Promise<void> {
  await (table ? sql`analyze ${sql.table(table)}` : sql`analyze`).execute(db);
  if (dialect === 'sqlite') await forbidSkipScans(db);
}

/**
 * Mark the indexes of `NO_SKIP_SCAN_INDEXES` in `sqlite_stat1` (SQLite only), then have the
 * connection load the statistics again. An index with no row (a table analyzed while empty,
 * or never) needs no mark: without statistics SQLite never plans a skip-scan.
 */
export async function forbidSkipScans<D>(db: Kysely<D>): Promise<void> {
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from sqlite_schema where type = 'table' and name = 'sqlite_stat1'`.execute(db);
  if (!rows[0]?.n) return;
  await sql`update sqlite_stat1 set stat = stat || ' noskipscan'
    where idx in (${sql.join(NO_SKIP_SCAN_INDEXES)}) and ' ' || stat || ' ' not like '% noskipscan %'`.execute(db);
  // The writing connection reloads here; the driver reopens the reading one (sqlite-driver.ts).
  await sql`analyze sqlite_schema`.execute(db);
}
