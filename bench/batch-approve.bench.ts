/**
 * Batch approval (一键审核) benchmark, as group enrollment (集中入会) fills the queue: a list of
 * N workers imported at one union (the real list job: one join application per row, source
 * list, one batch), then the whole batch approved by one cadre in one call
 * (`enrollment.approve` → `engine.actMany`). Each approval is the real one: its history row
 * and audit event, the join application following the state, the person and the membership
 * with a member number drawn, the stats counters, their audit events; the audit chain is
 * verified after. Listed workers have no account yet, so no card is issued and nobody is
 * told in the inbox at approval (their card follows when they sign in by phone).
 *
 * Beside it, in the same run, the ceiling: the same rows written bare (one UPDATE per chunk of
 * instances and of applications, multi-row inserts of history, persons, memberships and as
 * many audit rows per approval as the real run wrote; no checks, no chain). Goal (issue #5):
 * 10,000 approved within 10 s, audit chain included.
 * SQLite by default; DATABASE_URL=postgres://… for PostgreSQL. N from BENCH_BATCH_N.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { idNumberCheckChar } from '@zhgh/contracts';
import { type Kysely, sql } from 'kysely';
import { createCore, createServices } from '../apps/server/src/app.ts';
import { loadConfig } from '../apps/server/src/config.ts';
import type { RequestContext } from '../apps/server/src/core/actor.ts';
import { newId, nowIso } from '../apps/server/src/core/ids.ts';
import { migrateToLatest, openDatabase } from '../apps/server/src/db/database.ts';
import type { OrganizationTable } from '../apps/server/src/db/schema.ts';
import { benchTarget } from './bench-db.ts';

const N = Number(process.env.BENCH_BATCH_N ?? 10_000);
const CHUNK = 500;
const fmt = (n: number) => n.toLocaleString('en-US');

function cadreAt(org: OrganizationTable): RequestContext {
  const permissions = new Set(['membership.enroll', 'membership.review', 'workflow.read', 'member.read']);
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

/** The drivers' list: N ride-hailing drivers with valid, distinct ID numbers and phones. */
function writeList(file: string): void {
  const lines = ['姓名,身份证号,手机号码,工作单位,用工形式,新就业形态群体'];
  for (let i = 0; i < N; i++) {
    const day = new Date(Date.UTC(1970, 0, 1) + (i % 9000) * 86_400_000).toISOString().slice(0, 10);
    const first17 = `610113${day.replaceAll('-', '')}${String(Math.floor(i / 9000)).padStart(3, '0')}`;
    const phone = `139${String(i).padStart(8, '0')}`;
    lines.push(`司机${i},${first17}${idNumberCheckChar(first17)},${phone},某网约车平台,新就业形态劳动者,网约车司机`);
  }
  fs.writeFileSync(file, `${lines.join('\r\n')}\r\n`);
}

