import fs from 'node:fs';
import path from 'node:path';
import {
  CSV_CONTENT_TYPE,
  MEMBER_EXPORT_EXTRA_LABELS,
  ROSTER_FIELD_LABELS,
  ROSTER_FIELDS,
  UNION_EXPORT_COLUMNS,
  XLSX_CONTENT_TYPE,
} from '@zhgh/contracts';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { maskBankCard, maskIdNumber, maskName, maskPhone } from '../src/core/crypto/mask.ts';
import { newId } from '../src/core/ids.ts';
import type { MembershipTable, OrganizationTable, PersonTable } from '../src/db/schema.ts';
import { SESSION_COOKIE } from '../src/modules/auth/auth.service.ts';
import { csvLine } from '../src/modules/exports/export-file.ts';
import { EXPORT_PAGE_ROWS } from '../src/modules/exports/exports.service.ts';
import { defuseFormula } from '../src/modules/exports/exports.policy.ts';
import { nameInitials, PERSON_FIELD_CONTEXTS } from '../src/modules/members/members.policy.ts';
import { membersRepository } from '../src/modules/members/members.repository.ts';
import {
  type Agent,
  agent,
  errorOf,
  makeMember,
  makeOrg,
  makeRole,
  makeTree,
  makeUser,
  makeWorkUnit,
  randomIdNumber,
  signIn,
  type TestUser,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

const clock = createTestClock();
let t: Awaited<ReturnType<typeof createTestApp>>;
let tree: Awaited<ReturnType<typeof makeTree>>;
/** member.export at the home county, without the sensitive permission. */
let exporter: Agent;
let exporterUser: TestUser;
let colleagueUser: TestUser;
/** A second exporter at the same county: must not download the first one's files. */
let colleague: Agent;
/** member.export and member.exportSensitive at the home county. */
let sensitive: Agent;
/** member.export at the sibling county only. */
let outsider: Agent;
/** member.read only. */
let reader: Agent;
let union: OrganizationTable;
let home: Awaited<ReturnType<typeof makeMember>>[];
const BANK_CARD = '6222021234567890128';
const sys = { actor: SYSTEM_ACTOR };

const jobs = () => t.app.core.jobs;

async function makeExporter(permissions: string[], org: OrganizationTable): Promise<TestUser> {
  const role = await makeRole(t.app, permissions);
  return makeUser(t.app, { org, roles: [role.code], totp: true });
}
async function asUser(permissions: string[], org: OrganizationTable): Promise<Agent> {
  return signIn(t.app, await makeExporter(permissions, org));
}

/** Ask for an export, run the queue, and answer the finished job's id. */
async function exported(a: Agent, url: string, body: Record<string, unknown>): Promise<string> {
  const res = await a.post(url, body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const id = res.json<{ id: string }>().id;
  await jobs().drain();
  const job = (await jobs().get(id))!;
  expect(job.status, JSON.stringify(job)).toBe('succeeded');
  return id;
}

/** A download, with its bytes intact (the agent helper reads bodies as text). */
async function download(a: Agent | null, jobId: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/exports/${jobId}/file`,
    headers: a?.cookie ? { cookie: `${SESSION_COOKIE}=${a.cookie}` } : {},
  });
  let json: { error?: { code: string } } | null = null;
  try {
    json = JSON.parse(res.body) as { error?: { code: string } };
  } catch {
    // a file
  }
  return { status: res.statusCode, headers: res.headers, bytes: res.rawPayload, json };
}

async function readXlsx(bytes: Buffer): Promise<string[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const sheet = wb.worksheets[0]!;
  const rows: string[][] = [];
  sheet.eachRow((row) => {
    const cells: string[] = [];
    for (let c = 1; c <= sheet.columnCount; c++) {
      const v = row.getCell(c).value;
      cells.push(v === null || v === undefined ? '' : String(v));
    }
    rows.push(cells);
  });
  return rows;
}

/** RFC 4180 CSV, enough for the files the export writes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  return rows;
}

const col = (field: (typeof ROSTER_FIELDS)[number]) => ROSTER_FIELDS.indexOf(field);
const memberHeader = [
  ...ROSTER_FIELDS.map((f) => ROSTER_FIELD_LABELS[f].zh),
  MEMBER_EXPORT_EXTRA_LABELS.orgName.zh,
  MEMBER_EXPORT_EXTRA_LABELS.status.zh,
];

beforeAll(async () => {
  t = await createTestApp({}, { now: clock.now });
  // Jobs run only when a test drains the queue: each test sees its job in a known state.
  await jobs().stop();
  tree = await makeTree(t.app);
  union = tree.grassroots;
  const unit = await makeWorkUnit(t.app, { org: union, name: '秦川机床厂' });
  home = [
    await makeMember(t.app, { org: union, name: '王小明', bankCard: BANK_CARD, workUnitId: unit.id }),
    // Cells a spreadsheet would run as formulas, and a value CSV must quote.
    await makeMember(t.app, { org: union, name: '李四', workUnitName: '=HYPERLINK("http://evil.example","点我")' }),
    await makeMember(t.app, { org: union, name: '赵六', workUnitName: '+1+2' }),
    await makeMember(t.app, { org: union, name: '钱七', workUnitName: '@SUM(A1), "逗号"' }),
    await makeMember(t.app, {
      org: union,
      name: '孙八',
      workUnitName: '-2+3',
      employmentType: 'new_form',
      newFormGroup: 'delivery_rider',
    }),
  ];
  const siblingUnion = await makeOrg(t.app, { parent: tree.sibling, type: 'grassroots' });
  await makeMember(t.app, { org: siblingUnion, name: '周邻居' });
  exporterUser = await makeExporter(['member.export'], tree.county);
  exporter = await signIn(t.app, exporterUser);
  colleagueUser = await makeExporter(['member.export'], tree.county);
  colleague = await signIn(t.app, colleagueUser);
  sensitive = await asUser(['member.export', 'member.exportSensitive'], tree.county);
  outsider = await asUser(['member.export', 'member.exportSensitive'], tree.sibling);
  reader = await asUser(['member.read'], tree.county);
});

afterAll(async () => {
  await t?.close();
});

describe('POST /api/exports/members', () => {
  it('requires a session and member.export', async () => {
    expect(errorOf(await agent(t.app).post('/api/exports/members', { orgId: tree.county.id, format: 'xlsx' }))).toEqual(
      { status: 401, code: 'UNAUTHENTICATED', fields: [] },
    );
    const res = await reader.post('/api/exports/members', { orgId: tree.county.id, format: 'xlsx' });
    expect(errorOf(res)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('answers 404 outside the scope, as for a missing organization', async () => {
    const outside = await outsider.post('/api/exports/members', { orgId: tree.county.id, format: 'xlsx' });
    const missing = await outsider.post('/api/exports/members', { orgId: newId(), format: 'xlsx' });
    expect(errorOf(outside)).toEqual({ status: 404, code: 'NOT_FOUND', fields: [] });
    expect(errorOf(missing)).toEqual(errorOf(outside));
    // Above the grant is outside too.
    expect((await exporter.post('/api/exports/members', { orgId: tree.city.id, format: 'csv' })).status).toBe(404);
  });

  it('names the field of bad input', async () => {
    expect(
      errorOf(await exporter.post('/api/exports/members', { orgId: tree.county.id, format: 'pdf' })),
    ).toMatchObject({
      status: 400,
      fields: ['body.format'],
    });
    expect(errorOf(await exporter.post('/api/exports/members', { format: 'csv' })).fields).toEqual(['body.orgId']);
    expect(
      errorOf(await exporter.post('/api/exports/members', { orgId: tree.county.id, format: 'csv', gender: 'x' }))
        .fields,
    ).toEqual(['body.gender']);
    expect(
      errorOf(await exporter.post('/api/exports/members', { orgId: tree.county.id, format: 'csv', extra: 1 })).fields,
    ).toEqual(['body.extra']);
  });

  it('refuses a sensitive export without member.exportSensitive, naming body.sensitive', async () => {
    const res = await exporter.post('/api/exports/members', { orgId: tree.county.id, format: 'xlsx', sensitive: true });
    expect(errorOf(res)).toEqual({ status: 403, code: 'FORBIDDEN', fields: ['body.sensitive'] });
  });

  it('exports the subtree masked as xlsx: Chinese headers, labels, text columns, formulas defused', async () => {
    const res = await exporter.post('/api/exports/members', { orgId: tree.county.id, format: 'xlsx' });
    expect(res.status).toBe(202);
    const job = res.json<{ id: string; kind: string; status: string; orgId: string; progress: unknown }>();
    expect(job).toMatchObject({ kind: 'export.members', status: 'queued', orgId: tree.county.id });
    // Not finished: nothing to download yet.
    expect((await download(exporter, job.id)).status).toBe(404);
    await jobs().drain();
    expect(await jobs().get(job.id)).toMatchObject({
      status: 'succeeded',
      progressDone: home.length,
      progressTotal: home.length,
      result: { rows: home.length, format: 'xlsx', sensitive: false },
    });

    const file = await download(exporter, job.id);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe(XLSX_CONTENT_TYPE);
    expect(String(file.headers['content-disposition'])).toContain(encodeURIComponent('会员名册'));
    const rows = await readXlsx(file.bytes);
    expect(rows[0]).toEqual(memberHeader);
    const body = rows.slice(1);
    expect(body).toHaveLength(home.length);
    // Subtree only: the sibling county's member is absent.
    expect(body.map((r) => r[col('name')])).not.toContain(maskName('周邻居'));
    const wang = body.find((r) => r[col('name')] === maskName('王小明'))!;
    expect(wang[col('idNumber')]).toBe(maskIdNumber(home[0]!.idNumber));
    expect(wang[col('phone')]).toBe(maskPhone(home[0]!.phone!));
    expect(wang[col('bankCard')]).toBe(maskBankCard(BANK_CARD));
    expect(wang[col('birthDate')]).toMatch(/^\d{4}-\*\*-\*\*$/);
    expect(wang[col('ethnicity')]).toBe('汉族');
    expect(wang[col('education')]).toBe('本科');
    expect(wang[col('employmentType')]).toBe('固定职工');
    expect(wang[col('workUnitName')]).toBe('秦川机床厂');
    expect(wang[col('joinDate')]).toBe('2024-03-01');
    expect(wang.at(-2)).toBe(union.name);
    expect(wang.at(-1)).toBe('正常');
    const sun = body.find((r) => r[col('name')] === maskName('孙八'))!;
    expect(sun[col('newFormGroup')]).toBe('外卖送餐员');
    // Formula injection: every risky cell starts with an apostrophe.
    const units = body.map((r) => r[col('workUnitName')]);
    expect(units).toContain(`'=HYPERLINK("http://evil.example","点我")`);
    expect(units).toContain(`'+1+2`);
    expect(units).toContain(`'-2+3`);
    expect(units).toContain(`'@SUM(A1), "逗号"`);
    // ID numbers are text cells, never numbers Excel could round.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file.bytes as unknown as ArrayBuffer);
    const idCell = wb.worksheets[0]!.getRow(2).getCell(col('idNumber') + 1);
    expect(typeof idCell.value).toBe('string');
    expect(idCell.numFmt).toBe('@');
  });

  it('exports in full as CSV with the sensitive permission: BOM, CRLF, quoting, defused', async () => {
    const id = await exported(sensitive, '/api/exports/members', {
      orgId: tree.county.id,
      format: 'csv',
      sensitive: true,
    });
    const file = await download(sensitive, id);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe(CSV_CONTENT_TYPE);
    expect([...file.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = file.bytes.toString('utf8').slice(1);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replaceAll('\r\n', '')).not.toContain('\n');
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(memberHeader);
    expect(rows).toHaveLength(home.length + 1);
    const wang = rows.find((r) => r[col('name')] === '王小明')!;
    expect(wang[col('idNumber')]).toBe(home[0]!.idNumber);
    expect(wang[col('phone')]).toBe(home[0]!.phone);
    expect(wang[col('bankCard')]).toBe(BANK_CARD);
    expect(wang[col('birthDate')]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // Quoted where it holds a comma or quotes, and defused inside the quotes.
    expect(text).toContain(`"'@SUM(A1), ""逗号"""`);
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""点我"")"`);
    expect(rows.map((r) => r[col('name')])).not.toContain('周邻居');
  });

  it('applies the member-list filters, searching ID numbers by blind index', async () => {
    const id = await exported(exporter, '/api/exports/members', {
      orgId: tree.county.id,
      format: 'csv',
      q: home[0]!.idNumber,
    });
    const rows = parseCsv((await download(exporter, id)).bytes.toString('utf8').slice(1));
    expect(rows.slice(1).map((r) => r[col('name')])).toEqual([maskName('王小明')]);
    const byType = await exported(exporter, '/api/exports/members', {
      orgId: tree.county.id,
      format: 'csv',
      employmentType: 'new_form',
    });
    const typed = parseCsv((await download(exporter, byType)).bytes.toString('utf8').slice(1));
    expect(typed.slice(1).map((r) => r[col('name')])).toEqual([maskName('孙八')]);
    // The job's payload holds no plaintext ID number.
    const job = await t.database.db.selectFrom('job').select('payload').where('id', '=', id).executeTakeFirstOrThrow();
    expect(job.payload).not.toContain(home[0]!.idNumber);
  });

  it('lets only the requester download, while in scope', async () => {
    const id = await exported(exporter, '/api/exports/members', { orgId: tree.county.id, format: 'csv' });
    const notFound = await download(colleague, id);
    expect(notFound.status).toBe(404);
    expect(notFound.json?.error?.code).toBe('NOT_FOUND');
    expect((await download(outsider, id)).status).toBe(404);
    expect((await download(reader, id)).status).toBe(403);
    expect((await download(null, id)).status).toBe(401);
    expect((await download(exporter, newId())).status).toBe(404);
    expect((await download(exporter, id)).status).toBe(200);
  });

  it('reads page by page: every member once across page and union boundaries', async () => {
    const big = await makeOrg(t.app, { parent: tree.county, type: 'grassroots' });
    const other = await makeOrg(t.app, { parent: tree.county, type: 'grassroots' });
    const count = EXPORT_PAGE_ROWS * 2 + 17;
    await insertMembers(big, Math.floor(count / 2));
    await insertMembers(other, count - Math.floor(count / 2));
    const id = await exported(exporter, '/api/exports/members', { orgId: tree.county.id, format: 'csv' });
    const rows = parseCsv((await download(exporter, id)).bytes.toString('utf8').slice(1)).slice(1);
    expect(rows).toHaveLength(count + home.length);
    const ids = new Set(rows.map((r) => `${r[col('idNumber')]}|${r[col('name')]}|${r[col('memberNumber')]}`));
    expect(ids.size).toBe(rows.length);
    expect((await jobs().get(id))!.progressDone).toBe(count + home.length);
    // The same members in the xlsx format.
    const x = await exported(exporter, '/api/exports/members', { orgId: big.id, format: 'xlsx' });
    expect((await readXlsx((await download(exporter, x)).bytes)).length).toBe(Math.floor(count / 2) + 1);
  });

  it('stops a cancelled export without leaving a file, and a resumed one starts over', async () => {
    const dir = path.join(t.app.core.config.DATA_DIR, 'exports');
    const res = await exporter.post('/api/exports/members', { orgId: tree.county.id, format: 'xlsx' });
    const id = res.json<{ id: string }>().id;
    // A cancel asked for while the job runs: the flag the queue sets for a running job is
    // already up when the runner claims it, so the export stops at its first check.
    await t.database.db.updateTable('job').set({ cancel_requested: 1 }).where('id', '=', id).execute();
    await jobs().drain();
    expect((await jobs().get(id))!.status).toBe('cancelled');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith(id))).toEqual([]);
    expect((await download(exporter, id)).status).toBe(404);

    // A queued export cancelled before it ran.
    const queued = (await exporter.post('/api/exports/unions', { orgId: tree.county.id, format: 'csv' })).json<{
      id: string;
    }>().id;
    expect((await jobs().cancel(sys, queued)).status).toBe('cancelled');
    await jobs().drain();
    expect((await jobs().get(queued))!.status).toBe('cancelled');
    expect((await download(exporter, queued)).status).toBe(404);

    await jobs().resume(sys, id);
    await jobs().drain();
    expect((await jobs().get(id))!.status).toBe('succeeded');
    expect((await download(exporter, id)).status).toBe(200);
  });

  it('fails the job when the organization left the snapshot scope before it ran', async () => {
    const moving = await makeOrg(t.app, { parent: tree.county, type: 'grassroots' });
    await makeMember(t.app, { org: moving });
    const res = await exporter.post('/api/exports/members', { orgId: moving.id, format: 'csv' });
    const id = res.json<{ id: string }>().id;
    const mover = await asUser(['org.restructure'], tree.city);
    expect((await mover.post(`/api/orgs/${moving.id}/move`, { newParentId: tree.sibling.id })).status).toBe(200);
    await jobs().drain();
    expect(await jobs().get(id)).toMatchObject({ status: 'failed', error: 'NOT_FOUND' });
    expect((await download(exporter, id)).status).toBe(404);
  });
});

