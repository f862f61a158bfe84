import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './database.ts';
import { duringBulkWrite, sqliteEachRow } from './dialect.ts';

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
  it('checkpoints the log less often while the outermost bulk write runs, then copies it back and truncates it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-bulk-'));
    const file = path.join(dir, 'bulk.sqlite');
    const onFile = await openDatabase({ kind: 'sqlite', file });
    const fileDb = onFile.db as unknown as Kysely<T>;
    const threshold = async () =>
      Number(Object.values((await sql<object>`pragma wal_autocheckpoint`.execute(fileDb)).rows[0]!)[0]);
    try {
      await sql`create table item (id integer primary key, label text not null)`.execute(fileDb);
      expect(await threshold()).toBe(1000);
      await duringBulkWrite(fileDb as Kysely<unknown>, 'sqlite', async () => {
        expect(await threshold()).toBe(100_000);
        // A second import at the same time: the first to end leaves the threshold alone.
        await duringBulkWrite(fileDb as Kysely<unknown>, 'sqlite', async () => {
          await fileDb.insertInto('item').values({ id: 1, label: 'a' }).execute();
        });
        expect(await threshold()).toBe(100_000);
        for (let i = 2; i <= 50; i++) {
          await fileDb
            .insertInto('item')
            .values({ id: i, label: 'x'.repeat(5000) })
            .execute();
        }
        expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(50 * 4096);
      });
      expect(await threshold()).toBe(1000);
      expect(fs.statSync(`${file}-wal`).size).toBe(0);
      expect(
        await fileDb
          .selectFrom('item')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst(),
      ).toEqual({
        n: 50,
      });

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
