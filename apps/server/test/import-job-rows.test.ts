import fs from 'node:fs';
import path from 'node:path';
import { ROSTER_FIELDS } from '@zhgh/contracts';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, SYSTEM_ACTOR } from '../src/core/actor.ts';
import { createInProcessJobQueue, type JobQueue } from '../src/core/jobs/jobs.ts';
import { pgClientOf } from '../src/db/dialect.ts';
import type { OrganizationTable } from '../src/db/schema.ts';
import { makeOrg, makeTree } from './factories.ts';
import { createTestApp } from './harness.ts';
import { csvBytes, TEMPLATE_HEADERS, tempDir, validRosterRow, writeXlsx } from './import-files.ts';
import { PERSON_FIELD_CONTEXTS } from '../src/modules/members/members.policy.ts';
import {
  createMemberImportHandler,
  MEMBER_IMPORT_JOB,
  type MemberImportPayload,
} from '../src/modules/imports/member-import.job.ts';

/**
 * The import job run directly on the test database (as the benchmark runs it): what its bulk
 * write path stores — ciphertexts and blind indexes the members service reads back, the name
 * and initials copied onto each membership for search — problems in the file and against the
 * database, a cancel and resume between chunks of an xlsx, and a file error as its own code.
 */

const CHUNK = 4;
let t: Awaited<ReturnType<typeof createTestApp>>;
let tree: Awaited<ReturnType<typeof makeTree>>;
let jobs: JobQueue;
const tmp = tempDir();
const ctx = { actor: SYSTEM_ACTOR as Actor };

beforeAll(async () => {
  t = await createTestApp({ IMPORT_CHUNK_ROWS: String(CHUNK) });
  await t.app.core.jobs.stop();
  tree = await makeTree(t.app);
  const core = t.app.core;
  jobs = createInProcessJobQueue({ db: core.db, write: core.write, leaseMs: 60_000 });
  jobs.register(MEMBER_IMPORT_JOB, createMemberImportHandler(core));
});
afterAll(async () => {
  await t.close();
  tmp.remove();
});

function matrix(from: number, count: number, edit?: (row: Record<string, string>, i: number) => void): string[][] {
  const out = [TEMPLATE_HEADERS];
  for (let i = from; i < from + count; i++) {
    const r: Record<string, string> = validRosterRow(i);
    edit?.(r, i);
    out.push(ROSTER_FIELDS.map((f) => r[f]!));
  }
  return out;
}

