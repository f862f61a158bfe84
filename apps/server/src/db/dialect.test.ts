import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './database.ts';
import { duringBulkWrite, sqliteEachRow } from './dialect.ts';
import { analyze } from './planner-statistics.ts';
import { ReadWriteSqliteDialect, turn } from './sqlite-driver.ts';

/**
 * The SQLite dialect's prepared-statement cache and `sqliteEachRow`, on an in-memory database
 * whatever engine the suite runs on: they exist only on SQLite.
 */

interface T {
  item: { id: number; label: string };
}

let database: Database;
let db: Kysely<T>;

beforeEach(async () => {
  database = await openDatabase({ kind: 'sqlite', file: ':memory:' });
  db = database.db as unknown as Kysely<T>;
  await sql`create table item (id integer primary key, label text not null)`.execute(db);
});
afterEach(async () => {
  await database.close();
});

const insertItem = 'insert into item (id, label) values (?, ?)';
const labels = async () => (await db.selectFrom('item').select('label').orderBy('id').execute()).map((r) => r.label);

describe('SQLite statement cache', () => {
  it('runs every row of sqliteEachRow in the transaction that executes it', async () => {
    const result = await db.transaction().execute(async (trx) =>
      trx.executeQuery(
        sqliteEachRow(insertItem, [
          [1, 'a'],
          [2, 'b'],
          [3, 'c'],
        ]),
      ),
    );
    expect(result.numAffectedRows).toBe(3n);
    expect(await labels()).toEqual(['a', 'b', 'c']);

    // A failure later in the transaction takes the rows back with it.
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.executeQuery(sqliteEachRow(insertItem, [[4, 'd']]));
        throw new Error('later step failed');
      }),
    ).rejects.toThrow('later step failed');
    // A row that breaks a constraint stops the query, and the rows before it roll back too.
    await expect(
      db.transaction().execute(async (trx) =>
        trx.executeQuery(
          sqliteEachRow(insertItem, [
            [5, 'e'],
            [1, 'duplicate'],
          ]),
        ),
      ),
    ).rejects.toThrow(/UNIQUE|PRIMARY KEY/);
    expect(await labels()).toEqual(['a', 'b', 'c']);
  });

  it('reuses statements without stale results, streams included', async () => {
    await db.insertInto('item').values({ id: 1, label: 'a' }).execute();
    expect(await labels()).toEqual(['a']);
    await db.insertInto('item').values({ id: 2, label: 'b' }).execute();
    expect(await labels()).toEqual(['a', 'b']);

    // A stream left after its first row, then the same SQL as a stream to its end and as a query.
    const query = db.selectFrom('item').select('label').orderBy('id');
    for await (const row of query.stream()) {
      expect(row.label).toBe('a');
      break;
    }
    const streamed: string[] = [];
    for await (const row of query.stream()) streamed.push(row.label);
    expect(streamed).toEqual(['a', 'b']);
    expect((await query.execute()).map((r) => r.label)).toEqual(['a', 'b']);
  });
});

