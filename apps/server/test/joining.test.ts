import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { outboxFile, readOutbox } from '../src/core/notify/sms.ts';
import type { OrganizationTable, WorkUnitTable } from '../src/db/schema.ts';
import {
  checkJoinForm,
  chooseUnion,
  documentsNeeded,
  rankLocal,
  type RouteOrg,
} from '../src/modules/joining/joining.policy.ts';
import {
  type Agent,
  agent,
  errorOf,
  makeMember,
  makeRole,
  makeUser,
  makeWorkUnit,
  postMultipart,
  randomIdNumber,
  randomPhone,
  signIn,
  signInBySms,
  type TestUser,
  unique,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

const sys = { actor: SYSTEM_ACTOR };
// Wednesday 29 April 2026, 10:00 in Beijing: Friday 1 May is a configured holiday.
const clock = createTestClock(new Date('2026-04-29T02:00:00Z'));
let t: Awaited<ReturnType<typeof createTestApp>>;
let app: FastifyInstance;

interface Tree {
  province: OrganizationTable;
  city: OrganizationTable;
  county: OrganizationTable;
  township: OrganizationTable;
  grassroots: OrganizationTable;
  pool: OrganizationTable;
  sibling: OrganizationTable;
  siblingUnion: OrganizationTable;
  /** A county with two street unions: a worker there must pick one. */
  busy: OrganizationTable;
  streets: OrganizationTable[];
}
let tree: Tree;
let unit: WorkUnitTable;
let bareUnit: WorkUnitTable;
let siblingUnit: WorkUnitTable;

const users = new Map<string, TestUser>();
/** membership.review at the county: covers its grassroots, township and pool unions. */
let reviewer: Agent;
/** membership.review at the grassroots union only. */
let grassReviewer: Agent;
/** membership.review and org.update at the city federation. */
let cityCadre: Agent;
/** membership.review at the sibling county: everything of the home county is out of its scope. */
let stranger: Agent;
/** A cadre with no grants. */
let nobody: Agent;

type Application = {
  id: string;
  state: string;
  version: number;
  unionId: string;
  route: string;
  orgId: string;
  idNumber: string;
  phone: string | null;
  name: string;
  dueAt: string | null;
  overdue: boolean;
  documentsNeeded: string[];
  documentsMissing: string[];
  rejectionReason: string | null;
  memberNumber: string | null;
  actions: { action: string }[];
};

const DAY = 86_400_000;
const pdf = () => ({ filename: 'contract.pdf', content: Buffer.from('%PDF-1.4'), contentType: 'application/pdf' });

async function child(
  parent: OrganizationTable,
  name: string,
  type: 'federation' | 'township' | 'joint' | 'grassroots',
  level: 'city' | 'county' | null,
  regionCode: string | null,
) {
  return app.services.orgs.provisionChild(sys, {
    parentId: parent.id,
    name: unique(name),
    type,
    level,
    regionCode,
  });
}

async function cadre(name: string, permissions: string[], at: OrganizationTable) {
  const role = await makeRole(app, permissions);
  const who = await makeUser(app, { org: at, roles: [role.code], totp: true });
  users.set(name, who);
  return signIn(app, who);
}

/** Moving the clock by days ends every session: sign the cadres in again. */
async function advance(ms: number) {
  clock.advance(ms);
  reviewer = await signIn(app, users.get('reviewer')!);
  grassReviewer = await signIn(app, users.get('grassReviewer')!);
  cityCadre = await signIn(app, users.get('cityCadre')!);
  stranger = await signIn(app, users.get('stranger')!);
}

/** A worker's form for the registered employer with a union (no proof of work needed). */
function employeeForm(overrides: Record<string, unknown> = {}) {
  return { name: '赵新工', idNumber: randomIdNumber(), employmentType: 'regular', workUnitId: unit.id, ...overrides };
}

async function worker(phone = randomPhone()) {
  return { phone, me: await signInBySms(app, phone) };
}

async function submit(me: Agent, form: Record<string, unknown>) {
  const res = await me.post('/api/joining/applications', form);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.json<Application>();
}

/** The union where the approved application's membership opened. */
async function membershipUnionOf(instanceId: string): Promise<string> {
  const row = await app.core.db
    .selectFrom('join_application')
    .innerJoin('membership', 'membership.id', 'join_application.membership_id')
    .select('membership.org_id')
    .where('join_application.instance_id', '=', instanceId)
    .executeTakeFirstOrThrow();
  return row.org_id;
}

beforeAll(async () => {
  t = await createTestApp({ SMS_IP_LIMIT_PER_HOUR: '100000' }, { now: clock.now, runJobs: false });
  app = t.app;
  const province = await app.services.orgs.createRoot(sys, { name: unique('陕西省总工会'), level: 'province' });
  const city = await child(province, '西安市总工会', 'federation', 'city', '610100');
  const county = await child(city, '雁塔区总工会', 'federation', 'county', '610113');
  const township = await child(county, '小寨路街道总工会', 'township', null, '610113');
  const grassroots = await child(county, '智造科技公司工会', 'grassroots', null, '610113');
  const pool = await child(county, '快递行业联合工会', 'joint', null, '610113');
  const sibling = await child(city, '莲湖区总工会', 'federation', 'county', '610104');
  const siblingUnion = await child(sibling, '莲湖公司工会', 'grassroots', null, '610104');
  const busy = await child(city, '未央区总工会', 'federation', 'county', '610112');
  const streets = [
    await child(busy, '张家堡街道总工会', 'township', null, '610112'),
    await child(busy, '未央宫街道总工会', 'township', null, '610112'),
  ];
  tree = { province, city, county, township, grassroots, pool, sibling, siblingUnion, busy, streets };
  unit = await makeWorkUnit(app, { org: grassroots });
  // A registered unit without a union of its own, answered for by the street union.
  bareUnit = await makeWorkUnit(app, { org: township, union: null });
  siblingUnit = await makeWorkUnit(app, { org: siblingUnion });

  reviewer = await cadre('reviewer', ['membership.review'], county);
  grassReviewer = await cadre('grassReviewer', ['membership.review'], grassroots);
  cityCadre = await cadre('cityCadre', ['membership.review', 'org.update'], city);
  stranger = await cadre('stranger', ['membership.review', 'member.read', 'org.update'], sibling);
  users.set('nobody', await makeUser(app, { org: county }));
  nobody = await signIn(app, users.get('nobody')!);
  await app.services.workflow.engine.setCalendarDays(sys, [{ day: '2026-05-01', working: false, name: '劳动节' }]);
  const pooled = await cityCadre.put('/api/joining/pools', {
    federationId: city.id,
    newFormGroup: 'courier',
    poolOrgId: pool.id,
  });
  expect(pooled.status, JSON.stringify(pooled.body)).toBe(200);
});
afterAll(async () => t.close());

describe('routing and form rules (unit)', () => {
  const org = (id: string, type: string, region: string | null, status = 'active'): RouteOrg => ({
    id,
    name: id,
    type,
    status,
    path: `/${id}/`,
    region_code: region,
  });
  const region = { code: '610113', codes: ['610113', '610100'] };
  const base = { employmentType: 'regular', employer: null, region, pool: null, local: [], chosenLocalId: null };

  it("takes the employer's union first, then the new-form pool, then the nearest local union", () => {
    const union = org('u', 'grassroots', '610113');
    const pool = org('p', 'joint', '610113');
    const street = org('s', 'township', '610113');
    expect(chooseUnion({ ...base, employer: { union, answering: null }, pool, local: [street] })).toMatchObject({
      union: { id: 'u' },
      route: 'employer',
    });
    expect(chooseUnion({ ...base, employmentType: 'new_form', pool, local: [street] }).route).toBe('pool');
    expect(chooseUnion({ ...base, pool, local: [street] })).toMatchObject({ union: { id: 's' }, route: 'local' });
    // A dissolved employer union does not take anyone: the local union does.
    const gone = org('g', 'grassroots', '610113', 'dissolved');
    expect(chooseUnion({ ...base, employer: { union: gone, answering: null }, local: [street] }).route).toBe('local');
  });

  it('prefers the county to the city and a township union to a joint one', () => {
    const ranked = rankLocal(region, [
      org('city-street', 'township', '610100'),
      org('joint', 'joint', '610113'),
      org('street', 'township', '610113'),
      org('elsewhere', 'township', '610104'),
    ]);
    expect(ranked.map((r) => r.org.id)).toEqual(['street', 'joint', 'city-street']);
    expect(chooseUnion({ ...base, local: [org('city-street', 'township', '610100')] }).union.id).toBe('city-street');
  });

  it('names the field to correct when nothing or too much is found', () => {
    expect(() => chooseUnion({ ...base, region: null })).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        fields: [expect.objectContaining({ field: 'body.workRegionCode' })],
      }),
    );
    expect(() => chooseUnion({ ...base, local: [] })).toThrow(expect.objectContaining({ code: 'JOIN_NO_UNION' }));
    const two = [org('a', 'township', '610113'), org('b', 'township', '610113')];
    expect(() => chooseUnion({ ...base, local: two })).toThrow(
      expect.objectContaining({ fields: [expect.objectContaining({ field: 'body.localUnionId' })] }),
    );
    expect(chooseUnion({ ...base, local: two, chosenLocalId: 'b' }).union.id).toBe('b');
    expect(() => chooseUnion({ ...base, local: two, chosenLocalId: 'x' })).toThrow(
      expect.objectContaining({ fields: [expect.objectContaining({ field: 'body.localUnionId' })] }),
    );
  });

  it('asks a proof of work where no employer with a union vouches', () => {
    expect(documentsNeeded('portal', 'regular', 'employer')).toEqual([]);
    expect(documentsNeeded('portal', 'regular', 'local')).toEqual(['workProof']);
    expect(documentsNeeded('portal', 'new_form', 'employer')).toEqual(['workProof']);
    expect(documentsNeeded('portal', 'flexible', 'pool')).toEqual(['workProof']);
    expect(documentsNeeded('list', 'new_form', 'pool')).toEqual([]);
  });

  it('derives the identity and refuses the under-aged, each with its own error', () => {
    const ok = checkJoinForm({ idNumber: '11010519491231002X', employmentType: 'flexible' }, '2026-04-29');
    expect(ok.identity).toEqual({ idNumber: '11010519491231002X', gender: 'female', birthDate: '1949-12-31' });
    expect(() =>
      checkJoinForm(
        { idNumber: randomIdNumber({ birthDate: '2011-01-01' }), employmentType: 'flexible' },
        '2026-04-29',
      ),
    ).toThrow(expect.objectContaining({ code: 'MEMBER_TOO_YOUNG' }));
    expect(() => checkJoinForm({ idNumber: '110105194912310021', employmentType: 'flexible' }, '2026-04-29')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(() => checkJoinForm({ idNumber: randomIdNumber(), employmentType: 'regular' }, '2026-04-29')).toThrow(
      expect.objectContaining({ fields: [expect.objectContaining({ field: 'body.workUnitName' })] }),
    );
  });
});

