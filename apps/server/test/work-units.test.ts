import { randomUUID } from 'node:crypto';
import { FOUNDING_REQUIRED_MIN_EMPLOYEES, PERMISSION_CODES, type RouteContract, workUnitRoutes } from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate } from '../src/core/calendar.ts';
import type { OrganizationTable } from '../src/db/schema.ts';
import {
  agent,
  type Agent,
  errorOf,
  type InjectResult,
  makeOrg,
  makeRole,
  makeTree,
  makeUser,
  makeWorkUnit,
  permissionsWithout,
  randomCreditCode,
  signIn,
  unique,
  withoutRequestId,
} from './factories.ts';
import { createTestApp } from './harness.ts';

const NO_IP_LIMITS = { LOGIN_IP_LIMIT_PER_MINUTE: '100000', SMS_IP_LIMIT_PER_HOUR: '100000' };

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
type Tree = Awaited<ReturnType<typeof makeTree>>;
type UnitBody = {
  id: string;
  name: string;
  creditCode: string | null;
  unitType: string | null;
  industry: string | null;
  employeeCount: number;
  contactPhone: string | null;
  orgId: string;
  unionOrgId: string | null;
  hasUnion: boolean;
  foundingRequired: boolean;
};
type Page = { items: UnitBody[]; total: number; page: number; pageSize: number };

function url(route: RouteContract, params: Record<string, string> = {}, query?: Record<string, string>): string {
  const path = route.path.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(params[k] ?? 'missing'));
  return query ? `${path}?${new URLSearchParams(query).toString()}` : path;
}

function call(
  a: Agent,
  route: RouteContract,
  opts: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
): Promise<InjectResult> {
  const withBody = route.method !== 'GET' && route.method !== 'DELETE';
  return a.request(route.method, url(route, opts.params, opts.query), withBody ? (opts.body ?? {}) : undefined);
}

let t: TestApp;
let app: FastifyInstance;
let tree: Tree;
/** Federation cadre at the county: org.update over the county's subtree. */
let countyA: Agent;

beforeAll(async () => {
  t = await createTestApp(NO_IP_LIMITS);
  app = t.app;
  tree = await makeTree(app);
  countyA = await signIn(app, await makeUser(app, { org: tree.county, roles: ['federation_cadre'] }));
});
afterAll(async () => {
  await t.close();
});

const lackingCache = new Map<string, Promise<Agent>>();
function lacking(permission: string): Promise<Agent> {
  let a = lackingCache.get(permission);
  if (!a) {
    a = (async () => {
      const role = await makeRole(app, permissionsWithout(PERMISSION_CODES, permission));
      return signIn(app, await makeUser(app, { org: tree.county, roles: [role.code] }));
    })();
    lackingCache.set(permission, a);
  }
  return a;
}

