import fs from 'node:fs';
import path from 'node:path';
import { ERROR_REPORT_REASON_HEADER, type JobOutput, type MemberImportResult, ROSTER_FIELDS } from '@zhgh/contracts';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrganizationTable } from '../src/db/schema.ts';
import {
  type Agent,
  agent,
  errorOf,
  type FormPart,
  makeMember,
  makeOrg,
  makeTree,
  makeUser,
  postMultipart,
  signIn,
} from './factories.ts';
import { createTestApp, sql } from './harness.ts';
import { csvBytes, TEMPLATE_HEADERS, tempDir, validRosterRow, writeXlsx } from './import-files.ts';

/**
 * The roster import's write path, end to end through the API: the upload queues a job, the
 * job writes chunks (4 rows each here, so a dozen rows make several transactions), and the
 * jobs API and error report show the outcome. The background runner is stopped: each test
 * runs queued jobs with `drain`, so what happens when is deterministic.
 */

const IMPORT = '/api/imports/members';
const CHUNK = 4;

let t: Awaited<ReturnType<typeof createTestApp>>;
let tree: Awaited<ReturnType<typeof makeTree>>;
let cadre: Agent;
const tmp = tempDir();
const db = () => t.database.db;
const dialect = () => t.database.dialect;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_CHUNK_ROWS: String(CHUNK) });
  await t.app.core.jobs.stop();
  tree = await makeTree(t.app);
  cadre = await signIn(t.app, await makeUser(t.app, { org: tree.county, roles: ['grassroots_cadre'] }));
});
afterAll(async () => {
  await t.close();
  tmp.remove();
});

type Row = Record<(typeof ROSTER_FIELDS)[number], string>;

/** Roster rows `from` … `from + count - 1` (each index is a distinct valid person). */
function rows(from: number, count: number, edit?: (row: Row, i: number) => void): string[][] {
  const out: string[][] = [TEMPLATE_HEADERS];
  for (let i = from; i < from + count; i++) {
    const r = validRosterRow(i);
    edit?.(r, i);
    out.push(ROSTER_FIELDS.map((f) => r[f]));
  }
  return out;
}

const csv = (matrix: string[][]): FormPart => ({
  filename: '名册.csv',
  content: csvBytes(matrix),
  contentType: 'text/csv',
});

async function xlsx(matrix: string[][]): Promise<FormPart> {
  const file = tmp.file(`r${Math.random().toString(36).slice(2)}.xlsx`);
  await writeXlsx(file, matrix);
  return { filename: '名册.xlsx', content: fs.readFileSync(file) };
}

const newUnion = (parent: OrganizationTable = tree.county) => makeOrg(t.app, { parent, type: 'grassroots' });

async function upload(union: OrganizationTable, file: FormPart, a: Agent = cadre): Promise<JobOutput> {
  const res = await postMultipart(a, IMPORT, { orgId: union.id, file });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.json<JobOutput>();
}

async function job(id: string, a: Agent = cadre): Promise<JobOutput> {
  const res = await a.get(`/api/jobs/${id}`);
  expect(res.status).toBe(200);
  return res.json<JobOutput>();
}

/** Upload, run, and answer the finished job. */
async function importFile(union: OrganizationTable, file: FormPart): Promise<JobOutput> {
  const queued = await upload(union, file);
  await t.app.core.jobs.drain();
  return job(queued.id);
}

const resultOf = (j: JobOutput) => j.result as MemberImportResult;

async function memberTotal(union: OrganizationTable): Promise<number> {
  const res = await cadre.get(`/api/members?orgId=${union.id}&pageSize=200`);
  expect(res.status).toBe(200);
  return res.json<{ total: number }>().total;
}

