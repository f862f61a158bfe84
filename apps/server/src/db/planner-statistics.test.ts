import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './database.ts';
import { sqliteEachRow } from './dialect.ts';
import { analyze, refreshStaleStatistics } from './planner-statistics.ts';

/**
 * The upkeep that keeps SQLite's planner statistics in step with tables that grow: which
 * tables it takes again (and which it leaves), what it writes, and that the connection is
 * left as it was found. On a file, as the platform runs (the reading connection is reopened
 * after an ANALYZE).
 */

interface T {
  search: { city_key: string; name: string; person_id: number };
  queue: { id: number; body: string };
}

let dir: string;
let database: Database;
let db: Kysely<T>;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-stats-'));
  database = await openDatabase({ kind: 'sqlite', file: path.join(dir, 'stats.sqlite') });
  db = database.db as unknown as Kysely<T>;
  // A city-keyed search index, one of those that must never be skip-scanned.
  await sql`create table search (city_key text not null, name text not null, person_id integer not null)`.execute(db);
  await sql`create index membership_open_city_name on search (city_key, name, person_id)`.execute(db);
  await sql`create table queue (id integer primary key, body text not null)`.execute(db);
  // As a fresh installation's migrations leave them: analyzed while empty.
  await analyze(db, 'sqlite');
});
afterEach(async () => {
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let people = 0;
async function addPeople(n: number): Promise<void> {
  const rows = Array.from({ length: n }, () => {
    const i = people++;
    return [`city ${i % 3}`, `name ${i}`, i];
  });
  await db.transaction().execute((trx) => trx.executeQuery(sqliteEachRow('insert into search values (?, ?, ?)', rows)));
}

const stat = async (idx: string) =>
  (await sql<{ stat: string }>`select stat from sqlite_stat1 where idx = ${idx}`.execute(db)).rows[0]?.stat;
const plan = async () =>
  (
    await sql<{ detail: string }>`explain query plan select person_id from search where name = 'name 7'`.execute(db)
  ).rows
    .map((r) => r.detail)
    .join('; ');

describe('refreshStaleStatistics (SQLite)', () => {
  it('takes again the statistics of a table grown by a fifth and a thousand rows, marks and all, and of no other', async () => {
    await addPeople(500);
    expect(await refreshStaleStatistics(db, 'sqlite')).toEqual([]);
    expect(await stat('membership_open_city_name')).toBeUndefined();

    await addPeople(2_500);
    expect(await refreshStaleStatistics(db, 'sqlite')).toEqual(['search']);
    const taken = await stat('membership_open_city_name');
    expect(taken).toMatch(/^3000 \d+ 1 1 noskipscan$/);
    expect(await plan()).not.toContain('ANY(');
    // The read limit was the refresh's own: the next ANALYZE (a migration's) reads everything.
    expect((await sql<{ analysis_limit: number }>`pragma analysis_limit`.execute(db)).rows[0]?.analysis_limit).toBe(0);
    expect(await refreshStaleStatistics(db, 'sqlite')).toEqual([]);

    // 3,000 → 3,400 is under a fifth; 4,400 is past both bounds.
    await addPeople(400);
    expect(await refreshStaleStatistics(db, 'sqlite')).toEqual([]);
    expect(await stat('membership_open_city_name')).toBe(taken);
    await addPeople(1_000);
    expect(await refreshStaleStatistics(db, 'sqlite')).toEqual(['search']);
    expect(await stat('membership_open_city_name')).toMatch(/^4400 \d+ 1 1 noskipscan$/);
  });

  it('counts a table whose rowids climb past its rows (a queue) before calling it stale', async () => {
    await db.transaction().execute((trx) =>
      trx.executeQuery(
        sqliteEachRow(
          'insert into queue (body) values (?)',
          Array.from({ length: 3_000 }, (_, i) => [`message ${i}`]),
        ),
      ),
    );
    // Sent and removed, but for the last ten: the largest rowid is 3,000, the rows are 10.
    await sql`delete from queue where id <= 2990`.execute(db);
    expect(await refreshStaleStatistics(db, 'sqlite')).toEqual([]);
  });

  it('passes over a table without rowids, which has no largest rowid to read', async () => {
    await sql`create table pair (a text not null, b text not null, primary key (a, b)) without rowid`.execute(db);
    await addPeople(3_000);
    expect(await refreshStaleStatistics(db, 'sqlite')).toEqual(['search']);
  });

  it('leaves PostgreSQL to its autovacuum', async () => {
    await addPeople(3_000);
    expect(await refreshStaleStatistics(db, 'postgres')).toEqual([]);
    expect(await stat('membership_open_city_name')).toBeUndefined();
  });
});
