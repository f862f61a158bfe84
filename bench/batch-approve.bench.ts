/**
 * Batch approval (一键审核) benchmark: N applications waiting at one union, approved by one
 * cadre in one batch step (`engine.actMany`), each approval with its history row, its audit
 * event and its module effect's audit event; the audit chain is verified after. Beside it,
 * in the same run, the ceiling: the same rows written bare (one UPDATE per chunk of
 * instances, multi-row inserts of history and audit rows, no checks, no chain). Goal (issue
 * #5): 10,000 approved within 10 s, audit chain included.
 * SQLite by default; DATABASE_URL=postgres://… for PostgreSQL. N from BENCH_BATCH_N.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { RequestContext } from '../apps/server/src/core/actor.ts';
import { newId, nowIso } from '../apps/server/src/core/ids.ts';
import { createWorkflowRegistry, type WorkflowDefinition } from '../apps/server/src/core/workflow/definition.ts';
import { createWorkflowEngine } from '../apps/server/src/core/workflow/engine.ts';
import { migrateToLatest, openDatabase } from '../apps/server/src/db/database.ts';
import type { OrganizationTable } from '../apps/server/src/db/schema.ts';
import { benchCore, benchTarget } from './bench-db.ts';

const N = Number(process.env.BENCH_BATCH_N ?? 10_000);
const CHUNK = 500;
const fmt = (n: number) => n.toLocaleString('en-US');

/** A join-shaped application: one review step, approve (with an audited effect) or reject. */
const definition: WorkflowDefinition = {
  key: 'benchJoin',
  version: 1,
  label: { 'zh-CN': '入会申请', en: 'Join application' },
  subjectType: 'bench_join',
  initial: 'review',
  startPermission: 'member.write',
  states: {
    review: { kind: 'review', label: { 'zh-CN': '待审核', en: 'Under review' }, deadlineWorkingDays: 3 },
    approved: { kind: 'done', label: { 'zh-CN': '已入会', en: 'Approved' } },
    rejected: { kind: 'rejected', label: { 'zh-CN': '未通过', en: 'Rejected' } },
  },
  transitions: [
    {
      action: 'approve',
      from: 'review',
      to: 'approved',
      label: { 'zh-CN': '通过', en: 'Approve' },
      by: { permission: 'member.write', orgLevel: 'handling' },
      effect: (e) =>
        e.audit({
          action: 'membership.create',
          subjectType: 'membership',
          subjectId: e.instance.id,
          orgPath: e.instance.orgPath,
        }),
    },
    {
      action: 'reject',
      from: 'review',
      to: 'rejected',
      label: { 'zh-CN': '不予通过', en: 'Reject' },
      by: { permission: 'member.write', orgLevel: 'handling' },
      requireComment: true,
    },
  ],
};

function cadreAt(org: OrganizationTable): RequestContext {
  const permissions = new Set(['member.write', 'workflow.read']);
  const userId = randomUUID();
  return {
    actor: { kind: 'user', id: userId, userKind: 'cadre' },
    principal: {
      userId,
      userKind: 'cadre',
      sessionId: randomUUID(),
      grants: [{ id: randomUUID(), roleId: 'r', roleCode: 'bench', orgId: org.id, orgPath: org.path, permissions }],
      permissions,
    },
  };
}