async function expectUnauthenticated(route: RouteContract) {
  const res = await call(agent(app), route, { params: { id: randomUUID() }, body: {} });
  expect(errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
}

async function expectForbidden(route: RouteContract) {
  const res = await call(await lacking(route.permission), route, { params: { id: randomUUID() }, body: {} });
  expect(errorOf(res)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
}

function expectSame404(outOfScope: InjectResult, missing: InjectResult) {
  expect(errorOf(outOfScope)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  expect(errorOf(missing)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  expect(withoutRequestId(outOfScope)).toEqual(withoutRequestId(missing));
}

const body = (org: OrganizationTable, extra: Record<string, unknown> = {}) => ({
  name: unique('西安某某科技有限公司'),
  creditCode: randomCreditCode(),
  unitType: '170',
  industry: 'I',
  regionCode: '610113',
  address: '西安市雁塔区科技路 1 号',
  employeeCount: 120,
  foundedOn: '2012-05-20',
  chairName: '王建国',
  contactName: '李秀英',
  contactPhone: '13812341234',
  orgId: org.id,
  ...extra,
});

function fieldMessage(res: InjectResult): { 'zh-CN': string; en: string } {
  return res.json<{ error: { fields: { message: { 'zh-CN': string; en: string } }[] } }>().error.fields[0]!.message;
}

describe(`${workUnitRoutes.create.id} (POST /api/work-units)`, () => {
  it('requires authentication', () => expectUnauthenticated(workUnitRoutes.create));
  it('requires permission', () => expectForbidden(workUnitRoutes.create));

  it('an organization out of scope is 404, the same as a missing id (orgId and unionOrgId)', async () => {
    const missing = await call(countyA, workUnitRoutes.create, { body: body(tree.county, { orgId: randomUUID() }) });
    expectSame404(await call(countyA, workUnitRoutes.create, { body: body(tree.sibling) }), missing);
    const foreignUnion = await makeOrg(app, { parent: tree.sibling, type: 'grassroots' });
    expectSame404(
      await call(countyA, workUnitRoutes.create, { body: body(tree.county, { unionOrgId: foreignUnion.id }) }),
      missing,
    );
    // Read access is not enough: a grassroots cadre reads but does not edit organizations.
    const reader = await signIn(app, await makeUser(app, { org: tree.county, roles: ['grassroots_cadre'] }));
    expect(errorOf(await call(reader, workUnitRoutes.create, { body: body(tree.county) }))).toMatchObject({
      status: 403,
    });
  });

  it('bad input names the field', async () => {
    const tomorrow = localDate(new Date(Date.now() + 2 * 86_400_000));
    const cases: [Record<string, unknown>, string][] = [
      [{ name: undefined }, 'body.name'],
      [{ unitType: '999' }, 'body.unitType'],
      [{ industry: 'Z' }, 'body.industry'],
      [{ regionCode: '6101' }, 'body.regionCode'],
      [{ regionCode: '610199' }, 'body.regionCode'],
      [{ employeeCount: -1 }, 'body.employeeCount'],
      [{ employeeCount: 1.5 }, 'body.employeeCount'],
      [{ foundedOn: '2023-02-30' }, 'body.foundedOn'],
      [{ foundedOn: tomorrow }, 'body.foundedOn'],
      [{ contactPhone: '12345' }, 'body.contactPhone'],
      [{ unionOrgId: tree.county.id }, 'body.unionOrgId'],
      [{ extra: true }, 'body.extra'],
    ];
    for (const [extra, field] of cases) {
      const res = await call(countyA, workUnitRoutes.create, { body: body(tree.county, extra) });
      expect(errorOf(res), field).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
  });

  it('names the problem of a credit code', async () => {
    const good = randomCreditCode();
    const wrongCheck = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    const cases: [string, string][] = [
      ['91610113MA6', '18 位'],
      ['91610113MA6TGOOD1Z', '不允许的字符'],
      [wrongCheck, '校验位'],
    ];
    for (const [code, zh] of cases) {
      const res = await call(countyA, workUnitRoutes.create, { body: body(tree.county, { creditCode: code }) });
      expect(errorOf(res), code).toMatchObject({ status: 400, fields: ['body.creditCode'] });
      expect(fieldMessage(res)['zh-CN'], code).toContain(zh);
    }
    // Full-width characters, spaces, dashes and lower case are normalized.
    const loose = `${good.slice(0, 6)} ${good.slice(6, 12)}-${good.slice(12)}`
      .toLowerCase()
      .replace(/\d/, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
    const res = await call(countyA, workUnitRoutes.create, { body: body(tree.county, { creditCode: loose }) });
    expect(res.status).toBe(201);
    expect(res.json<UnitBody>().creditCode).toBe(good);
  });

  it('a taken credit code is a conflict naming the unit only when the actor may see it', async () => {
    const code = randomCreditCode();
    const mine = await makeWorkUnit(app, { org: tree.grassroots, creditCode: code });
    const here = await call(countyA, workUnitRoutes.create, { body: body(tree.county, { creditCode: code }) });
    expect(errorOf(here)).toMatchObject({
      status: 409,
      code: 'WORK_UNIT_CREDIT_CODE_TAKEN',
      fields: ['body.creditCode'],
    });
    expect(fieldMessage(here)['zh-CN']).toContain(mine.name);

    const hidden = await makeWorkUnit(app, { org: tree.sibling, creditCode: randomCreditCode() });
    const there = await call(countyA, workUnitRoutes.create, {
      body: body(tree.county, { creditCode: hidden.credit_code }),
    });
    expect(errorOf(there)).toMatchObject({
      status: 409,
      code: 'WORK_UNIT_CREDIT_CODE_TAKEN',
      fields: ['body.creditCode'],
    });
    expect(JSON.stringify(there.body)).not.toContain(hidden.name);
  });

  it('refuses a dissolved organization or union', async () => {
    const union = await makeOrg(app, { parent: tree.county, type: 'grassroots' });
    const fed = await signIn(app, await makeUser(app, { org: tree.county, roles: ['federation_cadre'] }));
    expect((await fed.post(`/api/orgs/${union.id}/dissolve`, { reason: '单位注销' })).status).toBe(200);
    const asUnion = await call(countyA, workUnitRoutes.create, { body: body(tree.county, { unionOrgId: union.id }) });
    expect(errorOf(asUnion)).toMatchObject({ status: 409, code: 'ORG_NOT_ACTIVE' });
    const asOrg = await call(countyA, workUnitRoutes.create, { body: body(union) });
    expect(errorOf(asOrg)).toMatchObject({ status: 409, code: 'ORG_NOT_ACTIVE' });
  });

  it('happy path: stored, phone encrypted and masked, founding requirement computed, audited without the phone', async () => {
    const res = await call(countyA, workUnitRoutes.create, {
      body: body(tree.county, { unionOrgId: tree.grassroots.id, employeeCount: FOUNDING_REQUIRED_MIN_EMPLOYEES }),
    });
    expect(res.status).toBe(201);
    const unit = res.json<UnitBody>();
    expect(unit).toMatchObject({
      orgId: tree.county.id,
      unionOrgId: tree.grassroots.id,
      hasUnion: true,
      foundingRequired: true,
      contactPhone: '138****1234',
    });
    const row = await app.core.db
      .selectFrom('work_unit')
      .selectAll()
      .where('id', '=', unit.id)
      .executeTakeFirstOrThrow();
    expect(row.contact_phone_cipher).not.toContain('13812341234');
    expect(row.org_path).toBe(tree.county.path);
    const event = await app.core.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'workUnit.create')
      .where('subject_id', '=', unit.id)
      .executeTakeFirstOrThrow();
    expect(event.changes).not.toContain('13812341234');
    expect(JSON.parse(event.changes!)).toContainEqual({ field: 'contactPhone', sensitive: true });

    const small = await call(countyA, workUnitRoutes.create, {
      body: body(tree.county, {
        employeeCount: FOUNDING_REQUIRED_MIN_EMPLOYEES - 1,
        creditCode: null,
        contactPhone: '029-88886666',
      }),
    });
    expect(small.json<UnitBody>()).toMatchObject({
      foundingRequired: false,
      hasUnion: false,
      creditCode: null,
      contactPhone: '029*****6666',
    });
  });
});

describe(`${workUnitRoutes.get.id} (GET /api/work-units/:id)`, () => {
  it('requires authentication', () => expectUnauthenticated(workUnitRoutes.get));
  it('requires permission', () => expectForbidden(workUnitRoutes.get));

  it('out of scope is 404, the same as a missing id', async () => {
    const foreign = await makeWorkUnit(app, { org: tree.sibling });
    expectSame404(
      await call(countyA, workUnitRoutes.get, { params: { id: foreign.id } }),
      await call(countyA, workUnitRoutes.get, { params: { id: randomUUID() } }),
    );
  });

  it('happy path: masked for every reader', async () => {
    const unit = await makeWorkUnit(app, { org: tree.grassroots, contactPhone: '13912345678' });
    const reader = await signIn(app, await makeUser(app, { org: tree.grassroots, roles: ['grassroots_cadre'] }));
    const res = await call(reader, workUnitRoutes.get, { params: { id: unit.id } });
    expect(res.json<UnitBody>()).toMatchObject({
      id: unit.id,
      contactPhone: '139****5678',
      unionOrgId: tree.grassroots.id,
    });
  });
});

describe(`${workUnitRoutes.list.id} (GET /api/work-units)`, () => {
  it('requires authentication', () => expectUnauthenticated(workUnitRoutes.list));
  it('requires permission', () => expectForbidden(workUnitRoutes.list));

  it('an orgId out of scope is 404, the same as a missing id', async () => {
    expectSame404(
      await call(countyA, workUnitRoutes.list, { query: { orgId: tree.sibling.id } }),
      await call(countyA, workUnitRoutes.list, { query: { orgId: randomUUID() } }),
    );
  });

  it('bad input names the field', async () => {
    for (const [query, field] of [
      [{ hasUnion: 'maybe' }, 'query.hasUnion'],
      [{ industry: 'Z' }, 'query.industry'],
      [{ pageSize: '500' }, 'query.pageSize'],
    ] as const) {
      const res = await call(countyA, workUnitRoutes.list, { query });
      expect(errorOf(res), field).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
  });

  it('happy path: only the scope, narrowed and filtered, in pages', async () => {
    const t2 = await makeTree(app);
    const cadre = await signIn(app, await makeUser(app, { org: t2.county, roles: ['federation_cadre'] }));
    const prefix = unique('筛选');
    const union = await makeWorkUnit(app, { org: t2.grassroots, name: `${prefix}-A`, employeeCount: 300 });
    const bare = await makeWorkUnit(app, { org: t2.county, name: `${prefix}-B`, employeeCount: 150 });
    await makeWorkUnit(app, { org: t2.sibling, name: `${prefix}-C` });
    await app.core.db
      .updateTable('work_unit')
      .set({ industry: 'G', unit_type: '110' })
      .where('id', '=', bare.id)
      .execute();
    const ids = async (query: Record<string, string>) =>
      (await call(cadre, workUnitRoutes.list, { query: { q: prefix, ...query } })).json<Page>().items.map((u) => u.id);

    expect(await ids({})).toEqual([union.id, bare.id]);
    expect(await ids({ orgId: t2.grassroots.id })).toEqual([union.id]);
    expect(await ids({ hasUnion: 'true' })).toEqual([union.id]);
    expect(await ids({ hasUnion: 'false' })).toEqual([bare.id]);
    expect(await ids({ industry: 'G' })).toEqual([bare.id]);
    expect(await ids({ unitType: '110' })).toEqual([bare.id]);
    expect(await ids({ q: `${prefix}-B` })).toEqual([bare.id]);
    const page = (
      await call(cadre, workUnitRoutes.list, { query: { q: prefix, pageSize: '1', page: '2' } })
    ).json<Page>();
    expect(page).toMatchObject({ total: 2, page: 2, pageSize: 1 });
    expect(page.items.map((u) => u.id)).toEqual([bare.id]);
    expect(page.items[0]!.contactPhone).toMatch(/^\d{3}\*{4}\d{4}$/);
  });
});

describe(`${workUnitRoutes.update.id} (PATCH /api/work-units/:id)`, () => {
  it('requires authentication', () => expectUnauthenticated(workUnitRoutes.update));
  it('requires permission', () => expectForbidden(workUnitRoutes.update));

  it('the unit, a new orgId or a new unionOrgId out of scope is 404, the same as a missing id', async () => {
    const unit = await makeWorkUnit(app, { org: tree.county });
    const missing = await call(countyA, workUnitRoutes.update, {
      params: { id: randomUUID() },
      body: { employeeCount: 1 },
    });
    const foreign = await makeWorkUnit(app, { org: tree.sibling });
    expectSame404(
      await call(countyA, workUnitRoutes.update, { params: { id: foreign.id }, body: { employeeCount: 1 } }),
      missing,
    );
    expectSame404(
      await call(countyA, workUnitRoutes.update, { params: { id: unit.id }, body: { orgId: tree.sibling.id } }),
      missing,
    );
    const foreignUnion = await makeOrg(app, { parent: tree.sibling, type: 'grassroots' });
    expectSame404(
      await call(countyA, workUnitRoutes.update, { params: { id: unit.id }, body: { unionOrgId: foreignUnion.id } }),
      missing,
    );
  });

  it('bad input names the field', async () => {
    const unit = await makeWorkUnit(app, { org: tree.county });
    for (const [b, field] of [
      [{ employeeCount: -3 }, 'body.employeeCount'],
      [{ creditCode: '123' }, 'body.creditCode'],
      [{ unitType: null }, 'body.unitType'],
      [{ unionOrgId: tree.county.id }, 'body.unionOrgId'],
      [{ id: 'x' }, 'body.id'],
    ] as const) {
      const res = await call(countyA, workUnitRoutes.update, { params: { id: unit.id }, body: b });
      expect(errorOf(res), field).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
    const other = await makeWorkUnit(app, { org: tree.county });
    const taken = await call(countyA, workUnitRoutes.update, {
      params: { id: unit.id },
      body: { creditCode: other.credit_code },
    });
    expect(errorOf(taken)).toMatchObject({ status: 409, code: 'WORK_UNIT_CREDIT_CODE_TAKEN' });
    // Its own code is no conflict.
    const same = await call(countyA, workUnitRoutes.update, {
      params: { id: unit.id },
      body: { creditCode: unit.credit_code },
    });
    expect(same.status).toBe(200);
  });

  it('happy path: fields change, the union is cleared, the unit passes to another organization, audited', async () => {
    const unit = await makeWorkUnit(app, { org: tree.grassroots, employeeCount: 120 });
    const res = await call(countyA, workUnitRoutes.update, {
      params: { id: unit.id },
      body: { employeeCount: 20, unionOrgId: null, orgId: tree.county.id, contactPhone: '13700001111', address: null },
    });
    expect(res.status).toBe(200);
    expect(res.json<UnitBody>()).toMatchObject({
      employeeCount: 20,
      foundingRequired: false,
      hasUnion: false,
      unionOrgId: null,
      orgId: tree.county.id,
      contactPhone: '137****1111',
    });
    const row = await app.core.db
      .selectFrom('work_unit')
      .selectAll()
      .where('id', '=', unit.id)
      .executeTakeFirstOrThrow();
    expect([row.org_path, row.address]).toEqual([tree.county.path, null]);
    const event = await app.core.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'workUnit.update')
      .where('subject_id', '=', unit.id)
      .executeTakeFirstOrThrow();
    const changes = JSON.parse(event.changes!) as { field: string }[];
    expect(changes).toContainEqual({ field: 'employeeCount', from: 120, to: 20 });
    expect(changes).toContainEqual({ field: 'contactPhone', sensitive: true });
    expect(event.changes).not.toContain('13700001111');
    expect(event.org_path).toBe(tree.county.path);
  });
});
