import Database from 'better-sqlite3';
import {
  type Dialect,
  type Expression,
  type Kysely,
  PostgresDialect,
  type RawBuilder,
  sql,
  type SqlBool,
} from 'kysely';
import pg from 'pg';
import { type Checkpointer, type CheckpointMode, startCheckpointer } from './sqlite-checkpointer.ts';
import { ReadWriteSqliteDialect } from './sqlite-driver.ts';
import { subtreeUpperBound } from '../core/org-path.ts';

export { sqliteEachRow } from './sqlite-driver.ts';

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
): { dialect: Dialect; name: DialectName } {
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
  // A second connection for reads outside transactions (see sqlite-driver.ts); an in-memory
  // database is private to its one connection.
  const file = target.file;
  const openReader =
    file === ':memory:'
      ? null
      : () => {
          const reader = new Database(file, { readonly: true, fileMustExist: true });
          reader.pragma('busy_timeout = 5000');
          return reader;
        };
  return { dialect: new ReadWriteSqliteDialect(db, openReader), name: 'sqlite' };
}

/**
 * Rows of bulk writes between two copies of the log: some 100,000 frames, about 400 MB of log
 * at an import's five frames a row. Each chunk dirties a page of every random-keyed index for
 * most of its rows; copied back after every commit, the same pages went to the database file
 * chunk after chunk, where copied back every few chunks each goes once (decision 0011).
 */
const BULK_CHECKPOINT_ROWS = 20_000;

interface BulkState {
  running: number;
  rowsSince: number;
  /** False for an in-memory database: it has no log to copy back. */
  onDisk: boolean;
  /** Null on an in-memory database, or once the thread has failed. */
  checkpointer: Checkpointer | null;
  copying: Promise<void> | null;
}
/** Bulk writes running per SQLite database: the threshold goes back when the last one ends. */
const bulkWrites = new WeakMap<object, BulkState>();

export interface BulkWrite {
  /**
   * Tell the bulk write that `rows` more rows have committed. Every `BULK_CHECKPOINT_ROWS` it
   * copies the log back on its own thread and waits for it, so the next commit starts the log
   * afresh and the event loop serves requests meanwhile. PostgreSQL: nothing to do.
   */
  committed(rows: number): Promise<void>;
}

/**
 * Run a long series of write transactions (a roster import) with SQLite's own checkpoints off:
 * the log is copied back every `BULK_CHECKPOINT_ROWS` rows by a connection on another thread,
 * and at the end copied back and truncated there, so the file does not stay at the bulk size
 * and neither the job nor the next request's commit holds the event loop for the copy.
 * PostgreSQL: as is.
 */
export async function duringBulkWrite<T>(
  db: Kysely<unknown>,
  name: DialectName,
  fn: (bulk: BulkWrite) => Promise<T>,
): Promise<T> {
  if (name !== 'sqlite') return fn({ committed: async () => {} });
  let state = bulkWrites.get(db);
  if (!state) {
    const file = (await sql<{ file: string }>`select file from pragma_database_list where name = 'main'`.execute(db))
      .rows[0]?.file;
    await sql`pragma wal_autocheckpoint = 0`.execute(db);
    state = {
      running: 0,
      rowsSince: 0,
      onDisk: Boolean(file),
      checkpointer: file ? startCheckpointer(file) : null,
      copying: null,
    };
    bulkWrites.set(db, state);
  }
  const s = state;
  s.running++;
  // Copying the log back is upkeep: a failure must not fail the import whose rows committed.
  const copy = async (mode: CheckpointMode): Promise<void> => {
    if (!s.onDisk) return;
    const thread = s.checkpointer;
    if (thread) {
      try {
        await thread.checkpoint(mode);
        return;
      } catch {
        s.checkpointer = null;
        await thread.close().catch(() => undefined);
      }
    }
    // Without its thread the writing connection copies the log back itself, as SQLite would
    // have; if that fails too, the next copy tries again.
    await sql`pragma ${sql.raw(`wal_checkpoint(${mode})`)}`.execute(db).catch(() => undefined);
  };
  const bulk: BulkWrite = {
    committed: async (rows) => {
      s.rowsSince += rows;
      if (s.rowsSince < BULK_CHECKPOINT_ROWS) return;
      // Two imports at once share one copy.
      s.copying ??= copy('passive').finally(() => {
        s.rowsSince = 0;
        s.copying = null;
      });
      await s.copying;
    },
  };
  try {
    return await fn(bulk);
  } finally {
    s.running--;
    if (s.running === 0) {
      await s.copying;
      // Copy what is left while writers go on, then truncate, which waits for writers but has
      // nothing left to copy; only then does SQLite's own threshold come back, unless another
      // bulk write began meanwhile.
      await copy('passive');
      await copy('truncate');
      if (s.running === 0) {
        bulkWrites.delete(db);
        await sql`pragma wal_autocheckpoint = ${sql.lit(WAL_AUTOCHECKPOINT)}`.execute(db);
        await s.checkpointer?.close();
      }
    }
  }
}

/**
 * Serialise writers of one chain (the audit log, the organization tree, a merchant account's
 * counted checks) inside a transaction. PostgreSQL takes a transaction-scoped advisory lock;
 * SQLite already has a single writer per file and its driver runs one transaction at a time
 * on its writing connection.
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
  return sql<SqlBool>`(${ref} >= ${path} and ${ref} < ${subtreeUpperBound(path)})`;
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
