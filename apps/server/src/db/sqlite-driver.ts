import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SelectQueryNode,
  SqliteDialect,
} from 'kysely';

/**
 * The SQLite driver: one connection that writes, one that reads beside it, and turns of the
 * event loop while a long transaction runs.
 *
 * SQLite runs a statement synchronously on the thread that asks, so a chunk of a roster
 * import (one transaction, thousands of rows) held the whole server: no request was even
 * read until it committed, up to 3 s on this project's machines (decision 0011). Kysely's
 * own driver also queued every query behind the one connection's transaction, so a request
 * would have waited anyway. Here:
 *
 * - a SELECT outside a transaction runs on the reading connection, which in WAL mode sees
 *   the last commit and never waits for the writer;
 * - everything else (transactions, writes, pragmas, raw SQL, streams) takes the writing
 *   connection in turn, as before;
 * - when the loop has had no turn for `STARVED_MS`, the next statement on the writing
 *   connection hands it one before going on, between the rows of a `sqliteEachRow` too.
 *   Within a transaction that lets requests read (on the other connection) and queue their
 *   writes, which wait for the lock as they did; nothing runs inside the transaction but
 *   its own statements.
 *
 * An in-memory database cannot be opened twice, so there everything runs on the one
 * connection.
 */

/**
 * A turn of the event loop: timers, sockets and waiting requests run before the caller goes
 * on. On SQLite statements run synchronously and their promises settle at once, so code that
 * awaits only the database never reaches the loop unless it asks for a turn.
 */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** How long the writing connection may keep the loop from running before it hands it a turn. */
const STARVED_MS = 50;
/** Rows of a `sqliteEachRow` run between two looks at the clock. */
const ROWS_BETWEEN_LOOKS = 200;

let loopRanAt = performance.now();
let probing = false;

/**
 * Hand the loop a turn when it has had none for `STARVED_MS`. A probe queued behind the
 * loop's other work records when the loop last ran, so where the loop turns often anyway
 * (a request's own awaits, a job reading a file) this costs a clock read per statement. The
 * first statement after an idle spell finds the record old and takes one turn it did not need:
 * a request waits one pass of the loop, a fraction of a millisecond when nothing else is queued.
 */
async function turnIfStarved(): Promise<void> {
  if (!probing) {
    probing = true;
    setImmediate(() => {
      probing = false;
      loopRanAt = performance.now();
    });
  }
  if (performance.now() - loopRanAt > STARVED_MS) await turn();
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
 * them was 7 % of the import's time: this keeps the prepared statement per SQL text.
 * `all` and `run` are synchronous, so a cached statement is never in use twice; `iterate`
 * keeps its statement busy until the stream is read to its end or closed, so a stream always
 * gets a statement of its own.
 */
class StatementCache {
  #db: Database.Database;
  readonly #cache = new Map<string, Database.Statement>();
  #chars = 0;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  get db(): Database.Database {
    return this.#db;
  }

  /** Close the connection and go on with `db`, preparing every statement afresh on it. */
  replace(db: Database.Database): void {
    this.#db.close();
    this.#db = db;
    this.#cache.clear();
    this.#chars = 0;
  }

  prepare(text: string): Database.Statement {
    let statement = this.#cache.get(text);
    if (statement) {
      // Most recently used last, so the first key is the one to drop.
      this.#cache.delete(text);
      this.#cache.set(text, statement);
      return statement;
    }
    statement = this.#db.prepare(text);
    if (text.length > STATEMENT_CACHE_CHARS) return statement;
    while (this.#cache.size >= STATEMENT_CACHE_SIZE || this.#chars + text.length > STATEMENT_CACHE_CHARS) {
      const oldest = this.#cache.keys().next().value!;
      this.#cache.delete(oldest);
      this.#chars -= oldest.length;
    }
    this.#cache.set(text, statement);
    this.#chars += text.length;
    return statement;
  }
}

/** A statement that gathers or reloads the planner's statistics. */
const ANALYZE = /^\s*analyze\b/i;

/**
 * The reading connection. A connection reads the planner's statistics (`sqlite_stat1`, and
 * `sqlite_stat4` in this build) when it loads the schema, and ANALYZE, or an update of those
 * tables, does not change the schema: the reading connection would go on planning with the
 * statistics it found at start until the server restarted (decision 0010 has a plan that
 * depends on them). So once an ANALYZE on the writing connection has committed, the reading
 * connection is opened afresh; the next read loads the schema and the new statistics.
 */
class ReadingConnection {
  readonly statements: StatementCache;
  #statisticsChanged = false;

  constructor(private readonly open: () => Database.Database) {
    this.statements = new StatementCache(open());
  }

  /** An ANALYZE ran on the writing connection; it counts from its commit. */
  statisticsChanged(): void {
    this.#statisticsChanged = true;
  }

