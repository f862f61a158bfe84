import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import ExcelJS from 'exceljs';
import type { OrganizationTable } from '../src/db/schema.ts';
import { SESSION_COOKIE } from '../src/modules/auth/auth.service.ts';
import { mapHeader } from '../src/modules/imports/header-mapping.ts';
import { createListValidator, eventCode, eventState } from '../src/modules/enrollment/enrollment.policy.ts';
import {
  type Agent,
  agent,
  errorOf,
  makeMember,
  makeOrg,
  makeRole,
  makeUser,
  postMultipart,
  randomIdNumber,
  randomPhone,
  signIn,
  signInBySms,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

/**
 * Group enrollment (集中入会): list previews and imports, events with their QR code and
 * poster, workers applying through an event, and a batch approved in one step. Every route:
 * 401 without a session, 403 without the permission, 404 outside the scope, 400 on bad input,
 * and its happy path.
 */

const clock = createTestClock();
let t: Awaited<ReturnType<typeof createTestApp>>;
let app: FastifyInstance;
let county: OrganizationTable;
let union: OrganizationTable;
let sibling: OrganizationTable;
/** membership.enroll + membership.review at the county (covers its grassroots union). */
let cadre: Agent;
/** The same permissions at a sibling county: the home union is out of its scope. */
let stranger: Agent;
/** Signed in, no grants. */
let nobody: Agent;
const anonymous = () => agent(app);

const HEADER = ['姓名', '身份证号', '手机号码', '工作单位', '用工形式', '新就业形态群体'];
type Person = { name: string; idNumber: string; phone: string };
const person = (): Person => ({ name: '张师傅', idNumber: randomIdNumber(), phone: randomPhone() });
const driverRow = (p: Person) => [p.name, p.idNumber, p.phone, '某网约车平台', '新就业形态劳动者', '网约车司机'];
function csv(rows: string[][], header = HEADER): Buffer {
  return Buffer.from(`\uFEFF${[header, ...rows].map((r) => r.join(',')).join('\r\n')}\r\n`);
}
const file = (content: Buffer, filename = '司机名单.csv') => ({ filename, content, contentType: 'text/csv' });

async function cadreAt(at: OrganizationTable, permissions = ['membership.enroll', 'membership.review', 'member.read']) {
  const role = await makeRole(app, permissions);
  return signIn(app, await makeUser(app, { org: at, roles: [role.code], totp: true }));
}

type Batch = {
  id: string;
  kind: string;
  pending: number;
  approved: number;
  rejected: number;
  createdCount: number;
  refusedCount: number;
  duplicateCount: number;
  jobId: string | null;
  event: { id: string; code: string; joinPath: string; state: string; joined: number; quota: number | null } | null;
};

/** Import a list as the cadre and run its job to the end. */
async function importList(rows: string[][], as: Agent = cadre, org: OrganizationTable = union) {
  const res = await postMultipart(as, '/api/enrollment/lists', { orgId: org.id, file: file(csv(rows)) });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  await app.core.jobs.drain();
  const { batch } = res.json<{ batch: Batch }>();
  const fresh = await as.get(`/api/enrollment/batches/${batch.id}`);
  expect(fresh.status).toBe(200);
  return fresh.json<Batch>();
}

async function createEvent(overrides: Record<string, unknown> = {}) {
  const now = clock.now().getTime();
  const res = await cadre.post('/api/enrollment/events', {
    orgId: union.id,
    title: '网约车司机集中入会',
    place: '西安市雁塔区司机之家',
    opensAt: new Date(now - 3_600_000).toISOString(),
    closesAt: new Date(now + 7 * 86_400_000).toISOString(),
    workUnitName: '某网约车平台',
    employmentType: 'new_form',
    newFormGroup: 'ride_hailing',
    ...overrides,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.json<Batch>();
}

beforeAll(async () => {
  t = await createTestApp({ SMS_IP_LIMIT_PER_HOUR: '100000' }, { now: clock.now, runJobs: false });
  app = t.app;
  const province = await makeOrg(app);
  const city = await makeOrg(app, { parent: province });
  county = await makeOrg(app, { parent: city });
  union = await makeOrg(app, { parent: county, type: 'grassroots', name: '出行服务行业工会联合会' });
  sibling = await makeOrg(app, { parent: city });
  cadre = await cadreAt(county);
  stranger = await cadreAt(sibling);
  nobody = await signIn(app, await makeUser(app, { org: county, totp: true }));
});

afterAll(async () => {
  await t.close();
});

describe('list rules (pure)', () => {
  const validate = createListValidator(mapHeader(HEADER), { today: '2026-03-02' });
  it('accepts a complete row and normalizes codes given by label', () => {
    const p = person();
    const o = validate({ rowNumber: 2, cells: driverRow(p) });
    expect(o.problems).toEqual([]);
    expect(o.row).toMatchObject({ idNumber: p.idNumber, employmentType: 'new_form', newFormGroup: 'ride_hailing' });
  });
  it('names each problem by row and column: bad ID, missing phone, under 16, in-file duplicate', () => {
    const p = person();
    const bad = validate({ rowNumber: 3, cells: ['李四', '610113199001011231', '', '单位', '固定职工', ''] });
    expect(bad.row).toBeNull();
    expect(bad.problems.map((x) => [x.row, x.column, x.code])).toEqual(
      expect.arrayContaining([
        [3, '身份证号', 'id_checksum'],
        [3, '手机号码', 'required'],
      ]),
    );
    const young = validate({
      rowNumber: 4,
      cells: ['王小', randomIdNumber({ birthDate: '2015-01-01' }), randomPhone(), '单位', '固定职工', ''],
    });
    expect(young.problems.map((x) => x.code)).toContain('under_age');
    validate({ rowNumber: 5, cells: driverRow(p) });
    const again = validate({ rowNumber: 6, cells: driverRow(p) });
    expect(again.problems.map((x) => [x.code, x.message['zh-CN']])).toContainEqual([
      'duplicate_id_number',
      '身份证号与第 5 行重复',
    ]);
  });
  it('says what a worker meets at an event', () => {
    const e = { status: 'open' as const, opens_at: '2026-01-01T00:00:00Z', closes_at: '2026-01-02T00:00:00Z' };
    expect(eventState({ ...e, quota: null, joined: 0 }, new Date('2025-12-31T00:00:00Z'))).toBe('not_yet');
    expect(eventState({ ...e, quota: 2, joined: 1 }, new Date('2026-01-01T12:00:00Z'))).toBe('open');
    expect(eventState({ ...e, quota: 2, joined: 2 }, new Date('2026-01-01T12:00:00Z'))).toBe('full');
    expect(eventState({ ...e, quota: null, joined: 0 }, new Date('2026-01-02T00:00:00Z'))).toBe('ended');
    expect(eventState({ ...e, status: 'closed', quota: null, joined: 0 }, new Date('2026-01-01T12:00:00Z'))).toBe(
      'closed',
    );
    expect(eventCode(new Uint8Array(16).fill(255))).toMatch(/^[a-z2-7]{12}$/);
  });
});

describe('list preview', () => {
  it('needs a session, the permission, and a union in scope', async () => {
    const form = () => ({ orgId: union.id, file: file(csv([driverRow(person())])) });
    expect((await postMultipart(anonymous(), '/api/enrollment/list-preview', form())).status).toBe(401);
    expect((await postMultipart(nobody, '/api/enrollment/list-preview', form())).status).toBe(403);
    expect((await postMultipart(stranger, '/api/enrollment/list-preview', form())).status).toBe(404);
  });

  it('refuses a federation and a file that is not a list, naming the field', async () => {
    const fed = await postMultipart(cadre, '/api/enrollment/list-preview', {
      orgId: county.id,
      file: file(csv([driverRow(person())])),
    });
    expect(errorOf(fed)).toMatchObject({ status: 409, code: 'MEMBER_ORG_NOT_ELIGIBLE' });
    const junk = await postMultipart(cadre, '/api/enrollment/list-preview', {
      orgId: union.id,
      file: { filename: 'x.csv', content: Buffer.from([0, 1, 2, 3, 0, 0, 0, 9]), contentType: 'text/csv' },
    });
    expect(errorOf(junk)).toMatchObject({ status: 400 });
    const noOrg = await postMultipart(cadre, '/api/enrollment/list-preview', { file: file(csv([])) });
    expect(errorOf(noOrg)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.orgId'] });
  });

  it('shows every row’s problems, in the file and against members and pending applications', async () => {
    const member = await makeMember(app, { org: union });
    const good = person();
    const elsewhere = await makeMember(app);
    const res = await postMultipart(cadre, '/api/enrollment/list-preview', {
      orgId: union.id,
      file: file(
        csv([
          driverRow(good),
          ['王五', '123', randomPhone(), '单位', '固定职工', ''],
          driverRow(good),
          [member.person.name, member.idNumber as string, randomPhone(), '单位', '固定职工', ''],
          ['赵六', elsewhere.idNumber as string, randomPhone(), '单位', '固定职工', ''],
        ]),
      ),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const p = res.json<{
      rowsRead: number;
      rowsOk: number;
      rowsWithProblems: number;
      problems: { row: number; column: string | null; code: string }[];
      rows: { idNumber: string | null; ok: boolean }[];
    }>();
    expect(p).toMatchObject({ rowsRead: 5, rowsOk: 1, rowsWithProblems: 4 });
    expect(p.problems.map((x) => [x.row, x.column, x.code])).toEqual(
      expect.arrayContaining([
        [3, '身份证号', 'id_length'],
        [4, '身份证号', 'duplicate_id_number'],
        [5, '身份证号', 'already_member_here'],
        [6, '身份证号', 'duplicate_in_database'],
      ]),
    );
    // ID numbers are masked in the preview.
    expect(p.rows[0]!.idNumber).toMatch(/^\d{4}\*+\w{4}$/);
    expect(JSON.stringify(res.body)).not.toContain(good.idNumber);
  });
});

describe('list import', () => {
  it('needs a session, the permission, a union in scope, and the required columns', async () => {
    const form = () => ({ orgId: union.id, file: file(csv([driverRow(person())])) });
    expect((await postMultipart(anonymous(), '/api/enrollment/lists', form())).status).toBe(401);
    expect((await postMultipart(nobody, '/api/enrollment/lists', form())).status).toBe(403);
    expect((await postMultipart(stranger, '/api/enrollment/lists', form())).status).toBe(404);
    const noPhone = await postMultipart(cadre, '/api/enrollment/lists', {
      orgId: union.id,
      file: file(csv([['张三', randomIdNumber(), '单位', '固定职工']], ['姓名', '身份证号', '工作单位', '用工形式'])),
    });
    expect(errorOf(noPhone)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.file'] });
  });

  it('turns good rows into join applications of one batch; bad rows go to the error report', async () => {
    const people = [person(), person(), person()];
    const batch = await importList([...people.map(driverRow), ['坏行', '1234', '', '', '', '']]);
    expect(batch).toMatchObject({ kind: 'list', createdCount: 3, refusedCount: 1, pending: 3, approved: 0 });
    const apps = await cadre.get(`/api/enrollment/batches/${batch.id}/applications`);
    expect(apps.status).toBe(200);
    const items = apps.json<{ items: { source: string; idNumber: string; state: string }[] }>().items;
    expect(items).toHaveLength(3);
    expect(items.every((i) => i.source === 'list' && i.state === 'submitted')).toBe(true);
    expect(JSON.stringify(apps.body)).not.toContain(people[0]!.idNumber);
    // The instances' data never holds the ID number or the phone.
    const data = await app.core.db.selectFrom('workflow_instance').select('data').execute();
    for (const p of people)
      expect(data.some((d) => d.data.includes(p.idNumber) || d.data.includes(p.phone))).toBe(false);

    const report = await cadre.get(`/api/enrollment/batches/${batch.id}/error-report`);
    expect(report.status).toBe(200);
    expect(report.headers['content-type']).toContain('spreadsheetml');
    const raw = await app.inject({
      method: 'GET',
      url: `/api/enrollment/batches/${batch.id}/error-report`,
      headers: { cookie: `${SESSION_COOKIE}=${cadre.cookie}` },
    });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(raw.rawPayload as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.getRow(2).getCell(1).text).toBe('坏行');
    expect(sheet.getRow(2).getCell(HEADER.length + 1).text).toContain('第 5 行');
  });

  it('importing the same list twice creates no new application', async () => {
    const rows = [person(), person()].map(driverRow);
    const first = await importList(rows);
    expect(first.createdCount).toBe(2);
    const second = await importList(rows);
    expect(second).toMatchObject({ createdCount: 0, refusedCount: 2, duplicateCount: 2 });
  });

  it('error report: 401, 403, 404 out of scope', async () => {
    const batch = await importList([driverRow(person())]);
    const url = `/api/enrollment/batches/${batch.id}/error-report`;
    expect((await anonymous().get(url)).status).toBe(401);
    expect((await nobody.get(url)).status).toBe(403);
    expect((await stranger.get(url)).status).toBe(404);
  });
});

describe('batches', () => {
  it('lists the batches in scope with their counts; others see none of them', async () => {
    const batch = await importList([driverRow(person())]);
    const mine = await cadre.get(`/api/enrollment/batches?orgId=${union.id}&pageSize=200`);
    expect(mine.status).toBe(200);
    expect(mine.json<{ items: Batch[] }>().items.map((b) => b.id)).toContain(batch.id);
    const theirs = await stranger.get('/api/enrollment/batches?pageSize=200');
    expect(theirs.json<{ items: Batch[] }>().items.map((b) => b.id)).not.toContain(batch.id);
    expect((await stranger.get(`/api/enrollment/batches?orgId=${union.id}`)).status).toBe(404);
    expect((await anonymous().get('/api/enrollment/batches')).status).toBe(401);
    expect((await nobody.get('/api/enrollment/batches')).status).toBe(403);
    expect(errorOf(await cadre.get('/api/enrollment/batches?kind=paper'))).toMatchObject({
      status: 400,
      fields: ['query.kind'],
    });
  });

  it('one batch and its applications: 401, 403, 404 out of scope and for a missing id', async () => {
    const batch = await importList([driverRow(person())]);
    for (const url of [`/api/enrollment/batches/${batch.id}`, `/api/enrollment/batches/${batch.id}/applications`]) {
      expect((await anonymous().get(url)).status).toBe(401);
      expect((await nobody.get(url)).status).toBe(403);
      expect((await stranger.get(url)).status).toBe(404);
      expect((await cadre.get(url.replace(batch.id, crypto.randomUUID()))).status).toBe(404);
    }
  });
});

describe('approving a batch (一键审核)', () => {
  it('approves a few hundred listed workers in one call: memberships open, the audit chain verifies', async () => {
    // Phones numbered, not drawn: 300 random draws repeat one about once in 2,000 runs.
    const people = Array.from({ length: 300 }, (_, i) => ({ ...person(), phone: `137${String(i).padStart(8, '0')}` }));
    const batch = await importList(people.map(driverRow));
    const refused = await app.core.db
      .selectFrom('import_problem')
      .select('problems')
      .where('job_id', '=', batch.jobId!)
      .execute();
    expect(refused.map((r) => r.problems)).toEqual([]);
    expect(batch.createdCount).toBe(300);
    const url = `/api/enrollment/batches/${batch.id}/approve`;
    expect((await anonymous().post(url, {})).status).toBe(401);
    expect((await nobody.post(url, {})).status).toBe(403);
    expect((await stranger.post(url, {})).status).toBe(404);
    expect(errorOf(await cadre.post(url, { comment: 'x'.repeat(2001) }))).toMatchObject({
      status: 400,
      fields: ['body.comment'],
    });

    const res = await cadre.post(url, { comment: '名单核实无误' });
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
    expect(res.json()).toMatchObject({ approved: 300, refused: 0 });
    const after = (await cadre.get(`/api/enrollment/batches/${batch.id}`)).json<Batch>();
    expect(after).toMatchObject({ pending: 0, approved: 300 });
    const open = await app.core.db
      .selectFrom('membership')
      .select(['member_number', 'status'])
      .where('org_id', '=', union.id)
      .where('ended_on', 'is', null)
      .execute();
    expect(open.filter((m) => m.status === 'active' && m.member_number).length).toBeGreaterThanOrEqual(300);
    const verified = await app.core.audit.verify(app.core.db);
    expect(verified.ok).toBe(true);
    // Nothing is left to approve: a second call approves nobody.
    expect((await cadre.post(url, {})).json()).toMatchObject({ approved: 0, refused: 0 });
  });
});

describe('events', () => {
  it('create: 401, 403, 404 out of scope, 400 on a bad period or preset', async () => {
    const now = clock.now().getTime();
    const body = {
      orgId: union.id,
      title: '快递员入会日',
      place: '某快递分拨中心',
      opensAt: new Date(now).toISOString(),
      closesAt: new Date(now + 86_400_000).toISOString(),
    };
    expect((await anonymous().post('/api/enrollment/events', body)).status).toBe(401);
    expect((await nobody.post('/api/enrollment/events', body)).status).toBe(403);
    expect((await stranger.post('/api/enrollment/events', body)).status).toBe(404);
    const backwards = await cadre.post('/api/enrollment/events', { ...body, closesAt: body.opensAt });
    expect(errorOf(backwards)).toMatchObject({ status: 400, fields: ['body.closesAt'] });
    const group = await cadre.post('/api/enrollment/events', {
      ...body,
      employmentType: 'regular',
      newFormGroup: 'courier',
    });
    expect(errorOf(group)).toMatchObject({ status: 400, fields: ['body.newFormGroup'] });
  });

  it('gives a QR code (SVG, PNG) and an A4 poster of the portal link', async () => {
    const batch = await createEvent();
    const e = batch.event!;
    expect(e.joinPath).toBe(`/m/join/e/${e.code}`);
    const svg = await cadre.get(`/api/enrollment/events/${e.id}/qr`);
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    expect(String(svg.body)).toContain('<svg');
    const png = await app.inject({
      method: 'GET',
      url: `/api/enrollment/events/${e.id}/qr?format=png`,
      headers: { cookie: `${SESSION_COOKIE}=${cadre.cookie}` },
    });
    expect(png.headers['content-type']).toContain('image/png');
    expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    const poster = await app.inject({
      method: 'GET',
      url: `/api/enrollment/events/${e.id}/poster`,
      headers: { cookie: `${SESSION_COOKIE}=${cadre.cookie}` },
    });
    expect(poster.statusCode).toBe(200);
    expect(poster.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect(poster.rawPayload.toString('latin1')).toContain(`event:${e.code}`);
    for (const url of [`/api/enrollment/events/${e.id}/qr`, `/api/enrollment/events/${e.id}/poster`]) {
      expect((await anonymous().get(url)).status).toBe(401);
      expect((await nobody.get(url)).status).toBe(403);
      expect((await stranger.get(url)).status).toBe(404);
    }
    expect(errorOf(await cadre.get(`/api/enrollment/events/${e.id}/qr?format=gif`))).toMatchObject({
      status: 400,
      fields: ['query.format'],
    });
  });

  it('a worker scans, signs in by SMS, applies with the presets: the application joins the event’s batch', async () => {
    const batch = await createEvent({ quota: 2 });
    const code = batch.event!.code;
    const worker = await signInBySms(app, randomPhone());
    expect((await anonymous().get(`/api/enrollment/join-events/${code}`)).status).toBe(401);
    expect((await worker.get('/api/enrollment/join-events/aaaaaaaaaaaa')).status).toBe(404);
    expect(errorOf(await worker.get('/api/enrollment/join-events/NOT-A-CODE'))).toMatchObject({ status: 400 });
    const seen = await worker.get(`/api/enrollment/join-events/${code}`);
    expect(seen.json()).toMatchObject({ state: 'open', orgName: union.name, employmentType: 'new_form' });

    const bad = await worker.post(`/api/enrollment/join-events/${code}/applications`, {
      name: '刘师傅',
      idNumber: '610113199001011231',
    });
    expect(errorOf(bad)).toMatchObject({ status: 400, fields: ['body.idNumber'] });
    const res = await worker.post(`/api/enrollment/join-events/${code}/applications`, {
      name: '刘师傅',
      idNumber: randomIdNumber(),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.json()).toMatchObject({ source: 'event', state: 'submitted' });
    const after = (await cadre.get(`/api/enrollment/batches/${batch.id}`)).json<Batch>();
    expect(after.pending).toBe(1);
    expect(after.event!.joined).toBe(1);

    // The second place goes; the third worker meets a full event.
    const second = await signInBySms(app, randomPhone());
    expect(
      (
        await second.post(`/api/enrollment/join-events/${code}/applications`, {
          name: '陈师傅',
          idNumber: randomIdNumber(),
        })
      ).status,
    ).toBe(201);
    const third = await signInBySms(app, randomPhone());
    const full = await third.post(`/api/enrollment/join-events/${code}/applications`, {
      name: '周师傅',
      idNumber: randomIdNumber(),
    });
    expect(errorOf(full)).toMatchObject({ status: 409, code: 'ENROLLMENT_EVENT_FULL' });
  });

  it('checks the applicant as joining does: a record another account speaks for is REAL_NAME_TAKEN', async () => {
    const batch = await createEvent();
    const path = `/api/enrollment/join-events/${batch.event!.code}/applications`;
    const phone = randomPhone();
    const idNumber = randomIdNumber();
    const member = await makeMember(app, { org: union, name: '孙师傅', idNumber, phone });
    const owner = await signInBySms(app, phone);
    expect((await owner.post('/api/me/real-name', { name: '孙师傅', idNumber })).status).toBe(200);
    // The member left; the record stays, and the owner's account still speaks for it.
    await app.core.db
      .updateTable('membership')
      .set({ status: 'withdrawn', ended_on: '2026-01-15', end_reason: 'voluntary' })
      .where('person_id', '=', member.person.id)
      .execute();

    const other = await signInBySms(app, randomPhone());
    const taken = await other.post(path, { name: '孙师傅', idNumber });
    expect(errorOf(taken)).toMatchObject({ status: 409, code: 'REAL_NAME_TAKEN' });
    // The owner rejoins at the event with their own record.
    const rejoin = await owner.post(path, { name: '孙师傅', idNumber });
    expect(rejoin.status, JSON.stringify(rejoin.body)).toBe(201);
  });

  it('a closed, not yet open or ended event says so', async () => {
    const now = clock.now().getTime();
    const later = await createEvent({
      opensAt: new Date(now + 86_400_000).toISOString(),
      closesAt: new Date(now + 2 * 86_400_000).toISOString(),
    });
    const worker = await signInBySms(app, randomPhone());
    const form = { name: '吴师傅', idNumber: randomIdNumber() };
    expect(
      errorOf(await worker.post(`/api/enrollment/join-events/${later.event!.code}/applications`, form)),
    ).toMatchObject({ status: 409, code: 'ENROLLMENT_EVENT_NOT_OPEN' });

    const batch = await createEvent();
    const close = `/api/enrollment/events/${batch.event!.id}/close`;
    expect((await anonymous().post(close, {})).status).toBe(401);
    expect((await nobody.post(close, {})).status).toBe(403);
    expect((await stranger.post(close, {})).status).toBe(404);
    const closed = await cadre.post(close, {});
    expect(closed.status).toBe(200);
    expect(closed.json<Batch>().event!.state).toBe('closed');
    expect(errorOf(await cadre.post(close, {}))).toMatchObject({ status: 409, code: 'ENROLLMENT_EVENT_CLOSED' });
    expect(
      errorOf(await worker.post(`/api/enrollment/join-events/${batch.event!.code}/applications`, form)),
    ).toMatchObject({ status: 409, code: 'ENROLLMENT_EVENT_CLOSED' });
    expect((await worker.get(`/api/enrollment/join-events/${batch.event!.code}`)).json()).toMatchObject({
      state: 'closed',
    });
  });

  it('records every event write in the audit log', async () => {
    const batch = await createEvent();
    const events = await app.core.db
      .selectFrom('audit_event')
      .select('action')
      .where('subject_id', '=', batch.event!.id)
      .execute();
    expect(events.map((e) => e.action)).toContain('enrollment.event.create');
  });
});
