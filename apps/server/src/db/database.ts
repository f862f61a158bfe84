import fs from 'node:fs';
import path from 'node:path';
import { Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { createDialect, type DialectName } from './dialect.ts';
import { migrations } from './migrations/index.ts';
import type { DB } from './schema.ts';

export interface Database {
  db: Kysely<DB>;
  dialect: DialectName;
  close: () => Promise<void>;
}

export type Target = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export class DatabaseUnreachableError extends Error {
  constructor(target: Target, cause: unknown) {
    const where = target.kind === 'sqlite' ? target.file : redactUrl(target.url);
    super(`Cannot reach the ${target.kind} database at ${where}: ${(cause as Error).message ?? String(cause)}`);
    this.name = 'DatabaseUnreachableError';
  }
}

/** Hide a password in a connection URL before it reaches a log line or an error. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

export async function openDatabase(target: Target, options: { poolSize?: number } = {}): Promise<Database> {
  if (target.kind === 'sqlite' && target.file !== ':memory:') {
    fs.mkdirSync(path.dirname(target.file), { recursive: true });
  }
  const { dialect, name } = createDialect(target, options);
  const db = new Kysely<DB>({ dialect });
  try {
    // Fail fast with a clear message instead of timing out on the first request.
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw new DatabaseUnreachableError(target, err);
  }
  return {
    db,
    dialect: name,
    // Kysely's destroy closes the driver's connections.
    close: () => db.destroy(),
  };
}

export async function migrateToLatest(database: Database): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: async () =>
      Object.fromEntries(
        migrations.map((m): [string, Migration] => [
          m.name,
          { up: (db: Kysely<unknown>) => m.up(db, database.dialect) },
        ]),
      ),
  };
  // On PostgreSQL, name the schema the migration tables live in (the connection's current
  // one). Without it Kysely looks for them in every schema of the database, finds another
  // schema's copy (another app, or a parallel test's schema), skips creating its own, and
  // then fails with `relation "kysely_migration_lock" does not exist`.
  const migrationTableSchema =
    database.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db: database.db,
    provider,
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when every known migration has been applied. */
export async function schemaIsCurrent(database: Database): Promise<boolean> {
  const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(database.db).catch(() => null);
  if (!rows) return false;
  const names = new Set(rows.rows.map((r) => r.name));
  return migrations.every((m) => names.has(m.name));
}
