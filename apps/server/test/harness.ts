import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { type Database, migrateToLatest, openDatabase, type Target } from '../src/db/database.ts';

/**
 * Test databases are real: a fresh SQLite file, or, when DATABASE_URL points at PostgreSQL
 * (as .ci/run sets it), a fresh schema in that database. Each test file gets its own, so
 * files run in parallel without seeing each other's rows.
 */
export async function createTestDatabase(options: { poolSize?: number } = {}): Promise<{
  database: Database;
  target: Target;
  drop: () => Promise<void>;
}> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const u = new URL(url);
    u.searchParams.set('options', `-c search_path=${schema}`);
    const target: Target = { kind: 'postgres', url: u.toString() };
    const database = await openDatabase(target, options);
    await migrateToLatest(database);
    return {
      database,
      target,
      drop: async () => {
        await database.close();
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`drop schema ${schema} cascade`);
        await c.end();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-test-'));
  const target: Target = { kind: 'sqlite', file: path.join(dir, 'zhgh.sqlite') };
  const database = await openDatabase(target);
  await migrateToLatest(database);
  return {
    database,
    target,
    drop: async () => {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', DATA_DIR: os.tmpdir(), ...overrides });
}

/** A clock tests can move forward to cover idle timeouts, expiry and lockout ends. */
export function createTestClock(start = new Date()) {
  let offsetMs = 0;
  const base = start.getTime() - Date.now();
  return {
    now: () => new Date(Date.now() + base + offsetMs),
    advance(ms: number) {
      offsetMs += ms;
    },
  };
}

/**
 * An in-process app over a fresh database and its own data folder (keys, SMS outbox), with
 * its log lines captured for inspection.
 */
export async function createTestApp(
  overrides: Record<string, string> = {},
  options: { now?: () => Date; poolSize?: number; runJobs?: boolean } = {},
) {
  const { database, drop } = await createTestDatabase(options.poolSize ? { poolSize: options.poolSize } : {});
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-data-'));
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const config = testConfig({ DATA_DIR: dataDir, ...overrides });
  const app = await buildApp({
    config,
    database,
    logStream,
    ...(options.now ? { now: options.now } : {}),
    ...(options.runJobs === undefined ? {} : { runJobs: options.runJobs }),
  });
  return {
    app,
    database,
    logs,
    close: async () => {
      await app.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { sql };
