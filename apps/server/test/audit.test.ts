import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { type AuditLog, createAuditLog, diffFields } from '../src/core/audit/audit.ts';
import { createUnitOfWork, type UnitOfWork } from '../src/core/unit-of-work.ts';
import type { Database } from '../src/db/database.ts';
import os from 'node:os';
import path from 'node:path';
import { verifyAuditCommand } from '../src/cli/verify-audit.ts';
import { loadConfig } from '../src/config.ts';
import { createTestDatabase } from './harness.ts';

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Database;
let audit: AuditLog;
let write: UnitOfWork;
const key = randomBytes(32);

beforeAll(async () => {
  // A pool of several connections, so on PostgreSQL the writers below really run in parallel.
  t = await createTestDatabase({ poolSize: 8 });
  db = t.database;
  audit = createAuditLog({ dialect: db.dialect, key });
  write = createUnitOfWork(db.db, audit);
});
afterAll(async () => {
  await t.drop();
});

const ctx = { actor: SYSTEM_ACTOR, requestId: 'req-1' };

async function allowTampering(): Promise<void> {
  // What an attacker with database access would do first: switch off the append-only wall.
  if (db.dialect === 'postgres') {
    await sql`alter table audit_event disable trigger audit_event_no_update`.execute(db.db);
  } else {
    await sql`drop trigger audit_event_no_update`.execute(db.db);
    await sql`drop trigger audit_event_no_delete`.execute(db.db);
  }
}

describe('audit chain', () => {
  it('concurrent writers never fork the chain', async () => {
    const writers = 200;
    await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        write(ctx, async (s) => {
          await s.audit({ action: 'test.write', subjectType: 'test', subjectId: String(i), orgPath: '/61/6101/' });
        }),
      ),
    );
    const rows = await db.db.selectFrom('audit_event').select(['seq', 'prev_hash', 'hash']).orderBy('seq').execute();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: writers }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(writers);
    const result = await audit.verify(db.db, { batchSize: 37 });
    expect(result).toMatchObject({ ok: true, checked: writers, lastSeq: writers });
  });

  it('records actor, subject, org path with its province root, and request id', async () => {
    await write(ctx, (s) =>
      s.audit({
        action: 'member.update',
        subjectType: 'member',
        subjectId: 'm1',
        orgPath: '/61/6101/610102/',
        changes: diffFields({ name: '王明', idNumber: 'a' }, { name: '王小明', idNumber: 'b' }, ['idNumber']),
      }),
    );
    const row = await db.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'member.update')
      .executeTakeFirstOrThrow();
    expect(row.actor_kind).toBe('system');
    expect(row.province_root).toBe('/61/');
    expect(row.request_id).toBe('req-1');
    expect(JSON.parse(row.changes!)).toEqual([
      { field: 'idNumber', sensitive: true },
      { field: 'name', from: '王明', to: '王小明' },
    ]);
    expect(row.changes).not.toContain('"a"');
  });

  it('hands the event loop a turn after every write, so requests are served between a job’s chunks', async () => {
    let turns = 0;
    const tick = () => {
      turns++;
    };
    for (let i = 0; i < 3; i++) {
      const before = turns;
      setImmediate(tick);
      await write(ctx, (s) => s.audit({ action: 'test.turn', subjectType: 'test', subjectId: String(i) }));
      // On SQLite the transaction settles without I/O: only the unit of work's turn runs the tick.
      expect(turns).toBe(before + 1);
    }
  });

  it('a write without an audit event rolls back', async () => {
    await expect(write(ctx, async () => 'nothing audited')).rejects.toThrow(/without an audit event/);
  });

  it('a failing write leaves no audit event behind', async () => {
    const before = await audit.verify(db.db);
    await expect(
      write(ctx, async (s) => {
        await s.audit({ action: 'doomed', subjectType: 'test' });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const after = await audit.verify(db.db);
    expect(after.checked).toBe(before.checked);
  });

  it('the table refuses UPDATE and DELETE', async () => {
    await expect(sql`update audit_event set action = 'x' where seq = 1`.execute(db.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_event where seq = 1`.execute(db.db)).rejects.toThrow(/append-only/);
  });

  it('a row edited directly is found, and named, by verification', async () => {
    await allowTampering();
    const target = await db.db
      .selectFrom('audit_event')
      .select(['seq', 'id'])
      .where('seq', '=', 57)
      .executeTakeFirstOrThrow();
    await sql`update audit_event set subject_id = 'forged' where seq = 57`.execute(db.db);
    const result = await audit.verify(db.db);
    expect(result).toMatchObject({ ok: false, brokenSeq: 57, brokenId: target.id, checked: 56 });
  });

  it('a deleted row is found as a gap', async () => {
    await sql`delete from audit_event where seq = 10`.execute(db.db);
    const result = await audit.verify(db.db);
    expect(result).toMatchObject({ ok: false, brokenSeq: 10 });
  });

  it('the audit:verify command prints the first broken entry and exits 1', async () => {
    // On PostgreSQL the command still keeps its key file in DATA_DIR: a folder of this test's
    // own, not the shared temp folder.
    const own = t.target.kind === 'postgres' ? fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-verify-')) : null;
    try {
      const env: Record<string, string> = { AUDIT_KEY: key.toString('base64') };
      if (t.target.kind === 'postgres') Object.assign(env, { DATABASE_URL: t.target.url, DATA_DIR: own! });
      else env.DATA_DIR = path.dirname(t.target.file);
      const lines: string[] = [];
      const code = await verifyAuditCommand(loadConfig(env), (l) => lines.push(l));
      expect(code).toBe(1);
      expect(lines.join('\n')).toMatch(/BROKEN at entry #10/);
    } finally {
      if (own) fs.rmSync(own, { recursive: true, force: true });
    }
  });

  it('another key cannot verify the chain', async () => {
    const other = createAuditLog({ dialect: db.dialect, key: randomBytes(32) });
    expect((await other.verify(db.db)).ok).toBe(false);
  });
});