async function count(table: 'person' | 'membership' | 'import_problem', where?: [string, string]): Promise<number> {
  let q = db()
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'));
  if (where) q = q.where(sql.ref(where[0]), '=', where[1]);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

async function importAudits(jobId: string) {
  return db()
    .selectFrom('audit_event')
    .select(['action', 'changes', 'actor_id'])
    .where('subject_id', '=', jobId)
    .where('action', '=', 'member.import')
    .orderBy('seq')
    .execute();
}

async function problemsOf(jobId: string) {
  const list = await db()
    .selectFrom('import_problem')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('row_number')
    .execute();
  return list.map((p) => ({
    row: p.row_number,
    cells: JSON.parse(p.cells) as string[],
    codes: (JSON.parse(p.problems) as { code: string; message: { 'zh-CN': string } }[]).map((x) => x.code),
    messages: (JSON.parse(p.problems) as { message: { 'zh-CN': string } }[]).map((x) => x.message['zh-CN']),
  }));
}

/** Run a statement on the test database (triggers for fault injection). */
const exec = (text: string) => sql.raw(text).execute(db());

/** After the first chunk's memberships are inserted, the job is asked to stop: as a user pressing cancel mid-run. */
async function cancelAfterFirstChunk(jobId: string): Promise<() => Promise<void>> {
  if (dialect() === 'postgres') {
    await exec(
      `create function zz_cancel() returns trigger language plpgsql as $$ begin update job set cancel_requested = 1 where id = '${jobId}'; return null; end $$`,
    );
    await exec('create trigger zz_cancel after insert on membership for each statement execute function zz_cancel()');
    return async () => {
      await exec('drop trigger zz_cancel on membership');
      await exec('drop function zz_cancel()');
    };
  }
  await exec(
    `create trigger zz_cancel after insert on membership begin update job set cancel_requested = 1 where id = '${jobId}'; end`,
  );
  return async () => void (await exec('drop trigger zz_cancel'));
}

/** Inserting a person of this name fails inside the database: a crash in the middle of a chunk. */
async function failOnName(name: string): Promise<() => Promise<void>> {
  if (dialect() === 'postgres') {
    await exec(
      `create function zz_fail() returns trigger language plpgsql as $$ begin if new.name = '${name}' then raise exception 'injected failure'; end if; return new; end $$`,
    );
    await exec('create trigger zz_fail before insert on person for each row execute function zz_fail()');
    return async () => {
      await exec('drop trigger zz_fail on person');
      await exec('drop function zz_fail()');
    };
  }
  await exec(
    `create trigger zz_fail before insert on person when new.name = '${name}' begin select raise(abort, 'injected failure'); end`,
  );
  return async () => void (await exec('drop trigger zz_fail'));
}

describe('POST /api/imports/members', () => {
  it('requires authentication and member.import', async () => {
    const form = { orgId: tree.grassroots.id, file: csv(rows(0, 1)) };
    expect(errorOf(await postMultipart(agent(t.app), IMPORT, form))).toMatchObject({ status: 401 });
    const finance = await signIn(t.app, await makeUser(t.app, { org: tree.county, roles: ['finance_officer'] }));
    expect(errorOf(await postMultipart(finance, IMPORT, form))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('answers 404 for a union outside the scope, as for one that does not exist', async () => {
    const outside = await newUnion(tree.sibling);
    const a = await postMultipart(cadre, IMPORT, { orgId: outside.id, file: csv(rows(0, 1)) });
    const b = await postMultipart(cadre, IMPORT, { orgId: 'no-such-union', file: csv(rows(0, 1)) });
    expect(errorOf(a)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(errorOf(b)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('names the field of bad input and refuses what cannot be imported before queueing anything', async () => {
    const jobsBefore = await count('membership');
    expect(errorOf(await postMultipart(cadre, IMPORT, { orgId: tree.grassroots.id }))).toMatchObject({
      status: 400,
      fields: ['body.file'],
    });
    expect(errorOf(await postMultipart(cadre, IMPORT, { file: csv(rows(0, 1)) }))).toMatchObject({
      status: 400,
      fields: ['body.orgId'],
    });
    const noId = rows(0, 1).map((r) => r.filter((_, i) => i !== 1));
    expect(errorOf(await postMultipart(cadre, IMPORT, { orgId: tree.grassroots.id, file: csv(noId) }))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: ['body.file'],
    });
    expect(
      errorOf(await postMultipart(cadre, IMPORT, { orgId: tree.grassroots.id, file: csv([[''], ['']]) })),
    ).toMatchObject({ status: 400, code: 'IMPORT_FILE_EMPTY' });
    // A federation takes no members directly.
    expect(errorOf(await postMultipart(cadre, IMPORT, { orgId: tree.county.id, file: csv(rows(0, 1)) }))).toMatchObject(
      { code: 'MEMBER_ORG_NOT_ELIGIBLE' },
    );
    const queued = await db().selectFrom('job').select('id').where('kind', '=', 'member.import').execute();
    expect(queued).toEqual([]);
    expect(await count('membership')).toBe(jobsBefore);
  });

  it('imports a CSV in chunks: counts, members visible, one audit event per chunk, file removed', async () => {
    const union = await newUnion();
    const queued = await upload(union, csv(rows(100, 10)));
    expect(queued).toMatchObject({ kind: 'member.import', status: 'queued', orgId: union.id });
    expect(queued.progress.total).toBe(10);
    const dir = path.join(t.app.core.config.DATA_DIR, 'imports', queued.id);
    expect(fs.existsSync(dir)).toBe(true);
    await t.app.core.jobs.drain();
    const done = await job(queued.id);
    expect(done).toMatchObject({ status: 'succeeded', progress: { done: 10, total: 10 }, error: null });
    expect(done.result).toEqual({
      rowsRead: 10,
      created: 10,
      alreadyMembers: 0,
      rowsWithProblems: 0,
      problemsByCode: {},
    });
    expect(await memberTotal(union)).toBe(10);
    const audits = await importAudits(queued.id);
    expect(audits).toHaveLength(3);
    const changes = audits.map((a) => JSON.parse(a.changes ?? '[]') as { field: string; to: unknown }[]);
    expect(changes.map((c) => c.find((x) => x.field === 'rows')!.to)).toEqual(['2-5', '6-9', '10-11']);
    expect(changes.map((c) => (c.find((x) => x.field === 'personIds')!.to as string[]).length)).toEqual([4, 4, 2]);
    expect(audits.every((a) => a.actor_id === done.createdBy)).toBe(true);
    expect(fs.existsSync(dir)).toBe(false);

    // Sensitive fields are stored encrypted and found by their blind index, as a registration stores them.
    const first = validRosterRow(100);
    const search = await cadre.get(`/api/members?q=${first.idNumber}`);
    expect(search.json<{ total: number; items: { name: string; memberNumber: string }[] }>()).toMatchObject({
      total: 1,
      items: [{ memberNumber: first.memberNumber }],
    });
    const stored = await db().selectFrom('person').selectAll().where('name', '=', first.name).execute();
    expect(JSON.stringify(stored)).not.toContain(first.idNumber);
    expect(JSON.stringify(stored)).not.toContain(first.phone);

    // The same file again creates nothing: everyone is already a member of this union.
    const again = await importFile(union, csv(rows(100, 10)));
    expect(resultOf(again)).toMatchObject({ rowsRead: 10, created: 0, alreadyMembers: 10, rowsWithProblems: 0 });
    expect(await memberTotal(union)).toBe(10);
  });

  it('imports an xlsx and generates member numbers for rows without one', async () => {
    const union = await newUnion();
    const done = await importFile(
      union,
      await xlsx(
        rows(200, 6, (r, i) => {
          if (i % 2 === 0) r.memberNumber = '';
          if (i === 201) r.joinDate = '';
        }),
      ),
    );
    expect(done.status).toBe('succeeded');
    expect(resultOf(done)).toMatchObject({ rowsRead: 6, created: 6, rowsWithProblems: 0 });
    const numbers = await db()
      .selectFrom('membership')
      .select(['member_number', 'started_on'])
      .where('org_id', '=', union.id)
      .orderBy('member_number')
      .execute();
    // Generated: the year of import and an 8-digit sequence (the roster's own are M…).
    expect(numbers.filter((n) => /^20\d{10}$/.test(n.member_number!))).toHaveLength(3);
    expect(numbers.filter((n) => n.started_on === numbers[0]!.started_on).length).toBeGreaterThan(0);
    expect(new Set(numbers.map((n) => n.member_number)).size).toBe(6);
  });

  it('reports duplicates in the file and against the database, naming another union only inside the importer’s scope', async () => {
    const union = await newUnion();
    const inScope = await newUnion();
    const outOfScope = await newUnion(tree.sibling);
    const base = 300;
    const r = (i: number) => validRosterRow(base + i);
    await makeMember(t.app, { org: inScope, idNumber: r(1).idNumber });
    await makeMember(t.app, { org: outOfScope, idNumber: r(2).idNumber });
    await makeMember(t.app, { org: inScope, phone: r(3).phone });
    await makeMember(t.app, { org: outOfScope, memberNumber: r(4).memberNumber });
    const matrix = rows(base, 7, (row, i) => {
      // Row 7 is row 2's person again.
      if (i === base + 5)
        Object.assign(row, { idNumber: r(0).idNumber, birthDate: r(0).birthDate, gender: r(0).gender });
      // Row 8 (the second chunk) takes row 2's member number, committed with the first chunk.
      if (i === base + 6) row.memberNumber = r(0).memberNumber;
    });
    const done = await importFile(union, csv(matrix));
    expect(done.status).toBe('succeeded');
    const problems = await problemsOf(done.id);
    expect(problems.map((p) => [p.row, p.codes])).toEqual([
      [3, ['duplicate_in_database']],
      [4, ['duplicate_in_database']],
      [5, ['phone_taken']],
      [6, ['member_number_taken']],
      [7, ['duplicate_id_number']],
      [8, ['member_number_taken']],
    ]);
    expect(problems[0]!.messages[0]).toContain(`「${inScope.name}」`);
    expect(problems[1]!.messages[0]).not.toContain(outOfScope.name);
    expect(problems[1]!.messages[0]).toContain('其他工会');
    // Rows keep their cells as uploaded.
    expect(problems[0]!.cells).toEqual(matrix[2]);
    expect(resultOf(done)).toEqual({
      rowsRead: 7,
      created: 1,
      alreadyMembers: 0,
      rowsWithProblems: 6,
      problemsByCode: { duplicate_in_database: 2, phone_taken: 1, member_number_taken: 2, duplicate_id_number: 1 },
    });
  });

  it('reports a member number repeated inside one chunk', async () => {
    const union = await newUnion();
    const done = await importFile(
      union,
      csv(rows(400, 3, (row, i) => i === 401 && (row.memberNumber = validRosterRow(400).memberNumber))),
    );
    expect((await problemsOf(done.id)).map((p) => [p.row, p.codes])).toEqual([[3, ['duplicate_member_number']]]);
    expect(resultOf(done)).toMatchObject({ created: 2, rowsWithProblems: 1 });
  });

  it('reuses the person row of someone without an open membership', async () => {
    const union = await newUnion();
    const r = validRosterRow(450);
    const before = await makeMember(t.app, { org: await newUnion(), idNumber: r.idNumber });
    await db()
      .updateTable('membership')
      .set({ ended_on: '2025-01-01', status: 'withdrawn' })
      .where('person_id', '=', before.person.id)
      .execute();
    const personsBefore = await count('person');
    const done = await importFile(union, csv(rows(450, 1)));
    expect(resultOf(done)).toMatchObject({ created: 1, rowsWithProblems: 0 });
    expect(await count('person')).toBe(personsBefore);
    const open = await db()
      .selectFrom('membership')
      .select(['person_id', 'org_id'])
      .where('person_id', '=', before.person.id)
      .where('ended_on', 'is', null)
      .execute();
    expect(open).toEqual([{ person_id: before.person.id, org_id: union.id }]);
  });

  it('stops at a cancel between chunks and resumes to exact totals, without duplicates', async () => {
    const union = await newUnion();
    const matrix = rows(500, 11, (row, i) => i === 509 && (row.phone = '123'));
    const queued = await upload(union, csv(matrix));
    const undo = await cancelAfterFirstChunk(queued.id);
    await t.app.core.jobs.drain();
    await undo();
    const stopped = await job(queued.id);
    expect(stopped).toMatchObject({ status: 'cancelled', progress: { done: CHUNK, total: 11 } });
    expect(await memberTotal(union)).toBe(CHUNK);
    expect(fs.existsSync(path.join(t.app.core.config.DATA_DIR, 'imports', queued.id))).toBe(true);

    const resumed = await cadre.post(`/api/jobs/${queued.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.json<JobOutput>().status).toBe('queued');
    await t.app.core.jobs.drain();
    const done = await job(queued.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, progress: { done: 11, total: 11 } });
    expect(done.result).toEqual({
      rowsRead: 11,
      created: 10,
      alreadyMembers: 0,
      rowsWithProblems: 1,
      problemsByCode: { phone_invalid: 1 },
    });
    expect(await memberTotal(union)).toBe(10);
    expect(await count('membership', ['org_id', union.id])).toBe(10);
    expect((await problemsOf(queued.id)).map((p) => p.row)).toEqual([11]);
    expect(await importAudits(queued.id)).toHaveLength(3);
  });

  it('rolls a failing chunk back whole, and a resume finishes it exactly', async () => {
    const union = await newUnion();
    const victim = '故障测试';
    // Rows 2–5 chunk one, 6–9 chunk two (with a bad row 6 and the failing person in row 8).
    const matrix = rows(600, 10, (row, i) => {
      if (i === 604) row.ethnicity = '火星族';
      if (i === 606) row.name = victim;
    });
    const queued = await upload(union, csv(matrix));
    const undo = await failOnName(victim);
    await t.app.core.jobs.drain();
    await undo();
    const failed = await job(queued.id);
    expect(failed).toMatchObject({
      status: 'failed',
      progress: { done: CHUNK },
      error: { code: 'INTERNAL' },
    });
    expect(JSON.stringify(failed.error)).not.toContain('injected');
    // Nothing of chunk two: no person, no membership, no problem row, no audit event.
    expect(await count('membership', ['org_id', union.id])).toBe(CHUNK);
    expect(await count('person', ['name', victim])).toBe(0);
    expect(await problemsOf(queued.id)).toEqual([]);
    expect(await importAudits(queued.id)).toHaveLength(1);

    expect((await cadre.post(`/api/jobs/${queued.id}/resume`)).status).toBe(200);
    await t.app.core.jobs.drain();
    const done = await job(queued.id);
    expect(done.status).toBe('succeeded');
    expect(done.result).toEqual({
      rowsRead: 10,
      created: 9,
      alreadyMembers: 0,
      rowsWithProblems: 1,
      problemsByCode: { code_unknown: 1 },
    });
    expect(await count('membership', ['org_id', union.id])).toBe(9);
    expect(await count('person', ['name', victim])).toBe(1);
    expect((await problemsOf(queued.id)).map((p) => p.row)).toEqual([6]);
  });
});

describe('kept upload files', () => {
  it('stay for a resume, and go once the job succeeded or was left alone for a week', async () => {
    const union = await newUnion();
    const root = path.join(t.app.core.config.DATA_DIR, 'imports');
    const old = await upload(union, csv(rows(900, 2)));
    const recent = await upload(union, csv(rows(902, 2)));
    for (const j of [old, recent]) expect((await cadre.post(`/api/jobs/${j.id}/cancel`)).status).toBe(200);
    await db()
      .updateTable('job')
      .set({ finished_at: new Date(Date.now() - 8 * 86_400_000).toISOString() })
      .where('id', '=', old.id)
      .execute();
    const succeededDir = path.join(root, 'finished-elsewhere');
    fs.mkdirSync(succeededDir);
    await t.app.services.imports.sweepImportFiles();
    expect(fs.existsSync(path.join(root, old.id))).toBe(false);
    expect(fs.existsSync(path.join(root, recent.id))).toBe(true);
    // A folder without a job may be an upload whose job is being queued: kept while young.
    expect(fs.existsSync(succeededDir)).toBe(true);
    // The recent one still resumes and imports.
    await cadre.post(`/api/jobs/${recent.id}/resume`);
    await t.app.core.jobs.drain();
    expect(resultOf(await job(recent.id))).toMatchObject({ created: 2 });
    expect(fs.existsSync(path.join(root, recent.id))).toBe(false);
  });
});

describe('GET /api/imports/:jobId/error-report', () => {
  it('hands back the rejected rows with their reasons; the fixed report imports the rest', async () => {
    const union = await newUnion();
    const bad = new Map<number, (row: Row) => void>([
      [701, (row) => (row.idNumber = row.idNumber.slice(0, 17) + (row.idNumber[17] === '1' ? '2' : '1'))],
      [703, (row) => ((row.phone = '12345'), (row.education = '博士后'))],
      [706, (row) => (row.phone = validRosterRow(700).phone)],
    ]);
    const matrix = rows(700, 8, (row, i) => bad.get(i)?.(row));
    const done = await importFile(union, csv(matrix));
    expect(resultOf(done)).toMatchObject({ created: 5, rowsWithProblems: 3 });

    const res = await t.app.inject({
      method: 'GET',
      url: `/api/imports/${done.id}/error-report`,
      headers: { cookie: `zhgh_sid=${cadre.cookie}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toContain(encodeURIComponent('名册-错误报告.xlsx'));
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    const values: string[][] = [];
    sheet.eachRow((row) => values.push(Array.from((row.values as unknown[]).slice(1), (v) => String(v ?? ''))));
    expect(values[0]).toEqual([...TEMPLATE_HEADERS, ERROR_REPORT_REASON_HEADER]);
    expect(values.slice(1).map((v) => v.slice(0, -1))).toEqual([matrix[2], matrix[4], matrix[7]]);
    expect(values[1]!.at(-1)).toMatch(/^第 3 行：身份证号校验位不正确/);
    expect(values[2]!.at(-1)).toContain('手机号码应为 11 位');
    expect(values[2]!.at(-1)).toContain('；');
    expect(values[3]!.at(-1)).toContain('与第 2 行重复');

    // Fix the rows in the report and upload it as it is (reason column included).
    const fixed = new ExcelJS.Workbook();
    await fixed.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const fs2 = fixed.worksheets[0]!;
    const col = (h: string) => TEMPLATE_HEADERS.indexOf(h) + 1;
    fs2.getRow(2).getCell(col(TEMPLATE_HEADERS[1]!)).value = validRosterRow(701).idNumber;
    fs2.getRow(3).getCell(col(TEMPLATE_HEADERS[9]!)).value = validRosterRow(703).phone;
    fs2.getRow(3).getCell(col(TEMPLATE_HEADERS[6]!)).value = '本科';
    fs2.getRow(4).getCell(col(TEMPLATE_HEADERS[9]!)).value = validRosterRow(706).phone;
    const file = tmp.file('fixed.xlsx');
    await fixed.xlsx.writeFile(file);
    const again = await importFile(union, { filename: '名册-错误报告.xlsx', content: fs.readFileSync(file) });
    expect(resultOf(again)).toEqual({
      rowsRead: 3,
      created: 3,
      alreadyMembers: 0,
      rowsWithProblems: 0,
      problemsByCode: {},
    });
    expect(await memberTotal(union)).toBe(8);
  });

  it('answers 404 outside the member.import scope, for other kinds of job and for unknown ids', async () => {
    const union = await newUnion();
    const done = await importFile(union, csv(rows(800, 1)));
    const stranger = await signIn(t.app, await makeUser(t.app, { org: tree.sibling, roles: ['grassroots_cadre'] }));
    const notFound = await cadre.get('/api/imports/no-such-job/error-report');
    expect(errorOf(notFound)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(errorOf(await stranger.get(`/api/imports/${done.id}/error-report`))).toMatchObject({ status: 404 });
    expect((await stranger.get(`/api/imports/${done.id}/error-report`)).body).toMatchObject({
      error: { code: 'NOT_FOUND' },
    });
    const finance = await signIn(t.app, await makeUser(t.app, { org: tree.county, roles: ['finance_officer'] }));
    expect(errorOf(await finance.get(`/api/imports/${done.id}/error-report`))).toMatchObject({ status: 403 });
    expect(errorOf(await agent(t.app).get(`/api/imports/${done.id}/error-report`))).toMatchObject({ status: 401 });
  });
});