describe('POST /api/exports/unions', () => {
  it('requires a session, member.export, the scope and a valid format', async () => {
    expect((await agent(t.app).post('/api/exports/unions', { orgId: tree.county.id, format: 'csv' })).status).toBe(401);
    expect((await reader.post('/api/exports/unions', { orgId: tree.county.id, format: 'csv' })).status).toBe(403);
    expect(errorOf(await outsider.post('/api/exports/unions', { orgId: tree.county.id, format: 'csv' }))).toEqual({
      status: 404,
      code: 'NOT_FOUND',
      fields: [],
    });
    expect(errorOf(await exporter.post('/api/exports/unions', { orgId: tree.county.id })).fields).toEqual([
      'body.format',
    ]);
    expect(
      errorOf(await exporter.post('/api/exports/unions', { orgId: tree.county.id, format: 'csv', sensitive: true }))
        .fields,
    ).toEqual(['body.sensitive']);
  });

  it('exports the subtree’s organizations in tree order with members and work units', async () => {
    const id = await exported(exporter, '/api/exports/unions', { orgId: tree.county.id, format: 'xlsx' });
    const rows = await readXlsx((await download(exporter, id)).bytes);
    expect(rows[0]).toEqual(UNION_EXPORT_COLUMNS.map((c) => c.zh));
    const names = rows.slice(1).map((r) => r[0]);
    expect(names[0]).toBe(tree.county.name);
    expect(names).toContain(union.name);
    expect(names).not.toContain(tree.sibling.name);
    expect(names).not.toContain(tree.city.name);
    const row = rows.find((r) => r[0] === union.name)!;
    const unit = await t.database.db
      .selectFrom('work_unit')
      .selectAll()
      .where('union_org_id', '=', union.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual([
      union.name,
      '基层工会',
      '',
      '',
      tree.county.name,
      '正常',
      expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      String(home.length),
      '秦川机床厂',
      unit.credit_code,
    ]);
    const county = rows.find((r) => r[0] === tree.county.name)!;
    expect(county.slice(1, 3)).toEqual(['总工会', '']);
    expect((await jobs().get(id))!.result).toMatchObject({ rows: rows.length - 1, format: 'xlsx' });
  });

  it('exports as CSV too', async () => {
    const id = await exported(exporter, '/api/exports/unions', { orgId: union.id, format: 'csv' });
    const file = await download(exporter, id);
    expect(file.headers['content-type']).toBe(CSV_CONTENT_TYPE);
    const rows = parseCsv(file.bytes.toString('utf8').slice(1));
    expect(rows).toHaveLength(2);
    expect(rows[1]![0]).toBe(union.name);
  });
});

describe('audit and retention', () => {
  it('audits the request (who, filters, sensitive), the completion (rows) and each download', async () => {
    const id = await exported(sensitive, '/api/exports/members', {
      orgId: tree.county.id,
      format: 'xlsx',
      sensitive: true,
      gender: home[0]!.person.gender,
      q: home[0]!.phone!,
    });
    expect((await download(sensitive, id)).status).toBe(200);
    const events = await t.database.db
      .selectFrom('audit_event')
      .selectAll()
      .where('subject_id', '=', id)
      .orderBy('seq')
      .execute();
    const actions = events.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'job.enqueue',
        'export.members.request',
        'export.members.complete',
        'job.succeeded',
        'export.download',
      ]),
    );
    const request = events.find((e) => e.action === 'export.members.request')!;
    expect(request.actor_id).toBe((sensitive.session!.user as { id: string }).id);
    expect(request.org_path).toBe(tree.county.path);
    const changes = JSON.parse(request.changes!) as { field: string; to: unknown }[];
    expect(changes).toEqual(
      expect.arrayContaining([
        { field: 'format', to: 'xlsx' },
        { field: 'sensitive', to: true },
        { field: 'filters', to: { status: 'open', gender: home[0]!.person.gender, q: '(phone)' } },
      ]),
    );
    // The phone searched for is not in the audit log.
    expect(request.changes).not.toContain(home[0]!.phone!);
    const complete = events.find((e) => e.action === 'export.members.complete')!;
    expect(JSON.parse(complete.changes!)).toEqual(expect.arrayContaining([{ field: 'rows', to: 1 }]));
    const downloads = events.filter((e) => e.action === 'export.download');
    expect(downloads).toHaveLength(1);
    expect(downloads[0]!.actor_id).toBe(request.actor_id);
  });

  it('answers EXPORT_FILE_EXPIRED after the retention period, and the sweep removes the file', async () => {
    const dir = path.join(t.app.core.config.DATA_DIR, 'exports');
    const id = await exported(exporter, '/api/exports/unions', { orgId: tree.county.id, format: 'csv' });
    expect(fs.existsSync(path.join(dir, `${id}.csv`))).toBe(true);
    clock.advance(8 * 24 * 60 * 60 * 1000);
    try {
      // Sessions have expired meanwhile: the same people sign in again.
      const exporter = await signIn(t.app, exporterUser);
      const colleague = await signIn(t.app, colleagueUser);
      // The next export request sweeps old files first.
      const next = await exporter.post('/api/exports/unions', { orgId: tree.county.id, format: 'csv' });
      expect(next.status).toBe(202);
      expect(fs.existsSync(path.join(dir, `${id}.csv`))).toBe(false);
      const gone = await download(exporter, id);
      expect(gone.status).toBe(410);
      expect(gone.json?.error?.code).toBe('EXPORT_FILE_EXPIRED');
      // Someone else still gets the plain 404.
      expect((await download(colleague, id)).status).toBe(404);
    } finally {
      clock.advance(-8 * 24 * 60 * 60 * 1000);
    }
  });
});

