import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type Dialect,
  type Expression,
  type Kysely,
  PostgresDialect,
  type RawBuilder,
  sql,
  type SqlBool,
  SqliteDialect,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';
import pg from 'pg';

/**
 * Every place where SQLite and PostgreSQL differ lives in this file, so migrations,
 * repositories and services are written once for both.
 */
export type DialectName = 'sqlite' | 'postgres';

/** SQLite's own threshold (WAL frames) for copying the write-ahead log back after a commit. */
const WAL_AUTOCHECKPOINT = 1_000;

/**
 * Column types that differ between the engines. Timestamps are UTC on both. Flags are
 * integers 0/1 on both (better-sqlite3 cannot bind booleans), JSON is text on both.
 * Materialized paths compare bytewise on both (SQLite's default BINARY, PostgreSQL's "C"
 * collation), so "this subtree" is an indexable range `path >= '/a/' and path < '/a0'`.
 */
export function columnTypes(name: DialectName) {
  return name === 'postgres'
    ? ({ timestamp: 'timestamptz', bigint: 'bigint', path: sql`text collate "C"` } as const)
    : ({ timestamp: 'text', bigint: 'integer', path: sql`text` } as const);
}

let pgParsersSet = false;
function setPgParsers(): void {
  if (pgParsersSet) return;
  pgParsersSet = true;
  // int8 (counts, fen amounts, sequence numbers) as JS numbers: every value we store fits in
  // 2^53, and both engines must hand services the same types.
  pg.types.setTypeParser(20, (v) => Number(v));
  // timestamptz as ISO-8601 UTC strings, the same text SQLite stores.
  pg.types.setTypeParser(1184, (v) => new Date(v).toISOString());
  pg.types.setTypeParser(1114, (v) => new Date(v + 'Z').toISOString());
  // jsonb as its text, as SQLite returns it; repositories parse where they need objects.
  pg.types.setTypeParser(3802, (v) => v);
}

/**
 * The pool clients this process holds, by server backend. Kysely hides the driver's client of
 * a transaction, and COPY FROM STDIN (the bulk path of the roster import) must run on that
 * very client; the backend's id, asked through the transaction, finds it.
 */
const pgClients = new Map<string, pg.PoolClient>();

function pgClientKey(client: pg.Client): string {
  // processID is the backend pid the server announced at connect (not in @types/pg).
  const pid = (client as unknown as { processID: number | null }).processID;
  return `${client.database ?? ''}|${client.port}|${pid}`;
}

/**
 * The pg client a PostgreSQL transaction runs on, or null when it cannot be told (a pooling
 * proxy between us and the server hides the backend's id). Only for statements the query
 * builder cannot send (COPY); the caller must not run other queries on `trx` meanwhile.
 */
export async function pgClientOf(trx: Kysely<unknown>): Promise<pg.PoolClient | null> {
  const { rows } = await sql<{ db: string; port: string; pid: number }>`
    select current_database() as db, current_setting('port') as port, pg_backend_pid() as pid`.execute(trx);
  const row = rows[0];
  return row ? (pgClients.get(`${row.db}|${row.port}|${row.pid}`) ?? null) : null;
}

export function createDialect(
  target: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string },
  options: { poolSize?: number } = {},
): { dialect: Dialect; name: DialectName; close?: () => void } {
  if (target.kind === 'postgres') {
    setPgParsers();
    const pool = new pg.Pool({
      connectionString: target.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
    });
    pool.on('connect', (client) => pgClients.set(pgClientKey(client), client));
    pool.on('remove', (client) => pgClients.delete(pgClientKey(client)));
    return { dialect: new PostgresDialect({ pool }), name: 'postgres' };
  }
  const db = new Database(target.file);
  // WAL lets readers run beside the writer; FULL sync keeps a committed audit event or
  // ledger transfer on disk even if the machine loses power right after.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT}`);
  return {
    dialect: new SqliteDialect({ database: withStatementCache(db) }),
    name: 'sqlite',
    close: () => db.close(),
  };
}

