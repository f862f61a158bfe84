/**
 * Audit chain benchmark. Prints, from one run on one database:
 *  - append rate through the chain (one event per transaction, as services write),
 *  - append rate with many events per transaction (batch jobs),
 *  - the bare insert rate of the same table (no lock, no head read, no hash): the ceiling,
 *  - audit:verify over N entries (goal: 1M in under 60 s).
 * SQLite by default; set DATABASE_URL=postgres://… for PostgreSQL. N from BENCH_AUDIT_N.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { SYSTEM_ACTOR } from '../apps/server/src/core/actor.ts';
import { createAuditLog } from '../apps/server/src/core/audit/audit.ts';
import { newId, nowIso } from '../apps/server/src/core/ids.ts';
import { createUnitOfWork } from '../apps/server/src/core/unit-of-work.ts';
import { migrateToLatest, openDatabase } from '../apps/server/src/db/database.ts';
import { benchTarget } from './bench-db.ts';

const N = Number(process.env.BENCH_AUDIT_N ?? 1_000_000);
const SINGLE = Number(process.env.BENCH_AUDIT_SINGLE ?? 5_000);
const BATCH = 5_000;

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US');

async function main(): Promise<void> {
  const { target: t, cleanup } = await benchTarget();
  const database = await openDatabase(t);
  await migrateToLatest(database);
  const db = database.db;
  const audit = createAuditLog({ dialect: database.dialect, key: randomBytes(32) });
  const write = createUnitOfWork(db, audit);
  const ctx = { actor: SYSTEM_ACTOR };
  const event = (i: number) => ({
    action: 'member.update',
    subjectType: 'member',
    subjectId: String(i),
    orgPath: '/61/6101/610102/',
    changes: [{ field: 'name', from: '王明', to: '王小明' }],
  });
  console.log(`audit bench on ${database.dialect}, N=${fmt(N)}`);

  // 1. One event per transaction: what an API write costs for its audit entry.
  let start = performance.now();
  for (let i = 0; i < SINGLE; i++) await write(ctx, (s) => s.audit(event(i)));
  const single = rate(SINGLE, performance.now() - start);

  // 2. Many per transaction, filling the chain to N for the verify run.
  start = performance.now();
  let done = SINGLE;
  while (done < N) {
    const n = Math.min(BATCH, N - done);
    await write(ctx, async (s) => {
      for (let i = 0; i < n; i++) await s.audit(event(done + i));
    });
    done += n;
  }
  const batched = rate(N - SINGLE, performance.now() - start);

  // 3. Ceiling: bare inserts of the same rows into a copy of the table, no chain work.
  await sql`create table audit_bare as select * from audit_event where 1 = 0`.execute(db);
  const bareN = Math.min(N, 200_000);
  const row = () => ({
    seq: 0,
    id: newId(),
    occurred_at: nowIso(),
    actor_id: null,
    actor_kind: 'system',
    action: 'member.update',
    subject_type: 'member',
    subject_id: '1',
    org_path: '/61/6101/610102/',
    province_root: '/61/',
    changes: '[{"field":"name","from":"王明","to":"王小明"}]',
    request_id: null,
    prev_hash: '0'.repeat(64),
    hash: '0'.repeat(64),
  });
  start = performance.now();
  for (let b = 0; b < bareN; b += BATCH) {
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < BATCH; i++) {
        await trx
          .insertInto('audit_bare' as 'audit_event')
          .values({ ...row(), seq: b + i + 1 })
          .execute();
      }
    });
  }
  const bare = rate(bareN, performance.now() - start);

  // 4. Verify the whole chain.
  start = performance.now();
  const result = await audit.verify(db);
  const verifyMs = performance.now() - start;
  if (!result.ok || result.checked !== N) throw new Error(`verify failed: ${JSON.stringify(result)}`);

  console.log(`append, 1 event/transaction : ${fmt(single)} events/s`);
  console.log(`append, ${BATCH}/transaction     : ${fmt(batched)} events/s`);
  console.log(
    `bare insert (ceiling)        : ${fmt(bare)} rows/s  → ratio batched/bare = ${(batched / bare).toFixed(2)}`,
  );
  console.log(
    `verify ${fmt(N)} entries      : ${(verifyMs / 1000).toFixed(1)} s (${fmt(rate(N, verifyMs))} entries/s; goal < 60 s for 1M)`,
  );
  await database.close();
  await cleanup();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