describe('export cells', () => {
  it('defuses formulas and quotes CSV fields', () => {
    expect(['=1', '+1', '-1', '@x', '\tx', '\rx', 'ok', '王'].map(defuseFormula)).toEqual([
      "'=1",
      "'+1",
      "'-1",
      "'@x",
      "'\tx",
      "'\rx",
      'ok',
      '王',
    ]);
    expect(csvLine(['a', 'b,c', 'd"e', 'f\r\ng', null, 3, '=x'])).toBe('a,"b,c","d""e","f\r\ng",,3,\'=x\r\n');
  });
});

let bulkPhones = 0;

/** Members written straight through the repository, as a bulk import does: fast for paging tests. */
async function insertMembers(org: OrganizationTable, count: number): Promise<void> {
  const { cipher, blind } = t.app.core;
  const C = PERSON_FIELD_CONTEXTS;
  const now = new Date().toISOString();
  const persons: PersonTable[] = [];
  const memberships: MembershipTable[] = [];
  for (let i = 0; i < count; i++) {
    const idNumber = randomIdNumber();
    // Sequential, so a thousand phones never collide (unique among persons).
    const phone = `136${String(++bulkPhones).padStart(8, '0')}`;
    const id = newId();
    const index = blind.index(idNumber, C.idNumber);
    const name = `批量${i}`;
    persons.push({
      id,
      name,
      name_initials: nameInitials(name),
      id_number_cipher: cipher.encrypt(idNumber, C.idNumber),
      id_number_index: index,
      gender: Number(idNumber[16]) % 2 === 1 ? 'male' : 'female',
      birth_date: `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`,
      ethnicity: '01',
      political_status: 'masses',
      education: 'college',
      household_type: 'rural',
      household_region: '610113',
      phone_cipher: cipher.encrypt(phone, C.phone),
      phone_index: blind.index(phone, C.phone),
      bank_card_cipher: null,
      bank_card_index: null,
      employment_type: 'migrant',
      new_form_group: null,
      work_unit_id: null,
      work_unit_name: null,
      real_name_verified: 0,
      created_at: now,
      updated_at: now,
    });
    memberships.push({
      id: newId(),
      person_id: id,
      id_number_index: index,
      org_id: org.id,
      org_path: org.path,
      province_root: org.province_root,
      name,
      name_initials: nameInitials(name),
      status: 'active',
      started_on: '2025-01-01',
      ended_on: null,
      end_reason: null,
      member_number: `B${org.id.slice(-6)}${i}`,
      card_number: null,
      created_at: now,
      updated_at: now,
    });
  }
  await membersRepository.insertMany(t.database.db, persons, memberships);
}