/**
 * Prepared statements kept per SQLite connection, least recently used dropped first. A
 * statement's memory grows with its text (its program has an instruction or more per bound
 * value), so the texts' total length is bounded too, and a longer statement is not kept.
 */
const STATEMENT_CACHE_SIZE = 200;
const STATEMENT_CACHE_CHARS = 1_000_000;

/**
 * Kysely's SQLite driver prepares every query anew. A roster import runs the same few
 * statements thousands of times (bulk INSERTs, 1,000-value `IN` lookups), and preparing
 * them was 7 % of the import's time: this keeps the prepared statement per SQL
 * text. `all` and `run` are synchronous, so a cached statement is never in use twice;
 * `iterate` (Kysely's `stream`) keeps its statement busy until the stream is read to its end
 * or closed, so a stream always gets a statement of its own.
 */
function withStatementCache(db: Database.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  let chars = 0;
  return {
    close: () => db.close(),
    prepare(text: string): SqliteStatement {
      let statement = cache.get(text);
      if (statement) {
        // Most recently used last, so the first key is the one to drop.
        cache.delete(text);
        cache.set(text, statement);
        return statement;
      }
      const prepared = db.prepare(text);
      statement = {
        reader: prepared.reader,
        all: (parameters) => prepared.all(parameters),
        run: (parameters) =>
          parameters[0] instanceof EachRow ? runEach(prepared, parameters[0].rows) : prepared.run(parameters),
        iterate: (parameters) => db.prepare(text).iterate(parameters),
      };
      if (text.length > STATEMENT_CACHE_CHARS) return statement;
      while (cache.size >= STATEMENT_CACHE_SIZE || chars + text.length > STATEMENT_CACHE_CHARS) {
        const oldest = cache.keys().next().value!;
        cache.delete(oldest);
        chars -= oldest.length;
      }
      cache.set(text, statement);
      chars += text.length;
      return statement;
    },
  };
}

/** The rows of a `sqliteEachRow` query; the statement cache recognises it as its only parameter. */
class EachRow {
  constructor(readonly rows: readonly (readonly unknown[])[]) {}
}

function runEach(statement: Database.Statement, rows: readonly (readonly unknown[])[]) {
  let changes = 0;
  let lastInsertRowid: number | bigint = 0;
  for (const row of rows) {
    const r = statement.run(row);
    changes += r.changes;
    lastInsertRowid = r.lastInsertRowid;
  }
  return { changes, lastInsertRowid };
}

/**
 * SQLite only: one query that runs the one-row statement `text` once per row, on the
 * connection that executes it — inside the caller's transaction when run with `trx`. Bulk
 * writes go in this way because a prepared one-row INSERT run per row took about a third less
 * CPU than multi-row INSERTs of the same rows, prepared once, on the import's tables
 * (decision 0011), and through Kysely's executor rather than around it, so it always runs on
 * the transaction's connection.
 */
export function sqliteEachRow(text: string, rows: readonly (readonly unknown[])[]): CompiledQuery {
  return CompiledQuery.raw(text, [new EachRow(rows)]);
}

/**
 * The threshold while a bulk write runs: about 400 MB of log, four or so 5,000-row import
 * chunks (some 25,000 frames each). Each chunk dirties a page of every random-keyed index
 * for most of its rows; copied back after every commit, the same pages went to the database
 * file chunk after chunk, where copied back every few chunks each goes once (decision 0011).
 */
const BULK_WAL_AUTOCHECKPOINT = 100_000;
/** Bulk writes running per SQLite database: the threshold goes back when the last one ends. */
const bulkWrites = new WeakMap<object, number>();

/**
 * Run a long series of write transactions (a roster import) with SQLite checkpointing its log
 * less often, then copy the log back and truncate it, so the file does not stay at the
 * bulk size and the next request's commit does not pay for the copy. PostgreSQL: as is.
 */