let files = 0;
async function enqueue(union: OrganizationTable, name: string, bytes: Buffer | null, rows: number): Promise<string> {
  const dir = path.join(tmp.dir, `job-${++files}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, name);
  if (bytes) fs.writeFileSync(file, bytes);
  const payload: MemberImportPayload = {
    orgId: union.id,
    file,
    fileName: name,
    format: name.endsWith('.xlsx') ? 'xlsx' : 'csv',
    override: null,
    today: '2026-06-01',
    headers: TEMPLATE_HEADERS,
    actor: SYSTEM_ACTOR,
    readScope: [union.path],
    estimate: rows,
  };
  return jobs.enqueue(ctx, MEMBER_IMPORT_JOB, payload, { orgPath: union.path, total: rows });
}

const newUnion = () => makeOrg(t.app, { parent: tree.county, type: 'grassroots' });

describe('member.import', () => {
  it('imports a CSV chunk by chunk: problems in the file and against the database, readable keys, names for search', async () => {
    const union = await newUnion();
    // Row 3 is already a member of another union (under the same member number), row 5 has a
    // bad phone, row 9 repeats row 2's ID number.
    const other = await newUnion();
    const seed = await enqueue(other, 'seed.csv', csvBytes(matrix(9001, 1)), 1);
    await jobs.drain();
    expect((await jobs.get(seed))!.status).toBe('succeeded');
    const rows = matrix(9000, 10, (r, i) => {
      if (i === 9007) Object.assign(r, { idNumber: validRosterRow(9000).idNumber, gender: '', birthDate: '' });
      if (i === 9003) r.phone = '1380000';
    });
    const id = await enqueue(union, 'roster.csv', csvBytes(rows), 10);
    await jobs.drain();
    const job = (await jobs.get(id))!;
    expect(job.status).toBe('succeeded');
    expect(job.result).toEqual({
      rowsRead: 10,
      created: 7,
      alreadyMembers: 0,
      rowsWithProblems: 3,
      problemsByCode: { duplicate_in_database: 1, member_number_taken: 1, phone_invalid: 1, duplicate_id_number: 1 },
    });
    const problems = await t.database.db
      .selectFrom('import_problem')
      .select(['row_number', 'cells'])
      .where('job_id', '=', id)
      .orderBy('row_number')
      .execute();
    expect(problems.map((p) => p.row_number)).toEqual([3, 5, 9]);
    expect(JSON.parse(problems[0]!.cells)).toEqual(rows[2]);

    const { cipher, blind } = t.app.core;
    const first = validRosterRow(9000);
    const person = await t.database.db
      .selectFrom('person')
      .selectAll()
      .where('id_number_index', '=', blind.index(first.idNumber, PERSON_FIELD_CONTEXTS.idNumber))
      .executeTakeFirstOrThrow();
    expect(cipher.decrypt(person.id_number_cipher, PERSON_FIELD_CONTEXTS.idNumber)).toBe(first.idNumber);
    expect(cipher.decrypt(person.phone_cipher!, PERSON_FIELD_CONTEXTS.phone)).toBe(first.phone);
    expect(cipher.decrypt(person.bank_card_cipher!, PERSON_FIELD_CONTEXTS.bankCard)).toBe(first.bankCard);
    expect(person.phone_index).toBe(blind.index(first.phone, PERSON_FIELD_CONTEXTS.phone));
    expect(person.bank_card_index).toBe(blind.index(first.bankCard, PERSON_FIELD_CONTEXTS.bankCard));
    const membership = await t.database.db
      .selectFrom('membership')
      .select(['name', 'name_initials'])
      .where('person_id', '=', person.id)
      .executeTakeFirstOrThrow();
    expect(membership).toEqual({ name: person.name, name_initials: person.name_initials });
    expect(person.name_initials).not.toBe('');

    // The same file again: everyone is already a member, nothing is created twice.
    const again = await enqueue(union, 'roster.csv', csvBytes(rows), 10);
    await jobs.drain();
    expect((await jobs.get(again))!.result).toMatchObject({ created: 0, alreadyMembers: 7 });
  });

  it('brings the planner’s statistics up to date once a roster has grown the tables (SQLite)', async () => {
    const union = await newUnion();
    // Chunks of 550 rather than 4, so 1,100 rows make two transactions, not 275.
    const bulk = createInProcessJobQueue({ db: t.app.core.db, write: t.app.core.write, leaseMs: 60_000 });
    bulk.register(
      MEMBER_IMPORT_JOB,
      createMemberImportHandler({ ...t.app.core, config: { ...t.app.core.config, IMPORT_CHUNK_ROWS: 550 } }),
    );
    const dir = path.join(tmp.dir, 'job-statistics');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'large.csv');
    fs.writeFileSync(file, csvBytes(matrix(20_000, 1_100)));
    const id = await bulk.enqueue(
      ctx,
      MEMBER_IMPORT_JOB,
      {
        orgId: union.id,
        file,
        fileName: 'large.csv',
        format: 'csv',
        override: null,
        today: '2026-06-01',
        headers: TEMPLATE_HEADERS,
        actor: SYSTEM_ACTOR,
        readScope: [union.path],
        estimate: 1_100,
      } satisfies MemberImportPayload,
      { orgPath: union.path, total: 1_100 },
    );
    await bulk.drain();
    expect((await bulk.get(id))!.result).toMatchObject({ created: 1_100 });
    if (t.database.dialect !== 'sqlite') return; // PostgreSQL's autovacuum analyzes on its own.
    const counted = async (idx: string) =>
      Number.parseInt(
        (await sql<{ stat: string }>`select stat from sqlite_stat1 where idx = ${idx}`.execute(t.database.db)).rows[0]
          ?.stat ?? '0',
        10,
      );
    // The migrations analyzed empty tables; the import's end took them again.
    expect(await counted('membership_one_open')).toBeGreaterThanOrEqual(1_100);
    expect(await counted('person_birth_date')).toBeGreaterThanOrEqual(1_100);
  });

  it('stops at a cancel between chunks and resumes exactly after the last committed one', async () => {
    const union = await newUnion();
    const id = await enqueue(union, 'roster.xlsx', null, 11);
    await writeXlsx(path.join(tmp.dir, `job-${files}`, 'roster.xlsx'), matrix(9100, 11));
    const db = t.database;
    const trigger =
      db.dialect === 'postgres'
        ? [
            `create function zz_wcancel() returns trigger language plpgsql as $$ begin update job set cancel_requested = 1 where id = '${id}'; return null; end $$`,
            'create trigger zz_wcancel after insert on membership for each statement execute function zz_wcancel()',
          ]
        : [
            `create trigger zz_wcancel after insert on membership begin update job set cancel_requested = 1 where id = '${id}'; end`,
          ];
    const { sql } = await import('kysely');
    for (const s of trigger) await sql.raw(s).execute(db.db);
    await jobs.drain();
    if (db.dialect === 'postgres') {
      await sql.raw('drop trigger zz_wcancel on membership').execute(db.db);
      await sql.raw('drop function zz_wcancel()').execute(db.db);
    } else await sql.raw('drop trigger zz_wcancel').execute(db.db);
    expect((await jobs.get(id))!).toMatchObject({ status: 'cancelled', progressDone: CHUNK });

    await jobs.resume(ctx, id);
    await jobs.drain();
    const done = (await jobs.get(id))!;
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(done.result).toMatchObject({ rowsRead: 11, created: 11, rowsWithProblems: 0 });
    const members = await db.db
      .selectFrom('membership')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('org_id', '=', union.id)
      .executeTakeFirstOrThrow();
    expect(Number(members.n)).toBe(11);
  });

  it('stores backslashes, tabs, line breaks and quotes as read, in rows and in problems', async () => {
    const union = await newUnion();
    const odd = 'A\\B\tC\r\nD "E" \\N';
    const rows = matrix(9200, 2, (r, i) => {
      r.workUnitName = odd;
      if (i === 9201) r.phone = '1380000';
    });
    const id = await enqueue(union, 'roster.csv', csvBytes(rows), 2);
    await jobs.drain();
    expect((await jobs.get(id))!.result).toMatchObject({ created: 1, rowsWithProblems: 1 });
    const person = await t.database.db
      .selectFrom('person')
      .innerJoin('membership', 'membership.person_id', 'person.id')
      .select(['person.work_unit_name', 'person.work_unit_id'])
      .where('membership.org_id', '=', union.id)
      .executeTakeFirstOrThrow();
    // The text `\N` stays text; an absent value is null.
    expect(person).toEqual({ work_unit_name: odd, work_unit_id: null });
    const problem = await t.database.db
      .selectFrom('import_problem')
      .select('cells')
      .where('job_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(problem.cells)).toEqual(rows[2]);
    if (t.database.dialect === 'postgres') {
      // The bulk rows went through COPY on the transaction's own connection, not the fallback.
      const client = await t.database.db.transaction().execute((trx) => pgClientOf(trx as unknown as Kysely<unknown>));
      expect(client).not.toBeNull();
    }
  });

  it('leaves nothing of a chunk a unique index refuses, and the connection serves on', async () => {
    const union = await newUnion();
    const { sql } = await import('kysely');
    const db = t.database.db;
    // A stand-in for the race the duplicate lookups cannot see: the index has the last word.
    await sql
      .raw(`create unique index zz_once on person (work_unit_name) where work_unit_name = 'zz-once'`)
      .execute(db);
    try {
      const rows = matrix(9300, CHUNK + 2, (r, i) => {
        if (i >= 9300 + CHUNK) r.workUnitName = 'zz-once';
      });
      const id = await enqueue(union, 'roster.csv', csvBytes(rows), CHUNK + 2);
      await jobs.drain();
      expect((await jobs.get(id))!).toMatchObject({ status: 'failed', progressDone: CHUNK });
      const members = await db
        .selectFrom('membership')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('org_id', '=', union.id)
        .executeTakeFirstOrThrow();
      expect(Number(members.n)).toBe(CHUNK);
      const once = await db
        .selectFrom('person')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('work_unit_name', '=', 'zz-once')
        .executeTakeFirstOrThrow();
      expect(Number(once.n)).toBe(0);
    } finally {
      await sql.raw('drop index zz_once').execute(db);
    }
  });

  it('fails with the reader’s own error code when the file cannot be read', async () => {
    const union = await newUnion();
    const id = await enqueue(union, 'roster.xlsx', Buffer.from('PK\u0003\u0004 not a zip at all'), 3);
    await jobs.drain();
    expect((await jobs.get(id))!).toMatchObject({ status: 'failed', error: 'IMPORT_FILE_UNREADABLE' });
  });
});