  /** After the writing connection commits or rolls back (a reopen after a rollback is only wasted). */
  refresh(): void {
    if (!this.#statisticsChanged) return;
    this.#statisticsChanged = false;
    this.statements.replace(this.open());
  }
}

/** The rows of a `sqliteEachRow` query; the driver recognises it as its only parameter. */
class EachRow {
  constructor(readonly rows: readonly (readonly unknown[])[]) {}
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

function resultOf(run: Database.RunResult): QueryResult<never> {
  return {
    numAffectedRows: BigInt(run.changes),
    insertId: BigInt(run.lastInsertRowid),
    rows: [],
  };
}

/** A read on the reading connection: a request's, answered at once. */
function read<R>(on: StatementCache, query: CompiledQuery): Promise<QueryResult<R>> {
  return Promise.resolve({ rows: on.prepare(query.sql).all(query.parameters) as R[] });
}

/** A statement on the writing connection, turning the loop first if it has waited too long. */
async function execute<R>(on: StatementCache, query: CompiledQuery): Promise<QueryResult<R>> {
  await turnIfStarved();
  const statement = on.prepare(query.sql);
  const first = query.parameters[0];
  if (first instanceof EachRow) {
    let changes = 0;
    let lastInsertRowid: number | bigint = 0;
    const { rows } = first;
    for (let i = 0; i < rows.length; i++) {
      if (i > 0 && i % ROWS_BETWEEN_LOOKS === 0) await turnIfStarved();
      const r = statement.run(rows[i]);
      changes += r.changes;
      lastInsertRowid = r.lastInsertRowid;
    }
    return resultOf({ changes, lastInsertRowid });
  }
  if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
  return resultOf(statement.run(query.parameters));
}

/** The writing connection's turn, first come first served. */
class WriterLock {
  #held: Promise<void> | null = null;
  #release: (() => void) | null = null;

  async take(): Promise<void> {
    while (this.#held) await this.#held;
    this.#held = new Promise((resolve) => (this.#release = resolve));
  }

  give(): void {
    const release = this.#release;
    this.#held = null;
    this.#release = null;
    release?.();
  }
}

/**
 * What Kysely holds as a connection: it takes the writing connection only when it must, and
 * keeps it from BEGIN to COMMIT or ROLLBACK.
 */
class RoutedConnection implements DatabaseConnection {
  #inTransaction = false;

  constructor(
    private readonly writer: StatementCache,
    private readonly reader: ReadingConnection | null,
    private readonly lock: WriterLock,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (ANALYZE.test(query.sql)) this.reader?.statisticsChanged();
    if (this.#inTransaction) return execute<R>(this.writer, query);
    if (this.reader && SelectQueryNode.is(query.query)) return read<R>(this.reader.statements, query);
    await this.lock.take();
    try {
      return await execute<R>(this.writer, query);
    } finally {
      this.lock.give();
      this.reader?.refresh();
    }
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('SQLite streams only SELECT queries');
    // An iterating statement keeps its connection busy until it ends, so a stream runs on the
    // writing connection, which nothing else uses meanwhile, with a statement of its own.
    const held = this.#inTransaction;
    if (!held) await this.lock.take();
    try {
      for (const row of this.writer.db.prepare(query.sql).iterate(query.parameters)) yield { rows: [row as R] };
    } finally {
      if (!held) this.lock.give();
    }
  }

  async begin(): Promise<void> {
    await this.lock.take();
    try {
      await execute(this.writer, CompiledQuery.raw('begin'));
    } catch (err) {
      this.lock.give();
      throw err;
    }
    this.#inTransaction = true;
  }

  /** COMMIT or ROLLBACK. A failed COMMIT leaves the transaction open for Kysely's ROLLBACK. */
  async end(statement: 'commit' | 'rollback'): Promise<void> {
    if (!this.#inTransaction) return;
    if (statement === 'rollback' && !this.writer.db.inTransaction) {
      // SQLite already rolled it back (some errors do that themselves).
      this.#close();
      return;
    }
    try {
      await execute(this.writer, CompiledQuery.raw(statement));
    } catch (err) {
      if (statement === 'rollback' || !this.writer.db.inTransaction) this.#close();
      throw err;
    }
    this.#close();
  }

  /** Kysely is done with it: a transaction still open here is rolled back, never left held. */
  release(): void {
    if (!this.#inTransaction) return;
    if (this.writer.db.inTransaction) this.writer.db.exec('rollback');
    this.#close();
  }

  #close(): void {
    this.#inTransaction = false;
    this.lock.give();
    this.reader?.refresh();
  }
}

const quoted = (name: string): string => `"${name.replaceAll('"', '""')}"`;

class ReadWriteDriver implements Driver {
  readonly #lock = new WriterLock();
  readonly #writer: StatementCache;
  readonly #reader: ReadingConnection | null;

  constructor(writer: Database.Database, openReader: (() => Database.Database) | null) {
    this.#writer = new StatementCache(writer);
    this.#reader = openReader && new ReadingConnection(openReader);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new RoutedConnection(this.#writer, this.#reader, this.#lock);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as RoutedConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as RoutedConnection).end('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as RoutedConnection).end('rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoted(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoted(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoted(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as RoutedConnection).release();
  }

  async destroy(): Promise<void> {
    this.#reader?.statements.db.close();
    this.#writer.db.close();
  }
}

/** Kysely's SQLite dialect with the driver above. */
export class ReadWriteSqliteDialect extends SqliteDialect {
  readonly #writer: Database.Database;
  readonly #openReader: (() => Database.Database) | null;

  /** `openReader` opens a reading connection to the writer's file; null for one connection. */
  constructor(writer: Database.Database, openReader: (() => Database.Database) | null) {
    super({ database: writer });
    this.#writer = writer;
    this.#openReader = openReader;
  }

  override createDriver(): Driver {
    return new ReadWriteDriver(this.#writer, this.#openReader);
  }
}
