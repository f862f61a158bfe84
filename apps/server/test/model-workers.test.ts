import { luhnCheckDigit } from '@zhgh/contracts';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.ts';
import {
  type Agent,
  agent,
  errorOf,
  makeMember,
  makeOrg,
  makeRole,
  makeTree,
  makeUser,
  randomIdNumber,
  randomPhone,
  signIn,
} from './factories.ts';
import { createTestApp } from './harness.ts';

const NO_IP_LIMITS = { LOGIN_IP_LIMIT_PER_MINUTE: '100000', SMS_IP_LIMIT_PER_HOUR: '100000' };

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
type Tree = Awaited<ReturnType<typeof makeTree>>;
type Detail = {
  id: string;
  personId: string;
  name: string;
  idNumber: string;
  phone: string | null;
  bankCard: string | null;
  bankName: string | null;
  certificateNo: string;
  honorStatus: string;
  revokedOn: string | null;
  revokedReason: string | null;
  level: string;
  farmer: boolean;
  employmentStatus: string;
  orgName: string;
};

let t: TestApp;
let app: FastifyInstance;
let tree: Tree;
/** Federation cadre at the county: read, write, export there. */
let cadre: Agent;
/** Federation cadre at the sibling county. */
let sibling: Agent;

/** A valid card number: prefix, random digits, Luhn check digit. */
function bankCard(): string {
  const body = `622202${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
  return body + luhnCheckDigit(body);
}

function createBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orgId: tree.county.id,
    name: '赵劳模',
    idNumber: randomIdNumber(),
    category: 'model_worker',
    level: 'provincial',
    title: '省级劳动模范',
    awardingBody: '省人民政府',
    yearAwarded: 2022,
    employmentStatus: 'employed',
    ...overrides,
  };
}

async function create(overrides: Record<string, unknown> = {}): Promise<Detail> {
  const res = await cadre.post('/api/model-workers', createBody(overrides));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.json<Detail>();
}

beforeAll(async () => {
  t = await createTestApp(NO_IP_LIMITS);
  app = t.app;
  tree = await makeTree(app);
  cadre = await signIn(app, await makeUser(app, { org: tree.county, roles: ['federation_cadre'] }));
  sibling = await signIn(app, await makeUser(app, { org: tree.sibling, roles: ['federation_cadre'] }));
});
afterAll(async () => {
  await t.close();
});

describe('model-worker registry: access', () => {
  it('requires authentication', async () => {
    const anon = agent(app);
    expect((await anon.get('/api/model-workers')).status).toBe(401);
    expect((await anon.get(`/api/model-workers/${newId()}/certificate`)).status).toBe(401);
  });

  it('requires the permission', async () => {
    const role = await makeRole(app, ['org.read', 'member.read']);
    const a = await signIn(app, await makeUser(app, { org: tree.county, roles: [role.code] }));
    expect((await a.get('/api/model-workers')).status).toBe(403);
    expect((await a.post('/api/model-workers', createBody())).status).toBe(403);
    const readOnly = await makeRole(app, ['modelWorker.read']);
    const b = await signIn(app, await makeUser(app, { org: tree.county, roles: [readOnly.code] }));
    expect((await b.get('/api/model-workers')).status).toBe(200);
    expect((await b.get('/api/model-workers/export')).status).toBe(403);
    expect((await b.post('/api/model-workers', createBody())).status).toBe(403);
  });

  it('out of scope is 404 like a missing id', async () => {
    const entry = await create();
    const missing = await sibling.get(`/api/model-workers/${newId()}`);
    const outside = await sibling.get(`/api/model-workers/${entry.id}`);
    expect(outside.status).toBe(404);
    expect(errorOf(outside).code).toBe(errorOf(missing).code);
    expect((await sibling.get(`/api/model-workers/${entry.id}/certificate`)).status).toBe(404);
    expect(
      (await sibling.post(`/api/model-workers/${entry.id}/revoke`, { revokedOn: '2024-01-01', reason: '测试撤销' }))
        .status,
    ).toBe(404);
    expect((await sibling.request('PATCH', `/api/model-workers/${entry.id}`, { title: '改名称号' })).status).toBe(404);
    // A keeping union outside the write scope is missing too.
    expect((await sibling.post('/api/model-workers', createBody())).status).toBe(404);
    // A person known only in another scope is missing.
    const member = await makeMember(app, { org: await makeOrg(app, { parent: tree.county, type: 'grassroots' }) });
    const res = await sibling.post(
      '/api/model-workers',
      createBody({ orgId: tree.sibling.id, personId: member.person.id, name: undefined, idNumber: undefined }),
    );
    expect(res.status).toBe(404);
    const list = await sibling.get('/api/model-workers?pageSize=200');
    expect(list.json<{ items: Detail[] }>().items.some((i) => i.id === entry.id)).toBe(false);
    expect((await sibling.get(`/api/model-workers?orgId=${tree.county.id}`)).status).toBe(404);
  });
});

describe('model-worker registry: create', () => {
  it('enters a new person by name and ID number, masked, with a generated certificate number', async () => {
    const card = bankCard();
    const phone = randomPhone();
    const idNumber = randomIdNumber();
    const res = await cadre.post(
      '/api/model-workers',
      createBody({ idNumber, phone, bankCard: card, bankName: '中国工商银行', farmer: true }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const d = res.json<Detail>();
    expect(d.name).toBe('赵*模');
    expect(d.idNumber).not.toContain(idNumber.slice(6, 14));
    expect(d.idNumber).toMatch(/^\d{4}\*+.{4}$/);
    expect(d.phone).toBe(`${phone.slice(0, 3)}****${phone.slice(7)}`);
    expect(d.bankCard).not.toBe(card);
    expect(d.bankCard?.endsWith(card.slice(-4))).toBe(true);
    expect(d.bankName).toBe('中国工商银行');
    expect(d.certificateNo).toMatch(/^P2022-\d{5}$/);
    expect(d.farmer).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(idNumber);
    // Encrypted at rest on the person.
    const person = await app.core.db
      .selectFrom('person')
      .selectAll()
      .where('id', '=', d.personId)
      .executeTakeFirstOrThrow();
    expect(person.bank_card_cipher).not.toContain(card);
    expect(person.id_number_cipher).not.toContain(idNumber);
    expect(app.core.cipher.decrypt(person.bank_card_cipher!, 'person.bank_card')).toBe(card);
    // Audited without the card.
    const event = await app.core.db
      .selectFrom('audit_event')
      .selectAll()
      .where('subject_id', '=', d.id)
      .where('action', '=', 'modelWorker.create')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(event)).not.toContain(card);
    // The next generated number follows.
    const next = await create({ idNumber: randomIdNumber() });
    expect(Number(next.certificateNo.slice(6))).toBeGreaterThan(Number(d.certificateNo.slice(6)));
  });

  it('reuses an existing member by personId or by ID number; the name must match', async () => {
    const member = await makeMember(app, { org: await makeOrg(app, { parent: tree.county, type: 'grassroots' }) });
    const byId = await create({
      personId: member.person.id,
      name: undefined,
      idNumber: undefined,
      level: 'city',
      title: '市级劳动模范',
    });
    expect(byId.personId).toBe(member.person.id);
    const byNumber = await create({
      name: member.person.name,
      idNumber: member.idNumber,
      level: 'national',
      title: '全国劳动模范',
    });
    expect(byNumber.personId).toBe(member.person.id);
    const wrongName = await cadre.post(
      '/api/model-workers',
      createBody({ name: '钱不对', idNumber: member.idNumber, level: 'city', yearAwarded: 2010 }),
    );
    expect(wrongName.status).toBe(400);
    expect(errorOf(wrongName).fields).toEqual(['body.name']);
  });

  it('refuses a duplicate award and a taken certificate number with 409 and a field error', async () => {
    const idNumber = randomIdNumber();
    const first = await create({ idNumber, certificateNo: `GH-${Date.now()}` });
    const dup = await cadre.post('/api/model-workers', createBody({ idNumber }));
    expect(dup.status).toBe(409);
    expect(errorOf(dup)).toMatchObject({ code: 'MODEL_WORKER_AWARD_TAKEN', fields: ['body.yearAwarded'] });
    const taken = await cadre.post('/api/model-workers', createBody({ certificateNo: first.certificateNo }));
    expect(taken.status).toBe(409);
    expect(errorOf(taken)).toMatchObject({ code: 'MODEL_WORKER_CERTIFICATE_TAKEN', fields: ['body.certificateNo'] });
  });

  it('answers bad input with 400 and the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ idNumber: '610113199001011234' }, 'body.idNumber'],
      [{ bankCard: '6222021234567890123' }, 'body.bankCard'],
      [{ level: 'county' }, 'body.level'],
      [{ yearAwarded: 2999 }, 'body.yearAwarded'],
      [{ name: undefined }, 'body.name'],
      [{ title: 'x' }, 'body.title'],
      [{ surprise: 1 }, 'body'],
    ];
    for (const [overrides, field] of cases) {
      const res = await cadre.post('/api/model-workers', createBody(overrides));
      expect(res.status, JSON.stringify(overrides)).toBe(400);
      expect(
        errorOf(res).fields.some((f) => f.startsWith(field)),
        JSON.stringify(res.body),
      ).toBe(true);
    }
  });
});

describe('model-worker registry: list, update, revoke, restore', () => {
  it('lists with filters and finds by exact ID number or name prefix', async () => {
    const idNumber = randomIdNumber();
    const e = await create({
      idNumber,
      name: '孙农民',
      level: 'city',
      title: '市级劳动模范',
      farmer: true,
      yearAwarded: 2015,
    });
    const list = async (q: string) =>
      (await cadre.get(`/api/model-workers?pageSize=200&${q}`)).json<{ items: Detail[]; total: number }>();
    expect((await list(`q=${idNumber}`)).items.map((i) => i.id)).toEqual([e.id]);
    expect((await list(`q=${encodeURIComponent('孙农')}`)).items.some((i) => i.id === e.id)).toBe(true);
    expect((await list('level=city&farmer=true&year=2015')).items.some((i) => i.id === e.id)).toBe(true);
    expect((await list('level=national&year=2015')).items.some((i) => i.id === e.id)).toBe(false);
    expect((await list('farmer=false&year=2015')).items.some((i) => i.id === e.id)).toBe(false);
    expect((await list('honorStatus=revoked&year=2015')).items.some((i) => i.id === e.id)).toBe(false);
    expect((await list(`orgId=${tree.county.id}&year=2015`)).items.some((i) => i.id === e.id)).toBe(true);
    expect((await cadre.get('/api/model-workers?level=nope')).status).toBe(400);
  });

  it('updates fields and the person’s bank card, audited', async () => {
    const e = await create();
    const card = bankCard();
    const res = await cadre.request('PATCH', `/api/model-workers/${e.id}`, {
      employmentStatus: 'retired',
      bankCard: card,
      bankName: '中国农业银行',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.json<Detail>()).toMatchObject({ employmentStatus: 'retired', bankName: '中国农业银行' });
    expect(res.json<Detail>().bankCard?.endsWith(card.slice(-4))).toBe(true);
    expect((await cadre.request('PATCH', `/api/model-workers/${e.id}`, { bankCard: '123' })).status).toBe(400);
    expect((await cadre.request('PATCH', `/api/model-workers/${e.id}`, { level: 'national' })).status).toBe(400);
  });

  it('revokes with date and reason, keeps the row, restores with a reason; wrong states are 409', async () => {
    const e = await create();
    const noReason = await cadre.post(`/api/model-workers/${e.id}/revoke`, { revokedOn: '2024-05-01' });
    expect(noReason.status).toBe(400);
    expect(errorOf(noReason).fields).toContain('body.reason');
    const future = await cadre.post(`/api/model-workers/${e.id}/revoke`, { revokedOn: '2999-01-01', reason: '测试' });
    expect(future.status).toBe(400);
    const revoked = await cadre.post(`/api/model-workers/${e.id}/revoke`, {
      revokedOn: '2024-05-01',
      reason: '因违法被撤销称号',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.json<Detail>()).toMatchObject({
      honorStatus: 'revoked',
      revokedOn: '2024-05-01',
      revokedReason: '因违法被撤销称号',
    });
    expect((await cadre.get(`/api/model-workers/${e.id}`)).json<Detail>().honorStatus).toBe('revoked');
    const again = await cadre.post(`/api/model-workers/${e.id}/revoke`, {
      revokedOn: '2024-05-01',
      reason: '再次撤销',
    });
    expect(errorOf(again).code).toBe('MODEL_WORKER_HONOR_STATE');
    const restored = await cadre.post(`/api/model-workers/${e.id}/restore`, { reason: '复核后恢复' });
    expect(restored.json<Detail>()).toMatchObject({ honorStatus: 'kept', revokedOn: null, revokedReason: null });
    expect(errorOf(await cadre.post(`/api/model-workers/${e.id}/restore`, { reason: '再次恢复' })).code).toBe(
      'MODEL_WORKER_HONOR_STATE',
    );
    const actions = await app.core.db
      .selectFrom('audit_event')
      .select('action')
      .where('subject_id', '=', e.id)
      .orderBy('seq')
      .execute();
    expect(actions.map((a) => a.action)).toEqual(['modelWorker.create', 'modelWorker.revoke', 'modelWorker.restore']);
  });

  it('the database refuses a revoked honour without date and reason (CHECK)', async () => {
    const e = await create();
    await expect(
      app.core.db.updateTable('model_worker').set({ honor_status: 'revoked' }).where('id', '=', e.id).execute(),
    ).rejects.toThrow();
    await expect(
      sql`update model_worker set honor_status = 'revoked', revoked_on = '2024-01-01' where id = ${e.id}`.execute(
        app.core.db,
      ),
    ).rejects.toThrow();
  });
});

describe('model-worker registry: certificate and export', () => {
  it('serves a PDF with the embedded CJK font, the number, and the revoked mark', async () => {
    const e = await create({ certificateNo: `CERT-${Date.now()}` });
    const res = await cadre.get(`/api/model-workers/${e.id}/certificate`);
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toContain('application/pdf');
    const pdf = Buffer.from(String(res.body), 'latin1');
    const text = String(res.body);
    expect(text.startsWith('%PDF')).toBe(true);
    expect(text).toMatch(/\/FontFile3/);
    expect(text).toMatch(/NotoSansCJKsc-Regular/);
    expect(pdf.length).toBeGreaterThan(1000);
    // pdfkit writes text as glyph ids, so the number and state are read from the metadata.
    expect(text).toContain(`certificate:${e.certificateNo}`);
    expect(text).toContain('(VALID)');
    await cadre.post(`/api/model-workers/${e.id}/revoke`, { revokedOn: '2024-05-01', reason: '撤销测试' });
    const revoked = String((await cadre.get(`/api/model-workers/${e.id}/certificate`)).body);
    expect(revoked).toContain('(REVOKED)');
  });

  it('exports the filtered list masked, and audits the export', async () => {
    const idNumber = randomIdNumber();
    const card = bankCard();
    const e = await create({ idNumber, bankCard: card, yearAwarded: 2011, name: '周导出' });
    const res = await app.inject({
      method: 'GET',
      url: `/api/model-workers/export?year=2011&orgId=${tree.county.id}`,
      headers: { cookie: `zhgh_sid=${cadre.cookie}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    const cells = sheet.getSheetValues().flat().map(String).join('|');
    expect(cells).toContain(e.certificateNo);
    expect(cells).toContain('周*出');
    expect(cells).not.toContain(idNumber);
    expect(cells).not.toContain(card);
    const event = await app.core.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'modelWorker.export')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(event.changes).toContain('2011');
  });
});
