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
 * Gather the planner's statistics, of some tables (or indexes) or of all: the only way this
 * project runs ANALYZE, because on SQLite ANALYZE rewrites `sqlite_stat1` and so drops the
 * `noskipscan` marks, which are put back in the same transaction (so no read plans with
 * statistics that lack them). `rowsPerIndex` (SQLite, `analysis_limit`) bounds how many of an
 * index's entries ANALYZE reads to judge how selective its columns are; it still counts them
 * all, and gathers no histogram (`sqlite_stat4`).
 */
export async function analyze<D>(
  db: Kysely<D>,
  dialect: DialectName,
  tables?: string | readonly string[],
  options: { rowsPerIndex?: number } = {},
): Promise<void> {
  const list = typeof tables === 'string' ? [tables] : tables;
  const limit = dialect === 'sqlite' ? (options.rowsPerIndex ?? 0) : 0;
  const run = async (trx: Kysely<D>) => {
    if (limit > 0) await sql`pragma analysis_limit = ${sql.lit(limit)}`.execute(trx);
    try {
      if (!list) await sql`analyze`.execute(trx);
      for (const table of list ?? []) await sql`analyze ${sql.table(table)}`.execute(trx);
    } finally {
      // The limit belongs to the connection: the next ANALYZE (a migration's) reads everything.
      if (limit > 0) await sql`pragma analysis_limit = 0`.execute(trx);
    }
    if (dialect === 'sqlite') await forbidSkipScans(trx);
  };
  if (db.isTransaction) await run(db);
  else await db.transaction().execute(run);
}

/**
 * A table's statistics are taken again once it holds a fifth more rows than they counted, and
 * at least this many more: below that, plans do not depend on them.
 */
const STALE_GROWTH = 0.2;
const STALE_MIN_ROWS = 1_000;

/**
 * What a refresh reads of each index. A full ANALYZE reads every index whole while it holds the
 * only write lock (4.5 s for `membership` at a million members); a thousand entries of each
 * give the planner the selectivities it chooses indexes by, and the rest are only counted
 * (1.0 s for the same table).
 */
const REFRESH_ROWS_PER_INDEX = 1_000;

/**
 * Take again the statistics of every table that has grown well past what they counted, so the
 * planner keeps up with a database that starts empty (its migrations analyzed it then) and
 * grows by imports to millions of members. Upkeep: run after a roster import and hourly.
 * Returns the tables analyzed.
 *
 * SQLite only. PostgreSQL's autovacuum analyzes a table on its own once a tenth of it has
 * changed.
 */
export async function refreshStaleStatistics<D>(db: Kysely<D>, dialect: DialectName): Promise<string[]> {
  if (dialect !== 'sqlite') return [];
  // Tables with rowids (`wr` = 0): a table WITHOUT ROWID has no largest rowid to read.
  const tables = (
    await sql<{ name: string }>`select name from pragma_table_list
      where schema = 'main' and type = 'table' and wr = 0 and substr(name, 1, 7) <> 'sqlite_'
      order by name`.execute(db)
  ).rows.map((r) => r.name);
  const counted = new Map<string, number>();
  if (await hasStatTable(db)) {
    // The first number of a row is how many entries the index had (or the table's rows, for a
    // table without indexes); a partial index holds only some rows. Every table here has an
    // index on its key or none at all.
    const { rows } = await sql<{ tbl: string; n: number }>`
      select s.tbl, max(cast(s.stat as integer)) as n from sqlite_stat1 s
      where s.idx is null
        or exists (select 1 from pragma_index_list(s.tbl) i where i.name = s.idx and i.partial = 0)
      group by s.tbl`.execute(db);
    for (const r of rows) counted.set(r.tbl, Number(r.n));
  }
  const stale: string[] = [];
  for (const table of tables) {
    const then = counted.get(table) ?? 0;
    const grown = (now: number) => now - then >= Math.max(STALE_MIN_ROWS, then * STALE_GROWTH);
    // The largest rowid bounds the rows from above in one B-tree descent; only a table it
    // says may have grown is counted, since a table that deletes rows (a queue, a sequence)
    // keeps its rowids climbing while its rows do not.
    const top = await sql<{ n: number | null }>`select max(rowid) as n from ${sql.table(table)}`.execute(db);
    if (!grown(Number(top.rows[0]?.n ?? 0))) continue;
    const all = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    if (grown(Number(all.rows[0]?.n ?? 0))) stale.push(table);
  }
  // One index per transaction: even limited, ANALYZE counts an index's entries (0.1–0.2 s for
  // one of `membership`'s at a million members), and writers wait for the lock only that long.
  for (const table of stale) {
    const { rows } = await sql<{ name: string }>`select name from pragma_index_list(${table})`.execute(db);
    const targets = rows.length > 0 ? rows.map((r) => r.name).sort() : [table];
    for (const target of targets) await analyze(db, dialect, target, { rowsPerIndex: REFRESH_ROWS_PER_INDEX });
  }
  return stale;
}

async function hasStatTable<D>(db: Kysely<D>): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from sqlite_schema where type = 'table' and name = 'sqlite_stat1'`.execute(db);
  return Boolean(rows[0]?.n);
}

/**
 * Mark the indexes of `NO_SKIP_SCAN_INDEXES` in `sqlite_stat1` (SQLite only), then have the
 * connection load the statistics again. An index with no row (a table analyzed while empty,
 * or never) needs no mark: without statistics SQLite never plans a skip-scan.
 */
export async function forbidSkipScans<D>(db: Kysely<D>): Promise<void> {
  if (!(await hasStatTable(db))) return;
  await sql`update sqlite_stat1 set stat = stat || ' noskipscan'
    where idx in (${sql.join(NO_SKIP_SCAN_INDEXES)}) and ' ' || stat || ' ' not like '% noskipscan %'`.execute(db);
  // The writing connection reloads here; the driver reopens the reading one (sqlite-driver.ts).
  await sql`analyze sqlite_schema`.execute(db);
}