async function main(): Promise<void> {
  const { target, cleanup } = await benchTarget();
  const database = await openDatabase(target);
  try {
    await migrateToLatest(database);
    const core = benchCore(database, 7);
    const { db } = core;
    const registry = createWorkflowRegistry();
    registry.register(definition);
    const engine = createWorkflowEngine(core, registry);
    const now = nowIso();
    const id = newId();
    const union: OrganizationTable = {
      id,
      parent_id: null,
      name: '集中入会工会',
      type: 'grassroots',
      level: null,
      region_code: null,
      path: `/${id}/`,
      depth: 0,
      province_root: `/${id}/`,
      status: 'active',
      created_at: now,
      updated_at: now,
      dissolved_at: null,
      merged_into_id: null,
      status_reason: null,
    };
    await db.insertInto('organization').values(union).execute();
    console.log(`batch approval bench on ${database.dialect}, N=${fmt(N)}`);

    // The queue: N applications, as group enrollment (集中入会) fills it. Not timed.
    const cadre = cadreAt(union);
    const ids: string[] = [];
    let start = performance.now();
    for (let i = 0; i < N; i++) {
      const inst = await engine.start(cadre, { definitionKey: 'benchJoin', orgId: union.id, data: { n: i } });
      ids.push(inst.id);
    }
    console.log(`  queue filled: ${fmt(N)} applications in ${((performance.now() - start) / 1000).toFixed(1)} s`);

    // 1. The batch step, audit included.
    start = performance.now();
    const results = await engine.actMany(cadre, ids, { action: 'approve' });
    const batchMs = performance.now() - start;
    const refused = results.filter((r) => !r.ok).length;
    if (refused > 0) throw new Error(`${refused} approvals refused`);
    start = performance.now();
    const verified = await core.audit.verify(db);
    const verifyMs = performance.now() - start;
    if (!verified.ok) throw new Error(`audit chain broken: ${verified.reason}`);

    // 2. Ceiling: the same writes bare, on copies of the tables, in one transaction per chunk.
    await sql`create table bare_instance as select * from workflow_instance`.execute(db);
    await sql`create table bare_history as select * from workflow_history where 1 = 0`.execute(db);
    await sql`create table bare_audit as select * from audit_event where 1 = 0`.execute(db);
    const hash = '0'.repeat(64);
    start = performance.now();
    for (let c = 0; c < ids.length; c += CHUNK) {
      const chunk = ids.slice(c, c + CHUNK);
      const at = nowIso();
      await db.transaction().execute(async (trx) => {
        await sql`update bare_instance set state = 'approved', state_kind = 'done', version = version + 1,
                  history_seq = history_seq + 1, closed_at = ${at} where id in (${sql.join(chunk)})`.execute(trx);
        const history = chunk.map((instanceId) => ({
          id: newId(),
          instance_id: instanceId,
          seq: 2,
          at,
          actor_id: cadre.actor.id,
          actor_kind: 'cadre',
          action: 'approve',
          from_state: 'review',
          to_state: 'approved',
          comment: null,
          detail: null,
          org_path: union.path,
          province_root: union.province_root,
        }));
        const audit = chunk.flatMap((instanceId, i) =>
          ['workflow.benchJoin.approve', 'membership.create'].map((action, k) => ({
            seq: (c + i) * 2 + k,
            id: newId(),
            occurred_at: at,
            actor_id: cadre.actor.id,
            actor_kind: 'cadre',
            action,
            subject_type: 'workflow_instance',
            subject_id: instanceId,
            org_path: union.path,
            province_root: union.province_root,
            changes: null,
            request_id: null,
            prev_hash: hash,
            hash,
          })),
        );
        await insertRows(trx as unknown as Untyped, 'bare_history', history);
        await insertRows(trx as unknown as Untyped, 'bare_audit', audit);
      });
    }
    const bareMs = performance.now() - start;

    const perSecond = (ms: number) => fmt(Math.round((N / ms) * 1000));
    console.log(
      `  batch approve (engine, audit chained): ${(batchMs / 1000).toFixed(2)} s  (${perSecond(batchMs)}/s)  goal ≤ 10 s for 10,000`,
    );
    console.log(
      `  audit chain verify after: ${verified.checked.toLocaleString('en-US')} entries in ${(verifyMs / 1000).toFixed(2)} s`,
    );
    console.log(
      `  ceiling (same rows bare, no checks, no chain): ${(bareMs / 1000).toFixed(2)} s  (${perSecond(bareMs)}/s)`,
    );
    console.log(`  ratio engine / ceiling (rate): ${(bareMs / batchMs).toFixed(2)}`);
  } finally {
    await database.close();
    await cleanup();
  }
}

/** Bench-only copies of the tables, outside the typed schema. */
type Untyped = Kysely<Record<string, Record<string, unknown>>>;

/** Multi-row inserts sized under SQLite's bound-parameter limit. */
async function insertRows(trx: Untyped, table: string, rows: Record<string, unknown>[]): Promise<void> {
  const per = Math.floor(30_000 / Object.keys(rows[0]!).length);
  for (let i = 0; i < rows.length; i += per) {
    await trx
      .insertInto(table)
      .values(rows.slice(i, i + per))
      .execute();
  }
}

await main();
