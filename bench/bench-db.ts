import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Target } from '../apps/server/src/db/database.ts';

/**
 * Where a benchmark runs: a fresh SQLite file, or a fresh schema in the PostgreSQL database
 * DATABASE_URL names. `cleanup` removes it.
 */
export async function benchTarget(): Promise<{ target: Target; cleanup: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
    const u = new URL(url);
    u.searchParams.set('options', `-c search_path=${schema}`);
    return {
      target: { kind: 'postgres', url: u.toString() },
      cleanup: async () => {
        const d = new pg.Client({ connectionString: url });
        await d.connect();
        await d.query(`drop schema ${schema} cascade`);
        await d.end();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-bench-'));
  return {
    target: { kind: 'sqlite', file: path.join(dir, 'bench.sqlite') },
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