describe('submit', () => {
  it('requires authentication', async () => {
    expect((await agent(app).post('/api/joining/applications', employeeForm())).status).toBe(401);
    expect((await agent(app).get('/api/joining/applications/mine')).status).toBe(401);
  });

  it('routes to the employer’s union, with the ID number and phone encrypted and masked', async () => {
    const { me, phone } = await worker();
    const form = employeeForm();
    const a = await submit(me, form);
    expect(a).toMatchObject({
      state: 'submitted',
      unionId: tree.grassroots.id,
      route: 'employer',
      documentsNeeded: [],
    });
    expect(a.idNumber).toBe(`${String(form.idNumber).slice(0, 4)}**********${String(form.idNumber).slice(-4)}`);
    expect(a.phone).toBe(`${phone.slice(0, 3)}****${phone.slice(-4)}`);
    expect(a.name).toBe('赵*工');
    // Deadline: Thursday 30 April, (Friday 1 May holiday, weekend), Monday 4, Tuesday 5 May.
    expect(a.dueAt).toBe('2026-05-05T15:59:59.999Z');
    const row = await app.core.db
      .selectFrom('join_application')
      .selectAll()
      .where('instance_id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row.id_number_cipher).not.toContain(String(form.idNumber));
    const instance = await app.core.db
      .selectFrom('workflow_instance')
      .select('data')
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(instance.data).not.toContain(String(form.idNumber));
    expect(instance.data).not.toContain(phone);
    const audit = await app.core.db
      .selectFrom('audit_event')
      .select('changes')
      .where('subject_id', '=', a.id)
      .execute();
    expect(JSON.stringify(audit)).not.toContain(String(form.idNumber));
    const mine = await me.get('/api/joining/applications/mine');
    expect(mine.json<{ items: Application[] }>().items.map((i) => i.id)).toEqual([a.id]);
    expect((await me.get(`/api/joining/applications/${a.id}`)).status).toBe(200);
  });

  it('routes by credit code, to the street union answering for a unit without a union, and to the pool', async () => {
    const byCode = await submit(
      (await worker()).me,
      employeeForm({ workUnitId: undefined, creditCode: unit.credit_code }),
    );
    expect(byCode).toMatchObject({ unionId: tree.grassroots.id, route: 'employer' });
    const bare = await submit((await worker()).me, employeeForm({ workUnitId: bareUnit.id }));
    expect(bare).toMatchObject({ unionId: tree.township.id, route: 'local', documentsNeeded: ['workProof'] });
    const courier = await submit((await worker()).me, {
      name: '钱快递',
      idNumber: randomIdNumber(),
      employmentType: 'new_form',
      newFormGroup: 'courier',
      workRegionCode: '610113',
    });
    expect(courier).toMatchObject({ unionId: tree.pool.id, route: 'pool', documentsNeeded: ['workProof'] });
    // A rider has no pool here: the street union of the county takes them.
    const rider = await submit((await worker()).me, {
      name: '孙骑手',
      idNumber: randomIdNumber(),
      employmentType: 'new_form',
      newFormGroup: 'delivery_rider',
      workRegionCode: '610113',
    });
    expect(rider).toMatchObject({ unionId: tree.township.id, route: 'local' });
    const unregistered = await submit((await worker()).me, {
      name: '李店员',
      idNumber: randomIdNumber(),
      employmentType: 'migrant',
      workUnitName: '小寨某餐馆',
      workRegionCode: '610112',
      localUnionId: tree.streets[1]!.id,
    });
    expect(unregistered).toMatchObject({ unionId: tree.streets[1]!.id, route: 'local' });
  });

  it('refuses bad input, each with its own error and field', async () => {
    const { me } = await worker();
    const bad = async (form: Record<string, unknown>) => errorOf(await me.post('/api/joining/applications', form));
    expect(await bad(employeeForm({ employmentType: 'astronaut' }))).toMatchObject({
      status: 400,
      fields: ['body.employmentType'],
    });
    expect(await bad(employeeForm({ idNumber: '110105194912310021' }))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: ['body.idNumber'],
    });
    expect(await bad(employeeForm({ idNumber: randomIdNumber({ birthDate: '2012-06-01' }) }))).toMatchObject({
      status: 400,
      code: 'MEMBER_TOO_YOUNG',
      fields: ['body.idNumber'],
    });
    expect(await bad(employeeForm({ employmentType: 'new_form' }))).toMatchObject({
      status: 400,
      fields: ['body.newFormGroup'],
    });
    expect(await bad(employeeForm({ workUnitId: undefined, creditCode: '91610113MA6TXXXXX0' }))).toMatchObject({
      status: 400,
      fields: ['body.creditCode'],
    });
    expect(await bad({ name: '周灵活', idNumber: randomIdNumber(), employmentType: 'flexible' })).toMatchObject({
      status: 400,
      fields: ['body.workRegionCode'],
    });
    expect(
      await bad({ name: '周灵活', idNumber: randomIdNumber(), employmentType: 'flexible', workRegionCode: '610112' }),
    ).toMatchObject({ status: 400, fields: ['body.localUnionId'] });
    expect(
      await bad({ name: '周灵活', idNumber: randomIdNumber(), employmentType: 'flexible', workRegionCode: '650102' }),
    ).toMatchObject({ status: 409, code: 'JOIN_NO_UNION', fields: ['body.workRegionCode'] });
    expect(
      await bad({ name: '周灵活', idNumber: randomIdNumber(), employmentType: 'flexible', workRegionCode: '999999' }),
    ).toMatchObject({ status: 400, fields: ['body.workRegionCode'] });
  });

  it('refuses a second pending application for the same ID number', async () => {
    const idNumber = randomIdNumber();
    await submit((await worker()).me, employeeForm({ idNumber }));
    const again = await (await worker()).me.post('/api/joining/applications', employeeForm({ idNumber }));
    expect(errorOf(again)).toMatchObject({ status: 409, code: 'JOIN_APPLICATION_PENDING', fields: ['body.idNumber'] });
  });

  it('refuses a member, naming the union only on the applicant’s own bound record', async () => {
    const member = await makeMember(app, { org: tree.siblingUnion });
    const stranger = await (
      await worker()
    ).me.post('/api/joining/applications', employeeForm({ idNumber: member.idNumber, name: member.person.name }));
    expect(errorOf(stranger)).toMatchObject({ status: 409, code: 'JOIN_ALREADY_MEMBER', fields: ['body.idNumber'] });
    const text = JSON.stringify(stranger.body);
    expect(text).not.toContain(tree.siblingUnion.name);
    expect(text).toContain('会籍接转');

    // The member's own phone: the real-name record links by it, and the refusal names their union.
    const own = await signInBySms(app, member.phone!);
    expect((await own.get('/api/me/real-name')).json<{ bound: boolean }>().bound).toBe(true);
    const mine = await own.post(
      '/api/joining/applications',
      employeeForm({ idNumber: member.idNumber, name: member.person.name }),
    );
    expect(errorOf(mine).code).toBe('JOIN_ALREADY_MEMBER');
    expect(JSON.stringify(mine.body)).toContain(tree.siblingUnion.name);
  });

  it('refuses a phone registered to another person', async () => {
    const other = await makeMember(app, { org: tree.siblingUnion });
    const me = await signInBySms(app, other.phone!);
    const res = await me.post('/api/joining/applications', employeeForm());
    expect(errorOf(res)).toMatchObject({ status: 409, code: 'PHONE_TAKEN', fields: ['phone'] });
  });

  it('finds employers and local unions for the form', async () => {
    const { me } = await worker();
    const byName = await me.get(`/api/joining/employers?q=${encodeURIComponent(unit.name.slice(2, 8))}`);
    expect(byName.json<{ items: { id: string; unionName: string | null }[] }>().items).toContainEqual(
      expect.objectContaining({ id: unit.id, unionName: tree.grassroots.name }),
    );
    const byCode = await me.get(`/api/joining/employers?q=${unit.credit_code}`);
    expect(byCode.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([unit.id]);
    const local = await me.get('/api/joining/local-unions?regionCode=610112');
    expect(
      local
        .json<{ items: { id: string }[] }>()
        .items.map((i) => i.id)
        .sort(),
    ).toEqual(tree.streets.map((s) => s.id).sort());
    expect(errorOf(await me.get('/api/joining/local-unions?regionCode=999999'))).toMatchObject({ status: 400 });
    expect((await agent(app).get('/api/joining/employers?q=科技')).status).toBe(401);
  });
});

describe('review queue and decisions', () => {
  it('requires authentication and permission, and lists only the subtree', async () => {
    const a = await submit((await worker()).me, employeeForm());
    expect((await agent(app).get('/api/joining/applications')).status).toBe(401);
    expect((await nobody.get('/api/joining/applications')).status).toBe(403);
    const ids = async (who: Agent, q = '') =>
      (await who.get(`/api/joining/applications?pageSize=200${q}`))
        .json<{ items: Application[] }>()
        .items.map((i) => i.id);
    expect(await ids(reviewer)).toContain(a.id);
    expect(await ids(grassReviewer)).toContain(a.id);
    expect(await ids(cityCadre, `&orgId=${tree.county.id}&state=submitted`)).toContain(a.id);
    expect(await ids(stranger)).not.toContain(a.id);
    expect((await stranger.get(`/api/joining/applications?orgId=${tree.county.id}`)).status).toBe(404);
    const detail = await reviewer.get(`/api/joining/applications/${a.id}`);
    expect(
      detail
        .json<Application>()
        .actions.map((x) => x.action)
        .sort(),
    ).toEqual(['approve', 'reject']);
    expect((await stranger.get(`/api/joining/applications/${a.id}`)).status).toBe(404);
  });

  it('approves: membership with a member number, linked account, e-card, welcome naming union and number', async () => {
    const { me, phone } = await worker();
    const a = await submit(me, employeeForm({ name: '钱入会' }));
    expect((await agent(app).post(`/api/joining/applications/${a.id}/approve`, {})).status).toBe(401);
    expect((await nobody.post(`/api/joining/applications/${a.id}/approve`, {})).status).toBe(403);
    expect((await stranger.post(`/api/joining/applications/${a.id}/approve`, {})).status).toBe(404);
    expect(
      errorOf(await reviewer.post(`/api/joining/applications/${a.id}/approve`, { expectedVersion: 'x' })),
    ).toMatchObject({
      status: 400,
      fields: ['body.expectedVersion'],
    });
    // The applicant cannot decide their own application.
    expect((await me.post(`/api/joining/applications/${a.id}/approve`, {})).status).toBe(403);

    const res = await grassReviewer.post(`/api/joining/applications/${a.id}/approve`, { comment: '情况属实' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = res.json<Application>();
    expect(done.state).toBe('approved');
    expect(done.memberNumber).toMatch(/^2026\d{8}$/);
    expect(done.dueAt).toBeNull();

    const card = await me.get('/api/me/card');
    expect(card.status, JSON.stringify(card.body)).toBe(200);
    expect(card.json()).toMatchObject({
      memberNumber: done.memberNumber,
      unionName: tree.grassroots.name,
      valid: true,
      issued: false,
    });
    const issued = await me.post('/api/me/card', {});
    expect(issued.status).toBe(201);
    const claimed = issued.json<{ cardId: string; secret: string; issued: boolean }>();
    expect(claimed.issued).toBe(true);
    expect(claimed.cardId).toBe(card.json<{ cardId: string }>().cardId);
    expect(claimed.secret.length).toBeGreaterThan(20);

    const inbox = await me.get('/api/me/notifications');
    const texts = inbox.json<{ items: { body: { 'zh-CN': string } }[] }>().items.map((n) => n.body['zh-CN']);
    expect(texts.some((x) => x.includes(tree.grassroots.name) && x.includes(done.memberNumber!))).toBe(true);
    const sms = readOutbox(outboxFile(app.core.config.DATA_DIR)).filter((m) => m.phone === phone);
    expect(sms.some((m) => m.text.includes(done.memberNumber!))).toBe(true);

    const real = await me.get('/api/me/real-name');
    expect(real.json()).toMatchObject({ bound: true, memberships: [{ memberNumber: done.memberNumber }] });
    // Approved is final: no resubmission, no second decision.
    expect(errorOf(await me.post(`/api/joining/applications/${a.id}/resubmit`, employeeForm()))).toMatchObject({
      status: 409,
      code: 'WORKFLOW_ACTION_UNAVAILABLE',
    });
    expect(errorOf(await reviewer.post(`/api/joining/applications/${a.id}/approve`, {})).code).toBe(
      'WORKFLOW_ACTION_UNAVAILABLE',
    );
  });

  it('refuses an approval without the proof of work, then approves once it is attached', async () => {
    const { me } = await worker();
    const a = await submit(me, {
      name: '孙快递',
      idNumber: randomIdNumber(),
      employmentType: 'new_form',
      newFormGroup: 'courier',
      workRegionCode: '610113',
    });
    expect(a.documentsMissing).toEqual(['workProof']);
    const refused = await reviewer.post(`/api/joining/applications/${a.id}/approve`, {});
    expect(errorOf(refused)).toMatchObject({
      status: 400,
      code: 'WORKFLOW_DOCUMENT_MISSING',
      fields: ['documents.workProof'],
    });
    const up = await postMultipart(me, `/api/workflow/instances/${a.id}/attachments`, {
      kind: 'workProof',
      file: pdf(),
    });
    expect(up.status).toBe(201);
    const ok = await reviewer.post(`/api/joining/applications/${a.id}/approve`, {});
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.json<Application>()).toMatchObject({ state: 'approved', documentsMissing: [] });
  });

  it('rejects with a required reason; the worker corrects and resubmits, or resubmits while pending', async () => {
    const { me } = await worker();
    const a = await submit(me, employeeForm({ name: '周改正' }));
    expect(errorOf(await reviewer.post(`/api/joining/applications/${a.id}/reject`, {}))).toMatchObject({
      status: 400,
      fields: ['body.reason'],
    });
    expect(errorOf(await reviewer.post(`/api/joining/applications/${a.id}/reject`, { reason: '  ' }))).toMatchObject({
      status: 400,
      fields: ['body.reason'],
    });
    expect((await nobody.post(`/api/joining/applications/${a.id}/reject`, { reason: 'x' })).status).toBe(403);
    expect((await stranger.post(`/api/joining/applications/${a.id}/reject`, { reason: 'x' })).status).toBe(404);
    // While pending the worker may correct the form: the three days start again.
    const pending = await me.post(`/api/joining/applications/${a.id}/resubmit`, employeeForm({ name: '周改好' }));
    expect(pending.status, JSON.stringify(pending.body)).toBe(200);
    expect(pending.json<Application>()).toMatchObject({ state: 'submitted', name: '周*好' });

    const rejected = await reviewer.post(`/api/joining/applications/${a.id}/reject`, {
      reason: '身份证姓名与单位名册不符',
    });
    expect(rejected.status).toBe(200);
    expect((await me.get(`/api/joining/applications/${a.id}`)).json<Application>()).toMatchObject({
      state: 'rejected',
      rejectionReason: '身份证姓名与单位名册不符',
    });
    expect(
      (await me.get(`/api/joining/applications/${a.id}`))
        .json<Application>()
        .actions.map((x) => x.action)
        .sort(),
    ).toEqual(['appeal', 'resubmit', 'withdraw']);
    // Someone else's application is not theirs to correct.
    const other = await worker();
    expect((await other.me.post(`/api/joining/applications/${a.id}/resubmit`, employeeForm())).status).toBe(404);
    expect(
      errorOf(await me.post(`/api/joining/applications/${a.id}/resubmit`, employeeForm({ idNumber: 'x' }))),
    ).toMatchObject({
      status: 400,
      fields: ['body.idNumber'],
    });
    // A correction that moves the application to another union is refused.
    expect(
      errorOf(
        await me.post(`/api/joining/applications/${a.id}/resubmit`, employeeForm({ workUnitId: siblingUnit.id })),
      ),
    ).toMatchObject({ status: 409, code: 'JOIN_UNION_CHANGED' });
    const again = await me.post(`/api/joining/applications/${a.id}/resubmit`, employeeForm({ name: '周正确' }));
    expect(again.json<Application>()).toMatchObject({ state: 'submitted', name: '周*确', rejectionReason: null });
  });

  it('takes an appeal to the higher union, which decides it there', async () => {
    const { me } = await worker();
    const a = await submit(me, employeeForm({ name: '吴申诉' }));
    await grassReviewer.post(`/api/joining/applications/${a.id}/reject`, { reason: '非本单位职工' });
    const appeal = await me.post(`/api/me/applications/${a.id}/actions`, { action: 'appeal' });
    expect(errorOf(appeal)).toMatchObject({ status: 400, fields: ['body.comment'] });
    const ok = await me.post(`/api/me/applications/${a.id}/actions`, {
      action: 'appeal',
      comment: '我已在该单位工作两年',
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    // The union that refused no longer sees it; the county decides.
    expect((await grassReviewer.get(`/api/joining/applications/${a.id}`)).status).toBe(404);
    const seen = (await reviewer.get(`/api/joining/applications/${a.id}`)).json<Application>();
    expect(seen).toMatchObject({ state: 'appealReview', orgId: tree.county.id, unionId: tree.grassroots.id });
    expect(errorOf(await reviewer.post(`/api/joining/applications/${a.id}/approve`, {}))).toMatchObject({
      status: 400,
      fields: ['body.comment'],
    });
    const granted = await reviewer.post(`/api/joining/applications/${a.id}/approve`, { comment: '经核实劳动关系属实' });
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    expect(granted.json<Application>().state).toBe('approved');
    expect(await membershipUnionOf(a.id)).toBe(tree.grassroots.id);
  });

  it('batch-approves the selected rows, answering each on its own', async () => {
    const ready = [
      await submit((await worker()).me, employeeForm()),
      await submit((await worker()).me, employeeForm()),
    ];
    const lacking = await submit((await worker()).me, employeeForm({ workUnitId: bareUnit.id }));
    const foreign = await submit((await worker()).me, employeeForm({ workUnitId: siblingUnit.id }));
    const body = { ids: [ready[0]!.id, lacking.id, foreign.id, ready[1]!.id, 'no-such-id'], comment: '一键审核' };
    expect((await agent(app).post('/api/joining/applications/batch-approve', body)).status).toBe(401);
    expect((await nobody.post('/api/joining/applications/batch-approve', body)).status).toBe(403);
    expect(errorOf(await reviewer.post('/api/joining/applications/batch-approve', { ids: [] }))).toMatchObject({
      status: 400,
      fields: ['body.ids'],
    });
    const res = await reviewer.post('/api/joining/applications/batch-approve', body);
    expect(res.status).toBe(200);
    const out = res.json<{ approved: number; results: { id: string; ok: boolean; code: string | null }[] }>();
    expect(out.approved).toBe(2);
    expect(out.results.map((r) => [r.ok, r.code])).toEqual([
      [true, null],
      [false, 'WORKFLOW_DOCUMENT_MISSING'],
      [false, 'NOT_FOUND'],
      [true, null],
      [false, 'NOT_FOUND'],
    ]);
    for (const a of ready) {
      expect((await reviewer.get(`/api/joining/applications/${a.id}`)).json<Application>().memberNumber).toMatch(
        /^2026/,
      );
    }
  });

  it('lets a withdrawn member rejoin, keeping their record', async () => {
    const member = await makeMember(app, { org: tree.siblingUnion, name: '郑回归' });
    await app.core.db
      .updateTable('membership')
      .set({ status: 'withdrawn', ended_on: '2026-01-15', end_reason: 'voluntary' })
      .where('person_id', '=', member.person.id)
      .execute();
    const me = await signInBySms(app, member.phone!);
    const a = await submit(me, employeeForm({ idNumber: member.idNumber, name: '郑回归' }));
    const ok = await reviewer.post(`/api/joining/applications/${a.id}/approve`, {});
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const memberships = await app.core.db
      .selectFrom('membership')
      .select(['org_id', 'status'])
      .where('person_id', '=', member.person.id)
      .orderBy('started_on')
      .execute();
    expect(memberships).toEqual([
      { org_id: tree.siblingUnion.id, status: 'withdrawn' },
      { org_id: tree.grassroots.id, status: 'active' },
    ]);
    const rejoin = await app.core.db
      .selectFrom('audit_event')
      .select('action')
      .where('subject_id', '=', member.person.id)
      .where('action', '=', 'member.rejoin')
      .execute();
    expect(rejoin).toHaveLength(1);
  });

  it('sets a pool only as a cadre of the federation, audited', async () => {
    const body = { federationId: tree.city.id, newFormGroup: 'ride_hailing', poolOrgId: tree.pool.id };
    expect((await agent(app).put('/api/joining/pools', body)).status).toBe(401);
    expect((await nobody.put('/api/joining/pools', body)).status).toBe(403);
    expect((await stranger.put('/api/joining/pools', body)).status).toBe(404);
    expect(errorOf(await cityCadre.put('/api/joining/pools', { ...body, poolOrgId: tree.city.id }))).toMatchObject({
      status: 400,
      fields: ['body.poolOrgId'],
    });
    expect(errorOf(await cityCadre.put('/api/joining/pools', { ...body, newFormGroup: 'pilot' }))).toMatchObject({
      status: 400,
      fields: ['body.newFormGroup'],
    });
    const ok = await cityCadre.put('/api/joining/pools', body);
    expect(ok.json()).toMatchObject({ poolOrgId: tree.pool.id, poolOrgName: tree.pool.name });
    const audit = await app.core.db
      .selectFrom('audit_event')
      .select('action')
      .where('action', '=', 'joining.pool.set')
      .where('subject_id', '=', tree.city.id)
      .execute();
    expect(audit.length).toBeGreaterThanOrEqual(2);
  });
});

describe('a union that merges or is dissolved', () => {
  const inboxOf = async (me: Agent) =>
    (await me.get('/api/me/notifications'))
      .json<{ items: { body: { 'zh-CN': string } }[] }>()
      .items.map((n) => n.body['zh-CN']);

  it('hands a refused application to the union it merged into, where it is resubmitted and approved', async () => {
    const restructurer = await cadre('restructurer', ['org.restructure'], tree.county);
    const merging = await child(tree.county, '合并前公司工会', 'grassroots', null, '610113');
    const into = await child(tree.county, '合并后公司工会', 'grassroots', null, '610113');
    const mergingUnit = await makeWorkUnit(app, { org: merging });
    const { me, phone } = await worker();
    const form = employeeForm({ name: '钱合并', workUnitId: mergingUnit.id });
    const a = await submit(me, form);
    expect(a.unionId).toBe(merging.id);
    const merge = () => restructurer.post(`/api/orgs/${merging.id}/merge`, { targetId: into.id, reason: '两公司合并' });
    // Under review there: its cadres decide it first.
    expect(errorOf(await merge())).toMatchObject({ status: 409, code: 'ORG_HAS_OPEN_CASES' });
    expect((await reviewer.post(`/api/joining/applications/${a.id}/reject`, { reason: '请核对姓名' })).status).toBe(
      200,
    );
    expect((await merge()).status).toBe(200);

    expect((await me.get(`/api/joining/applications/${a.id}`)).json<Application>()).toMatchObject({
      state: 'rejected',
      orgId: into.id,
      unionId: into.id,
    });
    expect((await inboxOf(me)).some((x) => x.includes(`并入${into.name}`))).toBe(true);
    // A refused application waits on its applicant: the inbox tells them, no SMS.
    const sms = readOutbox(outboxFile(app.core.config.DATA_DIR)).filter((m) => m.phone === phone);
    expect(sms.filter((m) => m.text.includes('并入'))).toEqual([]);
    // The work unit went to the target too, so the corrected form routes where the application now is.
    const again = await me.post(`/api/joining/applications/${a.id}/resubmit`, form);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.json<Application>()).toMatchObject({ state: 'submitted', unionId: into.id });
    const approved = await reviewer.post(`/api/joining/applications/${a.id}/approve`, {});
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(await membershipUnionOf(a.id)).toBe(into.id);
  });

  it('closes a refused application when its union is dissolved; the worker may apply again', async () => {
    const restructurer = await cadre('dissolver', ['org.restructure'], tree.county);
    const closing = await child(tree.county, '将撤销公司工会', 'grassroots', null, '610113');
    const closingUnit = await makeWorkUnit(app, { org: closing });
    const { me } = await worker();
    const form = employeeForm({ name: '孙撤销', workUnitId: closingUnit.id });
    const a = await submit(me, form);
    expect((await reviewer.post(`/api/joining/applications/${a.id}/reject`, { reason: '请核对姓名' })).status).toBe(
      200,
    );
    const dissolved = await restructurer.post(`/api/orgs/${closing.id}/dissolve`, { reason: '单位注销' });
    expect(dissolved.status, JSON.stringify(dissolved.body)).toBe(200);

    const closed = (await me.get(`/api/joining/applications/${a.id}`)).json<Application>();
    expect(closed).toMatchObject({ state: 'withdrawn', unionId: closing.id, actions: [] });
    const row = await app.core.db
      .selectFrom('join_application')
      .select(['state', 'pending'])
      .where('instance_id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'withdrawn', pending: 0 });
    expect((await inboxOf(me)).some((x) => x.includes('已撤销') && x.includes('重新申请'))).toBe(true);
    // Nothing of it is pending: a new application goes to whoever answers for the unit now.
    const next = await submit(me, form);
    expect(next.unionId).toBe(tree.township.id);
  });

  it('closes an application under appeal at the union above when the union it joins is dissolved', async () => {
    const restructurer = await cadre('appealDissolver', ['org.restructure'], tree.county);
    const closing = await child(tree.county, '申诉中撤销公司工会', 'grassroots', null, '610113');
    const { me } = await worker();
    const a = await submit(
      me,
      employeeForm({ name: '李申诉', workUnitId: (await makeWorkUnit(app, { org: closing })).id }),
    );
    expect((await reviewer.post(`/api/joining/applications/${a.id}/reject`, { reason: '非本单位职工' })).status).toBe(
      200,
    );
    const appealed = await me.post(`/api/me/applications/${a.id}/actions`, { action: 'appeal', comment: '请复核' });
    expect(appealed.status, JSON.stringify(appealed.body)).toBe(200);
    expect((await reviewer.get(`/api/joining/applications/${a.id}`)).json<Application>()).toMatchObject({
      state: 'appealReview',
      orgId: tree.county.id,
    });
    // It waits on the county, not on the union being dissolved: it does not stop the dissolution.
    const dissolved = await restructurer.post(`/api/orgs/${closing.id}/dissolve`, { reason: '单位注销' });
    expect(dissolved.status, JSON.stringify(dissolved.body)).toBe(200);
    expect((await me.get(`/api/joining/applications/${a.id}`)).json<Application>()).toMatchObject({
      state: 'withdrawn',
      orgId: tree.county.id,
      actions: [],
    });
    const row = await app.core.db
      .selectFrom('join_application')
      .select(['state', 'pending'])
      .where('instance_id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'withdrawn', pending: 0 });
    expect((await inboxOf(me)).some((x) => x.includes(`${closing.name}已撤销`))).toBe(true);
  });
});

describe('deadlines and reminders', () => {
  it('flags overdue applications and reminds the union once a day', async () => {
    const phone = randomPhone();
    const role = await makeRole(app, ['membership.review']);
    await makeUser(app, { org: tree.township, roles: [role.code], phone, totp: true });
    const a = await submit((await worker()).me, employeeForm({ workUnitId: bareUnit.id }));
    expect(a.dueAt).toBe('2026-05-05T15:59:59.999Z');
    await advance(Date.parse('2026-05-05T15:00:00Z') - clock.now().getTime());
    expect((await reviewer.get(`/api/joining/applications/${a.id}`)).json<Application>().overdue).toBe(false);
    await advance(Date.parse('2026-05-06T01:00:00Z') - clock.now().getTime());
    const overdue = await reviewer.get('/api/joining/applications?overdue=true&pageSize=200');
    expect(overdue.json<{ items: Application[] }>().items.find((i) => i.id === a.id)?.overdue).toBe(true);
    const reminded = await app.services.workflow.engine.scanOverdue();
    expect(reminded.map((i) => i.id)).toContain(a.id);
    const atTownship = reminded.filter((i) => i.orgId === tree.township.id).length;
    expect((await app.services.workflow.engine.scanOverdue()).map((i) => i.id)).not.toContain(a.id);
    // One SMS per overdue application of the street union, to its reviewer; none again the same day.
    const sms = readOutbox(outboxFile(app.core.config.DATA_DIR)).filter((m) => m.phone === phone);
    expect(sms).toHaveLength(atTownship);
    expect(sms.every((m) => m.purpose === 'workflow.overdue' && m.text.includes('入会申请'))).toBe(true);
    const history = await app.core.db
      .selectFrom('workflow_history')
      .select('action')
      .where('instance_id', '=', a.id)
      .where('action', '=', 'remind')
      .execute();
    expect(history).toHaveLength(1);
    await advance(DAY);
  });
});