describe('duringBulkWrite (SQLite)', () => {
  it("turns SQLite's own checkpoints off while bulk writes run, copies the log back on its own thread, then truncates it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-bulk-'));
    const file = path.join(dir, 'bulk.sqlite');
    const onFile = await openDatabase({ kind: 'sqlite', file });
    const fileDb = onFile.db as unknown as Kysely<T>;
    const threshold = async () =>
      Number(Object.values((await sql<object>`pragma wal_autocheckpoint`.execute(fileDb)).rows[0]!)[0]);
    const wal = () => fs.statSync(`${file}-wal`).size;
    const fill = async (from: number) => {
      for (let i = from; i < from + 50; i++) {
        await fileDb
          .insertInto('item')
          .values({ id: i, label: 'x'.repeat(5000) })
          .execute();
      }
    };
    try {
      await sql`create table item (id integer primary key, label text not null)`.execute(fileDb);
      expect(await threshold()).toBe(1000);
      await duringBulkWrite(fileDb as Kysely<unknown>, 'sqlite', async (bulk) => {
        expect(await threshold()).toBe(0);
        // A second import at the same time: the first to end leaves the threshold alone.
        await duringBulkWrite(fileDb as Kysely<unknown>, 'sqlite', async () => {
          await fileDb.insertInto('item').values({ id: 1, label: 'a' }).execute();
        });
        expect(await threshold()).toBe(0);
        await fill(2);
        const grown = wal();
        expect(grown).toBeGreaterThan(50 * 4096);
        // Under the copy's row count nothing is copied: the next rows grow the log further.
        await bulk.committed(10);
        await fill(100);
        expect(wal()).toBeGreaterThan(grown);
        // Past it the log is copied back, and the next commit starts it afresh: it stops growing.
        const before = wal();
        await bulk.committed(20_000);
        await fill(200);
        expect(wal()).toBe(before);
      });
      expect(await threshold()).toBe(1000);
      expect(wal()).toBe(0);
      expect(
        await fileDb
          .selectFrom('item')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst(),
      ).toEqual({ n: 151 });

      // A failing bulk write restores the threshold too, and fails as itself.
      await expect(
        duringBulkWrite(fileDb as Kysely<unknown>, 'sqlite', () => Promise.reject(new Error('chunk failed'))),
      ).rejects.toThrow('chunk failed');
      expect(await threshold()).toBe(1000);
      // PostgreSQL has no such threshold: the work runs as it is.
      expect(await duringBulkWrite(fileDb as Kysely<unknown>, 'postgres', async () => threshold())).toBe(1000);
    } finally {
      await onFile.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite reads beside a write transaction (a file database)', () => {
  let dir: string;
  let onFile: Database;
  let fileDb: Kysely<T>;
  const fileLabels = async () =>
    (await fileDb.selectFrom('item').select('label').orderBy('id').execute()).map((r) => r.label);

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-rw-'));
    onFile = await openDatabase({ kind: 'sqlite', file: path.join(dir, 'rw.sqlite') });
    fileDb = onFile.db as unknown as Kysely<T>;
    await sql`create table item (id integer primary key, label text not null)`.execute(fileDb);
    await fileDb.insertInto('item').values({ id: 1, label: 'committed' }).execute();
  });
  afterEach(async () => {
    await onFile.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a read during a long transaction, with the last commit, while writes wait their turn', async () => {
    const seen: string[] = [];
    let readDuring: Promise<string[]> | null = null;
    let writeDuring: Promise<unknown> | null = null;
    const rows = Array.from({ length: 300_000 }, (_, i) => [i + 2, `row ${i}`]);
    await fileDb.transaction().execute(async (trx) => {
      await trx.insertInto('item').values({ id: 0, label: 'uncommitted' }).execute();
      // What a request arriving now would do: it runs on the loop's next turn.
      setImmediate(() => {
        seen.push('request ran');
        readDuring = fileLabels();
        writeDuring = fileDb
          .insertInto('item')
          .values({ id: 1_000_000, label: 'queued write' })
          .execute()
          .then(() => seen.push('queued write done'));
      });
      // Hundreds of milliseconds of synchronous inserts: the driver hands the loop turns.
      await trx.executeQuery(sqliteEachRow(insertItem, rows));
      seen.push('transaction statements done');
    });
    seen.push('committed');
    // The read was answered inside the transaction, from the last commit.
    expect(seen.slice(0, 2)).toEqual(['request ran', 'transaction statements done']);
    expect(await readDuring).toEqual(['committed']);
    // The write waited for the commit and then went in.
    await writeDuring;
    expect(seen).toEqual(['request ran', 'transaction statements done', 'committed', 'queued write done']);
    expect(
      await fileDb
        .selectFrom('item')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirst(),
    ).toEqual({ n: 300_003 });
  });

  it('gives the writing connection back after a failed or rolled-back transaction', async () => {
    await expect(
      fileDb.transaction().execute(async (trx) => {
        await trx.insertInto('item').values({ id: 2, label: 'rolled back' }).execute();
        throw new Error('step failed');
      }),
    ).rejects.toThrow('step failed');
    await expect(
      fileDb.transaction().execute(async (trx) => {
        await trx.insertInto('item').values({ id: 1, label: 'duplicate' }).execute();
      }),
    ).rejects.toThrow(/UNIQUE|PRIMARY KEY/);
    // A savepoint rolled back keeps the rest of its transaction.
    const trx = await fileDb.startTransaction().execute();
    await trx.insertInto('item').values({ id: 3, label: 'kept' }).execute();
    const inner = await trx.savepoint('before "fail"').execute();
    await inner.insertInto('item').values({ id: 4, label: 'undone' }).execute();
    await inner.rollbackToSavepoint('before "fail"').execute();
    await trx.commit().execute();
    await fileDb.insertInto('item').values({ id: 5, label: 'after' }).execute();
    expect(await fileLabels()).toEqual(['committed', 'kept', 'after']);

    // Streams run on the writing connection and give it back, read to their end or not.
    for await (const row of fileDb.selectFrom('item').select('label').orderBy('id').stream()) {
      expect(row.label).toBe('committed');
      break;
    }
    await fileDb.insertInto('item').values({ id: 6, label: 'after stream' }).execute();
    expect((await fileLabels()).at(-1)).toBe('after stream');
  });

  it('hands the loop a turn between statements once it has waited too long', async () => {
    let ticked = false;
    await turn();
    setImmediate(() => (ticked = true));
    const started = performance.now();
    // Statements that settle at once, until well past the driver's 50 ms.
    while (performance.now() - started < 200 && !ticked) {
      await fileDb.updateTable('item').set({ label: 'again' }).where('id', '=', 1).execute();
    }
    expect(ticked).toBe(true);
  });

  it('keeps the planner off skip-scans of the ancestor-keyed search indexes, through every ANALYZE', async () => {
    // A city-keyed index (few leading values) and no index that leads with the name: with
    // statistics, SQLite answers a name by skipping across each city's range.
    await sql`create table search (city_key text not null, name text not null, person_id integer not null)`.execute(
      fileDb,
    );
    await sql`create index membership_open_city_name on search (city_key, name, person_id)`.execute(fileDb);
    await fileDb.transaction().execute(async (trx) => {
      const rows = Array.from({ length: 3_000 }, (_, i) => [`city ${i % 3}`, `name ${i}`, i]);
      await trx.executeQuery(sqliteEachRow('insert into search values (?, ?, ?)', rows));
    });
    const plan = async () =>
      (
        await sql<{ detail: string }>`explain query plan select person_id from search where name = 'name 7'`.execute(
          fileDb,
        )
      ).rows
        .map((r) => r.detail)
        .join('; ');
    const stat = async () =>
      (
        await sql<{ stat: string }>`select stat from sqlite_stat1 where idx = 'membership_open_city_name'`.execute(
          fileDb,
        )
      ).rows[0]?.stat;

    await sql`analyze`.execute(fileDb);
    expect(await plan()).toContain('ANY(city_key)');
    await analyze(fileDb, 'sqlite');
    expect(await stat()).toBe('3000 1000 1 1 noskipscan');
    expect(await plan()).not.toContain('ANY(');
    // Again, of the one table: the mark is put back, never doubled.
    await analyze(fileDb, 'sqlite', 'search');
    await analyze(fileDb, 'sqlite', 'search');
    expect(await stat()).toBe('3000 1000 1 1 noskipscan');
    expect(await plan()).not.toContain('ANY(');
  });

  it('opens the reading connection afresh once an ANALYZE commits, so reads plan with the new statistics', async () => {
    const file = path.join(dir, 'rw.sqlite');
    let opened = 0;
    const own = new Kysely<T>({
      dialect: new ReadWriteSqliteDialect(new BetterSqlite(file), () => {
        opened += 1;
        return new BetterSqlite(file, { readonly: true });
      }),
    });
    try {
      const read = async () => (await own.selectFrom('item').select('label').execute()).map((r) => r.label);
      expect(await read()).toEqual(['committed']);
      expect(opened).toBe(1);
      await own.insertInto('item').values({ id: 2, label: 'written' }).execute();
      expect(opened).toBe(1);
      // Inside a transaction the reading connection would load statistics not yet committed.
      await own.transaction().execute(async (trx) => {
        await sql`analyze`.execute(trx);
        expect(opened).toBe(1);
      });
      expect(opened).toBe(2);
      await sql`analyze item`.execute(own);
      expect(opened).toBe(3);
      expect(await read()).toEqual(['committed', 'written']);
    } finally {
      await own.destroy();
    }
  });
});
