import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { outboxFile, readOutbox } from '../src/core/notify/sms.ts';
import type { OrganizationTable } from '../src/db/schema.ts';
import { readCounters, statDay } from '../src/modules/stats/stats.counters.ts';
import { recountSubtree } from '../src/modules/stats/stats.recount.ts';
import { presentCounters } from '../src/modules/stats/stats.service.ts';
import {
  type Agent,
  agent,
  errorOf,
  makeRole,
  makeUser,
  makeWorkUnit,
  postMultipart,
  randomCreditCode,
  randomPhone,
  signIn,
  signInBySms,
  unique,
  withoutRequestId,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

/**
 * Union founding online (网上建会) through the API: every route's 401 / 403 / 404 / 400 / happy
 * path, the whole journey to a union in the tree with its chair, rejections, resubmission,
 * appeal and withdrawal, and the counters against the recount.
 */

const sys = { actor: SYSTEM_ACTOR };
const clock = createTestClock();
let t: Awaited<ReturnType<typeof createTestApp>>;
let app: FastifyInstance;

/** A province with region codes: Xi'an, its Yanta county (with a township), an industry union, a sibling county. */
let tree: {
  province: OrganizationTable;
  city: OrganizationTable;
  county: OrganizationTable;
  township: OrganizationTable;
  industry: OrganizationTable;
  sibling: OrganizationTable;
  siblingTown: OrganizationTable;
};
/** founding.review at the county. */
let reviewer: Agent;
/** founding.review at the city: decides appeals from the county. */
let cityReviewer: Agent;
/** founding.review at the sibling county: the county's applications are out of its scope. */
let stranger: Agent;
/** workflow.read at the county, without founding.review. */
let reader: Agent;
/** org.read at the county (sees its unions), without founding.review. */
let orgReader: Agent;
const anonymous = () => agent(app);

type Application = {
  id: string;
  instanceId: string;
  state: string;
  status: string;
  version: number;
  handlingOrgId: string;
  contactPhone: string;
  dueAt: string | null;
  overdue: boolean;
  unionOrgId: string | null;
  workUnitId: string | null;
  actions: { action: string }[];
  election: { chairName: string } | null;
};

const pdf = (name: string) => ({ filename: name, content: Buffer.from('%PDF-1.4'), contentType: 'application/pdf' });

function applyBody(overrides: Record<string, unknown> = {}) {
  return {
    unitName: unique('西安测试科技有限公司'),
    creditCode: randomCreditCode(),
    unitType: '170',
    industry: 'I',
    regionCode: '610113',
    address: '西安市雁塔区科技路 10 号',
    employeeCount: 50,
    contactName: '刘联系',
    contactPhone: randomPhone(),
    ...overrides,
  };
}

const today = () => new Date(clock.now().getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
const dayAfter = (days: number) =>
  new Date(clock.now().getTime() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);

const assembly = () => ({
  assemblyDate: dayAfter(7),
  expectedMembers: 40,
  candidates: ['张三', '李四', '王五', '赵六'],
});
const election = () => ({
  electedOn: today(),
  chairName: '张三',
  viceChairNames: ['李四'],
  committeeNames: ['张三', '李四', '王五'],
  memberCount: 42,
});

async function attach(a: Agent, instanceId: string, kind: string) {
  const res = await postMultipart(a, `/api/workflow/instances/${instanceId}/attachments`, {
    kind,
    file: pdf(`${kind}.pdf`),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function step(a: Agent, id: string, body: Record<string, unknown>) {
  return a.post(`/api/founding/applications/${id}/steps`, body);
}

async function ok(a: Agent, id: string, body: Record<string, unknown>): Promise<Application> {
  const res = await step(a, id, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.json<Application>();
}

/** A new workplace contact, signed in on the portal by SMS, who applies. */
async function applicant(overrides: Record<string, unknown> = {}) {
  const phone = randomPhone();
  const a = await signInBySms(app, phone);
  const res = await a.post('/api/founding/applications', applyBody({ contactPhone: phone, ...overrides }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { a, phone, application: res.json<Application>() };
}

/** Applied, licence attached, approved: the workplace prepares its assembly. */
async function preparing() {
  const x = await applicant();
  await attach(x.a, x.application.instanceId, 'businessLicence');
  await ok(reviewer, x.application.id, { action: 'approve' });
  return x;
}

async function cadre(permissions: string[] | string, at: OrganizationTable): Promise<Agent> {
  const roles = typeof permissions === 'string' ? [permissions] : [(await makeRole(app, permissions)).code];
  return signIn(app, await makeUser(app, { org: at, roles }));
}

async function countersAgree(orgs: readonly OrganizationTable[]) {
  const counters = await readCounters(
    app.core.db,
    orgs.map((o) => o.id),
  );
  for (const org of orgs) {
    const fresh = (await app.core.db
      .selectFrom('organization')
      .selectAll()
      .where('id', '=', org.id)
      .executeTakeFirstOrThrow()) as OrganizationTable;
    expect(presentCounters(fresh, counters.get(fresh.id) ?? new Map()), fresh.name).toEqual(
      await recountSubtree(app.core.db, app.core.dialect, fresh, statDay(clock.now())),
    );
  }
}

beforeAll(async () => {
  t = await createTestApp({ SMS_IP_LIMIT_PER_HOUR: '100000' }, { now: clock.now });
  app = t.app;
  const orgs = app.services.orgs;
  const province = await orgs.createRoot(sys, {
    name: unique('陕西省总工会'),
    level: 'province',
    regionCode: '610000',
  });
  const child = (parent: OrganizationTable, name: string, type: string, level: string | null, regionCode: string) =>
    orgs.provisionChild(sys, {
      parentId: parent.id,
      name: unique(name),
      type: type as 'federation',
      level: level as 'city' | null,
      regionCode,
    });
  const city = await child(province, '西安市总工会', 'federation', 'city', '610100');
  const county = await child(city, '雁塔区总工会', 'federation', 'county', '610113');
  const township = await child(county, '电子城街道工会', 'township', null, '610113');
  const industry = await child(city, '西安市信息产业工会', 'industry', null, '610100');
  const sibling = await child(city, '未央区总工会', 'federation', 'county', '610112');
  const siblingTown = await child(sibling, '张家堡街道工会', 'township', null, '610112');
  tree = { province, city, county, township, industry, sibling, siblingTown };
  reviewer = await cadre('federation_cadre', county);
  cityReviewer = await cadre('federation_cadre', city);
  stranger = await cadre('federation_cadre', sibling);
  reader = await cadre(['workflow.read'], county);
  orgReader = await cadre(['org.read'], county);
});

afterAll(async () => {
  await t?.close();
});

describe('GET /api/founding/handling-unions', () => {
  it('requires authentication', async () => {
    expect(errorOf(await anonymous().get('/api/founding/handling-unions?regionCode=610113')).status).toBe(401);
  });

  it('refuses a region code that does not exist', async () => {
    const { a } = await applicant();
    expect(errorOf(await a.get('/api/founding/handling-unions?regionCode=999999'))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: ['query.regionCode'],
    });
    expect(errorOf(await a.get('/api/founding/handling-unions?regionCode=61011')).fields).toEqual(['query.regionCode']);
  });

  it('offers the county federation by default, and the township and industry unions of the region', async () => {
    const a = await signInBySms(app, randomPhone());
    const res = await a.get('/api/founding/handling-unions?regionCode=610113');
    expect(res.status).toBe(200);
    const body = res.json<{ defaultOrgId: string; items: { id: string }[] }>();
    expect(body.defaultOrgId).toBe(tree.county.id);
    expect(body.items.map((i) => i.id)).toEqual([tree.county.id, tree.township.id, tree.industry.id]);
    // Nothing in the region (another province): no default.
    const far = (await a.get('/api/founding/handling-unions?regionCode=620102')).json<{ defaultOrgId: null }>();
    expect(far).toEqual({ defaultOrgId: null, items: [] });
  });
});

describe('POST /api/founding/applications', () => {
  it('requires authentication', async () => {
    expect(errorOf(await anonymous().post('/api/founding/applications', applyBody())).status).toBe(401);
  });

  it('refuses bad input with the field named: credit code, employee count, region, chosen union', async () => {
    const a = await signInBySms(app, randomPhone());
    const code = randomCreditCode();
    const wrongCheck = code.slice(0, 17) + (code[17] === '0' ? '1' : '0');
    const cases: [Record<string, unknown>, string][] = [
      [{ creditCode: wrongCheck }, 'body.creditCode'],
      [{ creditCode: '91610113ABC' }, 'body.creditCode'],
      [{ employeeCount: 0 }, 'body.employeeCount'],
      [{ employeeCount: 2.5 }, 'body.employeeCount'],
      [{ regionCode: '999999' }, 'body.regionCode'],
      [{ regionCode: 'xian' }, 'body.regionCode'],
      [{ contactPhone: '12345' }, 'body.contactPhone'],
      [{ handlingOrgId: tree.siblingTown.id }, 'body.handlingOrgId'],
      [{ handlingOrgId: tree.city.id }, 'body.handlingOrgId'],
    ];
    for (const [override, field] of cases) {
      const res = await a.post('/api/founding/applications', applyBody(override));
      expect(errorOf(res), JSON.stringify(override)).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        fields: [field],
      });
    }
    const res = await a.post('/api/founding/applications', applyBody({ creditCode: wrongCheck }));
    const message = (res.body as { error: { fields: { message: Record<string, string> }[] } }).error.fields[0]!.message;
    expect(message['zh-CN']).toContain('校验位');
  });

  it('answers when no union of the region can handle it', async () => {
    const a = await signInBySms(app, randomPhone());
    expect(errorOf(await a.post('/api/founding/applications', applyBody({ regionCode: '620102' })))).toMatchObject({
      status: 409,
      code: 'FOUNDING_NO_HANDLING_UNION',
      fields: ['body.regionCode'],
    });
  });

  it('files the application at the county federation, phone encrypted and masked, the step due in working days', async () => {
    const phone = randomPhone();
    const a = await signInBySms(app, phone);
    const body = applyBody({ contactPhone: phone, creditCode: ` ${randomCreditCode().toLowerCase()} ` });
    const res = await a.post('/api/founding/applications', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const created = res.json<Application>();
    expect(created).toMatchObject({
      state: 'applied',
      status: 'open',
      handlingOrgId: tree.county.id,
      contactPhone: `${phone.slice(0, 3)}****${phone.slice(-4)}`,
      overdue: false,
    });
    expect(created.dueAt).not.toBeNull();
    // The applicant's steps: withdraw now; approving is the union's.
    expect(created.actions.map((x) => x.action)).toEqual(['withdraw']);

    const row = await app.core.db
      .selectFrom('founding_application')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row.credit_code).toBe(String(body.creditCode).trim().toUpperCase());
    expect(row.contact_phone_cipher).not.toContain(phone);
    const instance = await app.core.db
      .selectFrom('workflow_instance')
      .selectAll()
      .where('id', '=', created.instanceId)
      .executeTakeFirstOrThrow();
    expect(instance.data).not.toContain(phone);
    expect(instance.org_id).toBe(tree.county.id);
    const events = await app.core.db
      .selectFrom('audit_event')
      .select('changes')
      .where('subject_id', 'in', [created.id, created.instanceId])
      .execute();
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const e of events) expect(e.changes ?? '').not.toContain(phone);
    // The engine told the applicant.
    const inbox = await a.get('/api/me/notifications');
    expect(JSON.stringify(inbox.body)).toContain('网上建会');
  });

  it('of two contacts applying at once for one workplace, one is refused', async () => {
    const code = randomCreditCode();
    const [a, b] = await Promise.all([signInBySms(app, randomPhone()), signInBySms(app, randomPhone())]);
    const answers = await Promise.all(
      [a, b].map((x) => x.post('/api/founding/applications', applyBody({ creditCode: code }))),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(errorOf(answers.find((r) => r.status === 409)!).code).toBe('FOUNDING_ALREADY_OPEN');
    const rows = await app.core.db
      .selectFrom('founding_application')
      .select(['instance_id'])
      .where('credit_code', '=', code)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.instance_id).not.toBeNull();
  });

  it('goes to the chosen township or industry union', async () => {
    expect((await applicant({ handlingOrgId: tree.township.id })).application.handlingOrgId).toBe(tree.township.id);
    expect((await applicant({ handlingOrgId: tree.industry.id })).application.handlingOrgId).toBe(tree.industry.id);
  });

  it('refuses a second open application of one credit code, and a workplace that has a union', async () => {
    const code = randomCreditCode();
    await applicant({ creditCode: code });
    const again = await (
      await signInBySms(app, randomPhone())
    ).post('/api/founding/applications', applyBody({ creditCode: code }));
    expect(errorOf(again)).toMatchObject({ status: 409, code: 'FOUNDING_ALREADY_OPEN', fields: ['body.creditCode'] });

    const union = await app.services.orgs.provisionChild(sys, {
      parentId: tree.county.id,
      name: unique('已建会公司工会'),
      type: 'grassroots',
      level: null,
    });
    const unit = await makeWorkUnit(app, { org: union });
    const refused = await (
      await signInBySms(app, randomPhone())
    ).post('/api/founding/applications', applyBody({ creditCode: unit.credit_code }));
    expect(errorOf(refused)).toMatchObject({ status: 409, code: 'FOUNDING_UNIT_HAS_UNION' });
    // A member may not learn which union; a cadre who reads it anyway is told.
    expect(JSON.stringify(refused.body)).not.toContain(union.name);
    const told = await orgReader.post('/api/founding/applications', applyBody({ creditCode: unit.credit_code }));
    expect(errorOf(told).code).toBe('FOUNDING_UNIT_HAS_UNION');
    expect(JSON.stringify(told.body)).toContain(union.name);
  });
});

describe('GET /api/founding/applications (the handling unions’ list)', () => {
  let filed: Application;
  beforeAll(async () => {
    filed = (await applicant()).application;
  });

  it('requires authentication and founding.review', async () => {
    expect(errorOf(await anonymous().get('/api/founding/applications')).status).toBe(401);
    expect(errorOf(await reader.get('/api/founding/applications'))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('shows the county’s applications to it and the city, not to the sibling county', async () => {
    const ids = async (a: Agent, query = '') =>
      (await a.get(`/api/founding/applications?pageSize=200${query}`))
        .json<{ items: { id: string }[] }>()
        .items.map((i) => i.id);
    expect(await ids(reviewer)).toContain(filed.id);
    expect(await ids(cityReviewer)).toContain(filed.id);
    expect(await ids(stranger)).not.toContain(filed.id);
    expect(await ids(reviewer, `&state=applied&status=open`)).toContain(filed.id);
    expect(await ids(reviewer, `&state=preparing`)).not.toContain(filed.id);
  });

  it('answers 404 for a union outside the scope, as for a missing one', async () => {
    const outside = await stranger.get(`/api/founding/applications?orgId=${tree.county.id}`);
    const missing = await stranger.get(`/api/founding/applications?orgId=${crypto.randomUUID()}`);
    expect(outside.status).toBe(404);
    expect(withoutRequestId(outside)).toEqual(withoutRequestId(missing));
  });

  it('refuses bad filters', async () => {
    expect(errorOf(await reviewer.get('/api/founding/applications?status=lost')).fields).toEqual(['query.status']);
  });

  it('flags steps past their due time', async () => {
    const late = await applicant();
    clock.advance(30 * 86_400_000);
    try {
      const again = await signIn(app, await makeUser(app, { org: tree.county, roles: ['federation_cadre'] }));
      const overdue = (await again.get('/api/founding/applications?overdue=true&pageSize=200')).json<{
        items: Application[];
      }>().items;
      const mine = overdue.find((i) => i.id === late.application.id);
      expect(mine?.overdue).toBe(true);
    } finally {
      clock.advance(-30 * 86_400_000);
    }
  });
});

describe('GET /api/founding/applications/:id', () => {
  it('shows the applicant and the handling union; 404 for anyone else, as for a missing id', async () => {
    const x = await applicant();
    const url = `/api/founding/applications/${x.application.id}`;
    expect(errorOf(await anonymous().get(url)).status).toBe(401);
    expect((await x.a.get(url)).status).toBe(200);
    expect((await reviewer.get(url)).json<Application>().id).toBe(x.application.id);
    const missing = await stranger.get(`/api/founding/applications/${crypto.randomUUID()}`);
    for (const other of [stranger, await signInBySms(app, randomPhone())]) {
      const res = await other.get(url);
      expect(res.status).toBe(404);
      expect(withoutRequestId(res)).toEqual(withoutRequestId(missing));
    }
  });
});

describe('GET /api/founding/mine', () => {
  it('lists my applications only', async () => {
    expect(errorOf(await anonymous().get('/api/founding/mine')).status).toBe(401);
    const x = await applicant();
    const mine = (await x.a.get('/api/founding/mine')).json<{ items: Application[] }>().items;
    expect(mine.map((i) => i.id)).toEqual([x.application.id]);
    expect((await reviewer.get('/api/founding/mine')).json<{ items: unknown[] }>().items).toEqual([]);
  });
});

describe('POST /api/founding/applications/:id/steps', () => {
  it('requires authentication; out of scope is 404; a step not yours is 403, not available now 409', async () => {
    const x = await applicant();
    const id = x.application.id;
    expect(
      errorOf(await anonymous().post(`/api/founding/applications/${id}/steps`, { action: 'approve' })).status,
    ).toBe(401);
    const outside = await step(stranger, id, { action: 'approve' });
    expect(outside.status).toBe(404);
    expect(withoutRequestId(outside)).toEqual(
      withoutRequestId(await step(stranger, crypto.randomUUID(), { action: 'approve' })),
    );
    // Sees it (workflow.read) but may not decide it.
    expect(errorOf(await step(reader, id, { action: 'approve' }))).toMatchObject({
      status: 403,
      code: 'WORKFLOW_ACTION_FORBIDDEN',
    });
    // The applicant does not approve their own application.
    expect(errorOf(await step(x.a, id, { action: 'approve' })).code).toBe('WORKFLOW_ACTION_FORBIDDEN');
    expect(errorOf(await step(reviewer, id, { action: 'approveResults' }))).toMatchObject({
      status: 409,
      code: 'WORKFLOW_ACTION_UNAVAILABLE',
    });
  });

  it('refuses bad input: a missing licence, a rejection without reason, data of another step', async () => {
    const x = await applicant();
    const id = x.application.id;
    expect(errorOf(await step(reviewer, id, { action: 'approve' }))).toMatchObject({
      status: 400,
      code: 'WORKFLOW_DOCUMENT_MISSING',
      fields: ['documents.businessLicence'],
    });
    expect(errorOf(await step(reviewer, id, { action: 'reject' }))).toMatchObject({
      status: 400,
      fields: ['body.comment'],
    });
    expect(errorOf(await step(reviewer, id, { action: 'approve', assembly: assembly() }))).toMatchObject({
      status: 400,
      fields: ['body.assembly'],
    });
    expect(errorOf(await step(reviewer, id, { action: 'approve', chair: '张三' }))).toMatchObject({
      status: 400,
      fields: ['body.chair'],
    });
  });

  it('refuses an assembly request or election results that break the rules, and missing minutes', async () => {
    const x = await preparing();
    const id = x.application.id;
    expect(errorOf(await step(x.a, id, { action: 'requestAssembly' }))).toMatchObject({
      status: 400,
      fields: ['body.assembly'],
    });
    expect(
      errorOf(await step(x.a, id, { action: 'requestAssembly', assembly: { ...assembly(), expectedMembers: 51 } })),
    ).toMatchObject({ status: 400, fields: ['body.assembly.expectedMembers'] });
    // The plan is a required document of the request; nothing was written by the refused steps.
    expect(errorOf(await step(x.a, id, { action: 'requestAssembly', assembly: assembly() }))).toMatchObject({
      status: 400,
      code: 'WORKFLOW_DOCUMENT_MISSING',
      fields: ['documents.assemblyPlan'],
    });
    expect((await x.a.get(`/api/founding/applications/${id}`)).json<{ assembly: unknown }>().assembly).toBeNull();
    await attach(x.a, x.application.instanceId, 'assemblyPlan');
    await ok(x.a, id, { action: 'requestAssembly', assembly: assembly() });
    await ok(reviewer, id, { action: 'approveAssembly' });
    expect(
      errorOf(await step(x.a, id, { action: 'submitResults', election: { ...election(), committeeNames: ['张三'] } })),
    ).toMatchObject({ status: 400, fields: ['body.election.committeeNames', 'body.election.committeeNames'] });
    await attach(x.a, x.application.instanceId, 'minutes');
    expect(errorOf(await step(x.a, id, { action: 'submitResults', election: election() }))).toMatchObject({
      status: 400,
      code: 'WORKFLOW_DOCUMENT_MISSING',
      fields: ['documents.voteTally'],
    });
  });

  it('runs the whole journey: the union stands in the tree under the county with its chair, counters agree', async () => {
    const x = await applicant({ employeeCount: 120 });
    const id = x.application.id;
    await attach(x.a, x.application.instanceId, 'businessLicence');
    let now = await ok(reviewer, id, { action: 'approve', comment: '材料齐全，同意筹备' });
    expect(now).toMatchObject({ state: 'preparing', status: 'open' });
    await attach(x.a, x.application.instanceId, 'assemblyPlan');
    now = await ok(x.a, id, { action: 'requestAssembly', assembly: assembly(), expectedVersion: now.version });
    expect(now.state).toBe('assemblyReview');
    now = await ok(reviewer, id, { action: 'approveAssembly' });
    expect(now.state).toBe('electing');
    await attach(x.a, x.application.instanceId, 'minutes');
    await attach(x.a, x.application.instanceId, 'voteTally');
    now = await ok(x.a, id, { action: 'submitResults', election: election() });
    expect(now).toMatchObject({ state: 'resultsReview', election: { chairName: '张三' } });
    now = await ok(reviewer, id, { action: 'approveResults' });
    expect(now).toMatchObject({ state: 'founded', status: 'founded' });
    expect(now.actions).toEqual([]);

    const union = (await reviewer.get(`/api/orgs/${now.unionOrgId}`)).json<{
      parentId: string;
      type: string;
      name: string;
    }>();
    expect(union).toMatchObject({ parentId: tree.county.id, type: 'grassroots' });
    expect(union.name).toMatch(/工会委员会$/);
    const children = (await reviewer.get(`/api/orgs/${tree.county.id}/children`)).json<{ items: { id: string }[] }>();
    expect(children.items.map((c) => c.id)).toContain(now.unionOrgId);
    const unit = (await reviewer.get(`/api/work-units/${now.workUnitId}`)).json<Record<string, unknown>>();
    expect(unit).toMatchObject({
      unionOrgId: now.unionOrgId,
      orgId: now.unionOrgId,
      chairName: '张三',
      employeeCount: 120,
      hasUnion: true,
      contactPhone: `${x.phone.slice(0, 3)}****${x.phone.slice(-4)}`,
    });
    // The sibling county does not see it.
    expect((await stranger.get(`/api/orgs/${now.unionOrgId}`)).status).toBe(404);

    // Every step told the applicant.
    const inbox = (await x.a.get('/api/me/notifications?pageSize=50')).json<{ items: unknown[] }>();
    expect(inbox.items.length).toBeGreaterThanOrEqual(6);
    const audit = await app.core.db
      .selectFrom('audit_event')
      .select('action')
      .where('subject_id', 'in', [id, now.unionOrgId!, now.workUnitId!])
      .execute();
    expect(audit.map((e) => e.action)).toEqual(
      expect.arrayContaining(['founding.application.found', 'org.create', 'workUnit.create']),
    );
    await countersAgree([tree.province, tree.city, tree.county]);
  });

  it('links a workplace on record without a union, and refuses the last step when it got one meanwhile', async () => {
    const unit = await makeWorkUnit(app, { org: tree.county, union: null, employeeCount: 150 });
    const x = await preparing();
    // The application's credit code is the unit's: a new one for this test.
    await app.core.db
      .updateTable('founding_application')
      .set({ credit_code: unit.credit_code! })
      .where('id', '=', x.application.id)
      .execute();
    await attach(x.a, x.application.instanceId, 'assemblyPlan');
    await ok(x.a, x.application.id, { action: 'requestAssembly', assembly: assembly() });
    await ok(reviewer, x.application.id, { action: 'approveAssembly' });
    await attach(x.a, x.application.instanceId, 'minutes');
    await attach(x.a, x.application.instanceId, 'voteTally');
    await ok(x.a, x.application.id, { action: 'submitResults', election: election() });
    const done = await ok(reviewer, x.application.id, { action: 'approveResults' });
    expect(done.workUnitId).toBe(unit.id);
    const linked = await app.core.db
      .selectFrom('work_unit')
      .selectAll()
      .where('id', '=', unit.id)
      .executeTakeFirstOrThrow();
    expect(linked).toMatchObject({ union_org_id: done.unionOrgId, org_id: done.unionOrgId, chair_name: '张三' });
    await countersAgree([tree.city, tree.county]);

    // Another workplace: covered by a union while its founding was under review.
    const y = await preparing();
    await attach(y.a, y.application.instanceId, 'assemblyPlan');
    await ok(y.a, y.application.id, { action: 'requestAssembly', assembly: assembly() });
    await ok(reviewer, y.application.id, { action: 'approveAssembly' });
    await attach(y.a, y.application.instanceId, 'minutes');
    await attach(y.a, y.application.instanceId, 'voteTally');
    await ok(y.a, y.application.id, { action: 'submitResults', election: election() });
    const code = (
      await app.core.db
        .selectFrom('founding_application')
        .select('credit_code')
        .where('id', '=', y.application.id)
        .executeTakeFirstOrThrow()
    ).credit_code;
    const other = await app.services.orgs.provisionChild(sys, {
      parentId: tree.county.id,
      name: unique('联合工会'),
      type: 'joint',
      level: null,
    });
    await makeWorkUnit(app, { org: other, creditCode: code });
    const unionsBefore = await app.core.db.selectFrom('organization').select('id').execute();
    const refused = await step(reviewer, y.application.id, { action: 'approveResults' });
    expect(errorOf(refused)).toMatchObject({ status: 409, code: 'FOUNDING_UNIT_HAS_UNION' });
    // The reviewer reads the county's unions: told which one.
    expect(JSON.stringify(refused.body)).toContain(other.name);
    const after = (await y.a.get(`/api/founding/applications/${y.application.id}`)).json<Application>();
    expect(after).toMatchObject({ state: 'resultsReview', status: 'open', unionOrgId: null });
    expect((await app.core.db.selectFrom('organization').select('id').execute()).length).toBe(unionsBefore.length);
    await countersAgree([tree.county]);
  });

  it('rejects with a reason; the applicant corrects and resubmits', async () => {
    const x = await applicant();
    const id = x.application.id;
    const rejected = await ok(reviewer, id, { action: 'reject', comment: '营业执照未上传，职工人数有误' });
    expect(rejected.state).toBe('rejected');
    expect(rejected.actions).toEqual([]);
    const mine = (await x.a.get(`/api/founding/applications/${id}`)).json<Application>();
    expect(mine.actions.map((a) => a.action).sort()).toEqual(['appeal', 'resubmit', 'withdraw']);
    const newPhone = randomPhone();
    expect(
      errorOf(await step(x.a, id, { action: 'resubmit', unit: { creditCode: randomCreditCode() } })),
    ).toMatchObject({ status: 400, fields: ['body.unit.creditCode'] });
    const back = await ok(x.a, id, {
      action: 'resubmit',
      unit: { employeeCount: 65, contactPhone: newPhone },
      comment: '已补充',
    });
    expect(back).toMatchObject({ state: 'applied', contactPhone: `${newPhone.slice(0, 3)}****${newPhone.slice(-4)}` });
    const row = await app.core.db
      .selectFrom('founding_application')
      .select(['employee_count', 'contact_phone_cipher'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.employee_count).toBe(65);
    expect(row.contact_phone_cipher).not.toContain(newPhone);
  });

  it('appeals to the city: the county no longer sees it, the city decides', async () => {
    const x = await applicant();
    const id = x.application.id;
    await ok(reviewer, id, { action: 'reject', comment: '不符合建会条件' });
    expect(errorOf(await step(x.a, id, { action: 'appeal' })).fields).toEqual(['body.comment']);
    const appealed = await ok(x.a, id, { action: 'appeal', comment: '本单位已有职工 50 人，符合建会条件' });
    expect(appealed).toMatchObject({ state: 'appealReview', handlingOrgId: tree.city.id });
    expect((await reviewer.get(`/api/founding/applications/${id}`)).status).toBe(404);
    const cityList = (await cityReviewer.get('/api/founding/applications?pageSize=200&state=appealReview')).json<{
      items: { id: string }[];
    }>();
    expect(cityList.items.map((i) => i.id)).toContain(id);
    await attach(x.a, x.application.instanceId, 'businessLicence');
    const granted = await ok(cityReviewer, id, { action: 'appealGrant', comment: '申诉成立' });
    expect(granted).toMatchObject({ state: 'preparing', handlingOrgId: tree.city.id });
  });

  it('withdrawal closes the application and frees the credit code', async () => {
    const code = randomCreditCode();
    const x = await applicant({ creditCode: code });
    const closed = await ok(x.a, x.application.id, { action: 'withdraw' });
    expect(closed).toMatchObject({ state: 'withdrawn', status: 'closed' });
    expect((await applicant({ creditCode: code })).application.status).toBe('open');
  });

  it('a denied appeal closes the application', async () => {
    const x = await applicant();
    await ok(reviewer, x.application.id, { action: 'reject', comment: '不符合条件' });
    await ok(x.a, x.application.id, { action: 'appeal', comment: '请复核' });
    const denied = await ok(cityReviewer, x.application.id, { action: 'appealDeny', comment: '维持' });
    expect(denied).toMatchObject({ state: 'appealDenied', status: 'closed', actions: [] });
  });
});

describe('a handling union that merges or is dissolved', () => {
  const childOf = (parent: OrganizationTable, name: string, type: 'federation' | 'township', level: 'county' | null) =>
    app.services.orgs.provisionChild(sys, {
      parentId: parent.id,
      name: unique(name),
      type,
      level,
      regionCode: '610116',
    });

  it('hands its applications on, waiting or refused; the new union is founded under the one that took them', async () => {
    const county = await childOf(tree.city, '长安区总工会', 'federation', 'county');
    const merging = await childOf(county, '韦曲街道工会', 'township', null);
    const into = await childOf(county, '郭杜街道工会', 'township', null);
    const apply = async () => {
      const x = await applicant({ regionCode: '610116', handlingOrgId: merging.id });
      await attach(x.a, x.application.instanceId, 'businessLicence');
      return x;
    };
    const x = await apply();
    const y = await apply();
    await ok(cityReviewer, x.application.id, { action: 'approve' });
    await ok(cityReviewer, y.application.id, { action: 'reject', comment: '职工人数有误' });
    const merged = await cityReviewer.post(`/api/orgs/${merging.id}/merge`, { targetId: into.id, reason: '街道合并' });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);

    const get = async (a: Agent, id: string) => (await a.get(`/api/founding/applications/${id}`)).json<Application>();
    expect(await get(x.a, x.application.id)).toMatchObject({ state: 'preparing', handlingOrgId: into.id });
    expect(await get(y.a, y.application.id)).toMatchObject({ state: 'rejected', handlingOrgId: into.id });
    const inbox = (await x.a.get('/api/me/notifications')).json<{ items: { body: { 'zh-CN': string } }[] }>();
    expect(inbox.items.some((n) => n.body['zh-CN'].includes(`转由${into.name}办理`))).toBe(true);
    // Work under way (the assembly in preparation) is told by SMS too; a refused one in the inbox only.
    const smsTo = (phone: string) =>
      readOutbox(outboxFile(app.core.config.DATA_DIR)).filter((m) => m.phone === phone && m.text.includes('转由'));
    expect(smsTo(x.phone)).toHaveLength(1);
    expect(smsTo(y.phone)).toEqual([]);

    // The journey goes on at the union it merged into.
    const id = x.application.id;
    await attach(x.a, x.application.instanceId, 'assemblyPlan');
    await ok(x.a, id, { action: 'requestAssembly', assembly: assembly() });
    await ok(cityReviewer, id, { action: 'approveAssembly' });
    await attach(x.a, x.application.instanceId, 'minutes');
    await attach(x.a, x.application.instanceId, 'voteTally');
    await ok(x.a, id, { action: 'submitResults', election: election() });
    const founded = await ok(cityReviewer, id, { action: 'approveResults' });
    expect(founded.state).toBe('founded');
    const union = (await cityReviewer.get(`/api/orgs/${founded.unionOrgId}`)).json<{ parentId: string }>();
    expect(union.parentId).toBe(into.id);
    await countersAgree([tree.province, tree.city, county, into]);
  });

  it('hands a dissolved union’s applications to the union above it', async () => {
    const county = await childOf(tree.city, '鄠邑区总工会', 'federation', 'county');
    const closing = await childOf(county, '甘亭街道工会', 'township', null);
    const x = await applicant({ regionCode: '610116', handlingOrgId: closing.id });
    await attach(x.a, x.application.instanceId, 'businessLicence');
    const dissolve = () => cityReviewer.post(`/api/orgs/${closing.id}/dissolve`, { reason: '撤销街道' });
    // Awaiting its review: decided first.
    expect(errorOf(await dissolve())).toMatchObject({ status: 409, code: 'ORG_HAS_OPEN_CASES' });
    await ok(cityReviewer, x.application.id, { action: 'approve' });
    expect((await dissolve()).status).toBe(200);
    const now = (await x.a.get(`/api/founding/applications/${x.application.id}`)).json<Application>();
    expect(now).toMatchObject({ state: 'preparing', handlingOrgId: county.id });
    const row = await app.core.db
      .selectFrom('founding_application')
      .select(['org_id', 'org_path'])
      .where('id', '=', x.application.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ org_id: county.id, org_path: county.path });
  });
});
