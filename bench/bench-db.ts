import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SYSTEM_ACTOR } from '../apps/server/src/core/actor.ts';
import { createAuditLog } from '../apps/server/src/core/audit/audit.ts';
import { createBlindIndexer } from '../apps/server/src/core/crypto/blind-index.ts';
import { createFieldCipher, type KeyRing } from '../apps/server/src/core/crypto/field-cipher.ts';
import type { CoreDeps } from '../apps/server/src/core/deps.ts';
import { createUnitOfWork } from '../apps/server/src/core/unit-of-work.ts';
import { createSmsQueue } from '../apps/server/src/core/notify/sms-queue.ts';
import type { Database, Target } from '../apps/server/src/db/database.ts';
import type { OrganizationTable } from '../apps/server/src/db/schema.ts';

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

/**
 * Where the 5-million-member federation lives between runs: the PostgreSQL database
 * DATABASE_URL names, or the SQLite file BENCH_DB_FILE (default in the temp folder). Built
 * once by seed-5m.ts and kept, so each benchmark does not pay for the load.
 */
export function federationTarget(): Target {
  const url = process.env.DATABASE_URL;
  if (url) return { kind: 'postgres', url };
  return { kind: 'sqlite', file: process.env.BENCH_DB_FILE ?? path.join(os.tmpdir(), 'zhgh-bench-5m.sqlite') };
}

/** Members in the benchmark federation: BENCH_MEMBERS, default 5 million. */
export function federationMembers(): number {
  return Number(process.env.BENCH_MEMBERS ?? 5_000_000);
}

/**
 * Keys of the benchmark federation, derived from its seed: the benchmarks must compute the
 * same blind indexes and decrypt the same ID numbers as the load did, in another process.
 * Never keys of anything real.
 */
export function benchKeys(seed: number): { field: KeyRing; blind: Buffer; audit: Buffer } {
  const key = (purpose: string) => createHash('sha256').update(`zhgh-bench-${purpose}-${seed}`).digest();
  return {
    field: { activeKid: 'bench', keys: new Map([['bench', key('field')]]) },
    blind: key('blind'),
    audit: key('audit'),
  };
}

/** Services' dependencies over a benchmark database, with the benchmark keys. */
export function benchCore(database: Database, seed: number): CoreDeps {
  const keys = benchKeys(seed);
  const audit = createAuditLog({ dialect: database.dialect, key: keys.audit });
  const cipher = createFieldCipher('aes-256-gcm', keys.field);
  // SMS are queued as in the platform and "sent" to nowhere: the queue's work is measured, not a gateway.
  const sms: CoreDeps['sms'] = { send: async () => undefined };
  return {
    config: {} as CoreDeps['config'],
    db: database.db,
    dialect: database.dialect,
    write: createUnitOfWork(database.db, audit),
    audit,
    cipher,
    blind: createBlindIndexer(keys.blind, 'aes-256-gcm'),
    jobs: {} as CoreDeps['jobs'],
    sms,
    smsQueue: createSmsQueue({ db: database.db, cipher, sms, now: () => new Date() }),
    now: () => new Date(),
  };
}

/** The p-th percentile of a sample (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** p50 and p95 of `runs` sequential calls (after `warmup` untimed ones). */
export async function timeCalls(
  runs: number,
  fn: (i: number) => Promise<unknown>,
  warmup = 3,
): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

/** A cadre's request context: member.read over one organization's subtree. */
export function readerAt(o: Pick<OrganizationTable, 'id' | 'path'>) {
  const permissions = new Set(['member.read']);
  return {
    actor: SYSTEM_ACTOR,
    principal: {
      userId: 'bench',
      userKind: 'cadre' as const,
      sessionId: 'bench',
      permissions,
      grants: [{ id: 'g', roleId: 'r', roleCode: 'federation_cadre', orgId: o.id, orgPath: o.path, permissions }],
    },
  };
}

/**
 * The server's own Node flags (its heap limit, which sets how far V8 lets the heap grow past
 * what it holds), read from its start script so a phase runs as it does in the platform.
 */
export const SERVER_NODE_FLAGS = (() => {
  const pkg = JSON.parse(fs.readFileSync(new URL('../apps/server/package.json', import.meta.url), 'utf8')) as {
    scripts: { start: string };
  };
  return pkg.scripts.start.match(/--max-(old|semi)-space-size=\d+/g) ?? [];
})();

/**
 * Run one phase of a benchmark in a fresh child process with the server's flags (its peak RSS
 * is its own): `script --phase <args>`, which prints the phase's result as the last line.
 */
export function phaseInChild<T>(script: string, args: readonly string[]): T {
  const out = execFileSync(process.execPath, [...SERVER_NODE_FLAGS, '--import', 'tsx', script, '--phase', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as T;
}