export async function duringBulkWrite<T>(db: Kysely<unknown>, name: DialectName, fn: () => Promise<T>): Promise<T> {
  if (name !== 'sqlite') return fn();
  if (!bulkWrites.get(db)) await sql`pragma wal_autocheckpoint = ${sql.lit(BULK_WAL_AUTOCHECKPOINT)}`.execute(db);
  // Counted once the threshold is set: a failed pragma leaves nothing to undo.
  bulkWrites.set(db, (bulkWrites.get(db) ?? 0) + 1);
  try {
    return await fn();
  } finally {
    const left = bulkWrites.get(db)! - 1;
    bulkWrites.set(db, left);
    if (left === 0) {
      await sql`pragma wal_autocheckpoint = ${sql.lit(WAL_AUTOCHECKPOINT)}`.execute(db);
      // Blocked by a reader, it copies what it can and the next commit's checkpoint goes on.
      await sql`pragma wal_checkpoint(truncate)`.execute(db);
    }
  }
}

/**
 * Serialise writers of one chain (the audit log, the organization tree, a merchant account's
 * counted checks) inside a transaction. PostgreSQL takes a transaction-scoped advisory lock;
 * SQLite already has a single writer per file and Kysely runs one transaction at a time on
 * its one connection.
 */
export async function lockChain(trx: Kysely<unknown>, name: DialectName, key: number): Promise<void> {
  if (name === 'postgres') await sql`select pg_advisory_xact_lock(${key})`.execute(trx);
}

/** Make a table refuse UPDATE and DELETE: an append-only log at the database level. */
export async function makeAppendOnly(db: Kysely<unknown>, name: DialectName, table: string): Promise<void> {
  if (name === 'postgres') {
    await sql
      .raw(
        `create or replace function ${table}_append_only() returns trigger language plpgsql as $$
         begin raise exception '${table} is append-only'; end $$;
         create trigger ${table}_no_update before update or delete on ${table}
         for each row execute function ${table}_append_only();`,
      )
      .execute(db);
  } else {
    await sql
      .raw(
        `create trigger ${table}_no_update before update on ${table}
         begin select raise(abort, '${table} is append-only'); end;`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger ${table}_no_delete before delete on ${table}
         begin select raise(abort, '${table} is append-only'); end;`,
      )
      .execute(db);
  }
}

/**
 * Shared side of a transaction-scoped lock whose exclusive side `lockChain` takes
 * (PostgreSQL): many writers that copy an organization's path may hold it together, while a
 * restructuring that rewrites paths waits for them and they wait for it. SQLite has one writer.
 */
export async function lockShared(trx: Kysely<unknown>, name: DialectName, key: number): Promise<void> {
  if (name === 'postgres') await sql`select pg_advisory_xact_lock_shared(${key})`.execute(trx);
}

/**
 * "`column` lies in the subtree at `path`", as the range the scope helper uses. On
 * PostgreSQL the comparison is pinned to the bytewise "C" collation, so it also holds for
 * path columns created without it (job, audit_event) in a database whose default collation
 * orders '/' and '0' otherwise.
 */
export function pathInSubtree(name: DialectName, column: string, path: string): Expression<SqlBool> {
  const ref = name === 'postgres' ? sql`${sql.ref(column)} collate "C"` : sql.ref(column);
  return sql<SqlBool>`(${ref} >= ${path} and ${ref} < ${path.slice(0, -1) + '0'})`;
}

/**
 * `column` with its leading `oldPrefix` replaced by `newPrefix`, for rewriting a subtree's
 * paths in one set-based UPDATE. Both engines count substr from 1 in characters and concatenate
 * with ||; paths are ASCII. The cast pins the parameter's type for PostgreSQL.
 */
export function rebasedPath(column: string, oldPrefix: string, newPrefix: string): RawBuilder<string> {
  return sql<string>`cast(${newPrefix} as text) || substr(${sql.ref(column)}, ${sql.lit(oldPrefix.length + 1)})`;
}

/** The error a UNIQUE index raised, on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