async function main(): Promise<void> {
  const { target, cleanup } = await benchTarget();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-bench-data-'));
  const database = await openDatabase(target);
  try {
    await migrateToLatest(database);
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, DEMO_DATA: 'false', LOG_LEVEL: 'silent' });
    const core = createCore({ config, database });
    const services = createServices(core, database);
    const { db } = core;
    const now = nowIso();
    const id = newId();
    const union: OrganizationTable = {
      id,
      parent_id: null,
      name: '出行服务行业工会联合会',
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
    const cadre = cadreAt(union);
    console.log(`batch approval bench on ${database.dialect}, N=${fmt(N)} join applications of one batch`);

    // The queue: the list imported as group enrollment does it. Timed apart, not part of the goal.
    const list = path.join(dataDir, 'drivers.csv');
    writeList(list);
    let start = performance.now();
    const { batch } = await services.enrollment.importList(
      cadre,
      { orgId: union.id },
      { path: list, filename: 'drivers.csv', mimetype: 'text/csv', size: fs.statSync(list).size },
    );
    await core.jobs.drain();
    const imported = await services.enrollment.batch(cadre, batch.id);
    if (imported.pending !== N) throw new Error(`list gave ${imported.pending} pending of ${N}`);
    console.log(
      `  list imported: ${fmt(N)} join applications in ${((performance.now() - start) / 1000).toFixed(1)} s (chunks of 500, one transaction each)`,
    );

    // 1. The batch approval, audit included.
    const auditBefore = Number(
      (
        await db
          .selectFrom('audit_event')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    start = performance.now();
    const result = await services.enrollment.approve(cadre, batch.id, {});
    const batchMs = performance.now() - start;
    if (result.approved !== N)
      throw new Error(`${result.refused} approvals refused: ${JSON.stringify(result.results.find((r) => !r.ok))}`);
    const auditAfter = Number(
      (
        await db
          .selectFrom('audit_event')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const auditPerApproval = Math.round((auditAfter - auditBefore) / N);
    const members = Number(
      (
        await db
          .selectFrom('membership')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('org_id', '=', union.id)
          .where('member_number', 'is not', null)
          .executeTakeFirstOrThrow()
      ).n,
    );
    if (members !== N) throw new Error(`${members} memberships with a member number, expected ${fmt(N)}`);
    start = performance.now();
    const verified = await core.audit.verify(db);
    const verifyMs = performance.now() - start;
    if (!verified.ok) throw new Error(`audit chain broken: ${verified.reason}`);

    // 2. Ceiling: the same writes bare, on copies of the tables, in one transaction per chunk.
    const ids = (await db.selectFrom('workflow_instance').select('id').where('org_id', '=', union.id).execute()).map(
      (r) => r.id,
    );
    await sql`create table bare_instance as select * from workflow_instance`.execute(db);
    await sql`create table bare_application as select * from join_application`.execute(db);
    await sql`create table bare_history as select * from workflow_history where 1 = 0`.execute(db);
    await sql`create table bare_person as select * from person where 1 = 0`.execute(db);
    await sql`create table bare_membership as select * from membership where 1 = 0`.execute(db);
    await sql`create table bare_audit as select * from audit_event where 1 = 0`.execute(db);
    const hash = '0'.repeat(64);
    start = performance.now();
    for (let c = 0; c < ids.length; c += CHUNK) {
      const chunk = ids.slice(c, c + CHUNK);
      const at = nowIso();
      await db.transaction().execute(async (trx) => {
        await sql`update bare_instance set state = 'approved', state_kind = 'done', version = version + 1,
                  history_seq = history_seq + 1, closed_at = ${at} where id in (${sql.join(chunk)})`.execute(trx);
        await sql`update bare_application set state = 'approved', pending = 0, updated_at = ${at}
                  where instance_id in (${sql.join(chunk)})`.execute(trx);
        const persons = chunk.map((_, i) => ({
          id: newId(),
          name: `司机${c + i}`,
          name_initials: 'sj',
          id_number_cipher: hash,
          id_number_index: `${c + i}`,
          gender: 'male',
          birth_date: '1990-01-01',
          phone_cipher: hash,
          phone_index: `p${c + i}`,
          employment_type: 'new_form',
          new_form_group: 'ride_hailing',
          real_name_verified: 0,
          created_at: at,
          updated_at: at,
        }));
        await insertRows(trx as unknown as Untyped, 'bare_person', persons);
        await insertRows(
          trx as unknown as Untyped,
          'bare_membership',
          persons.map((p) => ({
            id: newId(),
            person_id: p.id,
            id_number_index: p.id_number_index,
            org_id: union.id,
            org_path: union.path,
            province_root: union.province_root,
            name: p.name,
            name_initials: p.name_initials,
            status: 'active',
            started_on: at.slice(0, 10),
            member_number: `M${p.id_number_index}`,
            created_at: at,
            updated_at: at,
          })),
        );
        await insertRows(
          trx as unknown as Untyped,
          'bare_history',
          chunk.map((instanceId) => ({
            id: newId(),
            instance_id: instanceId,
            seq: 2,
            at,
            actor_id: cadre.actor.id,
            actor_kind: 'cadre',
            action: 'approve',
            from_state: 'submitted',
            to_state: 'approved',
            comment: null,
            detail: null,
            org_path: union.path,
            province_root: union.province_root,
          })),
        );
        await insertRows(
          trx as unknown as Untyped,
          'bare_audit',
          chunk.flatMap((instanceId, i) =>
            Array.from({ length: auditPerApproval }, (_, k) => ({
              seq: (c + i) * auditPerApproval + k,
              id: newId(),
              occurred_at: at,
              actor_id: cadre.actor.id,
              actor_kind: 'cadre',
              action: 'membership.join.approve',
              subject_type: 'workflow_instance',
              subject_id: instanceId,
              org_path: union.path,
              province_root: union.province_root,
              changes: null,
              request_id: null,
              prev_hash: hash,
              hash,
            })),
          ),
        );
      });
    }
    const bareMs = performance.now() - start;

    const perSecond = (ms: number) => fmt(Math.round((N / ms) * 1000));
    console.log(
      `  batch approve (real join approvals, audit chained): ${(batchMs / 1000).toFixed(2)} s  (${perSecond(batchMs)}/s)  goal ≤ 10 s for 10,000`,
    );
    console.log(`  each approval: ${auditPerApproval} audit events; ${fmt(members)} memberships with member numbers`);
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
    fs.rmSync(dataDir, { recursive: true, force: true });
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
