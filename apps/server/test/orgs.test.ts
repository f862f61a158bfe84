import { randomUUID } from 'node:crypto';
import { luhnCheckDigit, orgRoutes, PERMISSION_CODES, type RouteContract } from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { localDate } from '../src/core/calendar.ts';
import { newId } from '../src/core/ids.ts';
import { makeAppendOnly } from '../src/db/dialect.ts';
import { AT_STOPPED_NODE, ORG_PATH_HISTORY_TABLES, ORG_SCOPED_TABLES } from '../src/db/org-scoped.ts';
import type { MembershipTable, OrganizationTable } from '../src/db/schema.ts';
import {
  agent,
  type Agent,
  errorOf,
  type InjectResult,
  makeFundedBudget,
  makeInactivityProposal,
  makeMember,
  makeOrg,
  makeRole,
  makeTree,
  makeUser,
  makeWorkUnit,
  permissionsWithout,
  randomToken,
  signIn,
  unique,
  withoutRequestId,
} from './factories.ts';
import { createTestApp, sql } from './harness.ts';
import { makeModelWorker } from './subsidies-fixtures.ts';
import { joinFixture, stopFixture, stopRecords, stopStanding } from './workflow-fixtures.ts';

const NO_IP_LIMITS = { LOGIN_IP_LIMIT_PER_MINUTE: '100000', SMS_IP_LIMIT_PER_HOUR: '100000' };
const sys = { actor: SYSTEM_ACTOR };

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
type Tree = Awaited<ReturnType<typeof makeTree>>;
type OrgBody = {
  id: string;
  parentId: string | null;
  name: string;
  type: string;
  level: string | null;
  path: string;
  depth: number;
  status: string;
  statusReason: string | null;
  dissolvedAt: string | null;
  mergedIntoId: string | null;
  childCount: number;
  workUnitCount: number | null;
};

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
/** Federation cadre at the city: the county, its grassroots union and the sibling county are in scope. */
let cityA: Agent;
/** Federation cadre at the county. */
let countyA: Agent;
/** Another province: out of everyone's scope here. */
let far: Tree;

beforeAll(async () => {
  t = await createTestApp(NO_IP_LIMITS);
  app = t.app;
  tree = await makeTree(app);
  far = await makeTree(app);
  cityA = await signIn(app, await makeUser(app, { org: tree.city, roles: ['federation_cadre'] }));
  countyA = await signIn(app, await makeUser(app, { org: tree.county, roles: ['federation_cadre'] }));
  const registry = app.services.workflow.engine.registry;
  registry.register(stopFixture);
  // A definition with no rule for a stopping union: its open instances stop the restructuring.
  if (!registry.get(joinFixture.key)) registry.register(joinFixture);
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
  const res = await call(agent(app), route, { params: { id: tree.county.id }, body: {} });
  expect(errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
}

async function expectForbidden(route: RouteContract) {
  const res = await call(await lacking(route.permission), route, { params: { id: tree.county.id }, body: {} });
  expect(errorOf(res)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
}

function expectSame404(outOfScope: InjectResult, missing: InjectResult) {
  expect(errorOf(outOfScope)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  expect(errorOf(missing)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  expect(withoutRequestId(outOfScope)).toEqual(withoutRequestId(missing));
}

/**
 * An application filed at `org` in the state of `kind` (the fixture names its states by kind),
 * as the workflow engine stores one; final states are closed.
 */
async function fileCase(org: OrganizationTable, kind: string, definition = stopFixture.key): Promise<string> {
  const id = newId();
  const now = new Date().toISOString();
  await app.core.db
    .insertInto('workflow_instance')
    .values({
      id,
      definition_key: definition,
      definition_version: 1,
      subject_type: 'test',
      subject_id: null,
      applicant_user_id: null,
      applicant_person_id: null,
      org_id: org.id,
      org_path: org.path,
      province_root: org.province_root,
      state: kind,
      state_kind: kind,
      data: '{}',
      version: 1,
      history_seq: 0,
      due_at: null,
      reminded_on: null,
      created_by: null,
      created_at: now,
      updated_at: now,
      closed_at: kind === 'done' || kind === 'withdrawn' ? now : null,
    })
    .execute();
  return id;
}

/** Applications filed by `fileCase` moved on to a final state of `kind`. */
async function closeCases(ids: readonly string[], kind: 'done' | 'withdrawn'): Promise<void> {
  await app.core.db
    .updateTable('workflow_instance')
    .set({ state: kind, state_kind: kind, closed_at: new Date().toISOString() })
    .where('id', 'in', ids)
    .execute();
}

/** Where each instance is now, with its state and the last history row's action. */
async function casesNow(ids: readonly string[]) {
  const rows = await app.core.db
    .selectFrom('workflow_instance')
    .select(['id', 'org_id', 'org_path', 'state', 'closed_at'])
    .where('id', 'in', ids)
    .execute();
  const history = await app.core.db
    .selectFrom('workflow_history')
    .select(['instance_id', 'action', 'from_state', 'to_state'])
    .where('instance_id', 'in', ids)
    .execute();
  return new Map(
    rows.map((r) => [
      r.id,
      {
        orgId: r.org_id,
        state: r.state,
        closed: r.closed_at !== null,
        history: history.filter((h) => h.instance_id === r.id),
      },
    ]),
  );
}

/** An open enrollment event (集中入会) of `org`, with its batch; answers the event's id. */
async function addEnrollmentEvent(org: OrganizationTable): Promise<string> {
  const batchId = newId();
  const id = newId();
  const now = new Date().toISOString();
  await app.core.db
    .insertInto('enrollment_batch')
    .values({
      id: batchId,
      org_id: org.id,
      org_path: org.path,
      province_root: org.province_root,
      kind: 'event',
      title: '集中入会活动',
      job_id: null,
      file_name: null,
      file_sha256: null,
      rows_read: 0,
      created_count: 0,
      refused_count: 0,
      duplicate_count: 0,
      created_by: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await app.core.db
    .insertInto('enrollment_event')
    .values({
      id,
      batch_id: batchId,
      code: randomToken(),
      place: '职工之家',
      opens_at: now,
      closes_at: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      work_unit_id: null,
      work_unit_name: null,
      employment_type: null,
      new_form_group: null,
      quota: null,
      joined: 0,
      status: 'open',
      closed_at: null,
      closed_by: null,
    })
    .execute();
  return id;
}

const rowOf = (table: 'model_worker' | 'inactivity_proposal' | 'enrollment_event', id: string) =>
  app.core.db.selectFrom(table).selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const grassrootsUnder = (parent: OrganizationTable, name?: string) =>
  makeOrg(app, { parent, type: 'grassroots', ...(name ? { name } : {}) });

/** A real-name person with an open membership at `org` (rows written directly: the members module is separate). */
async function addMember(org: OrganizationTable, status: 'active' | 'retained' = 'active'): Promise<MembershipTable> {
  const now = new Date().toISOString();
  const personId = newId();
  const index = `${randomToken()}${randomToken()}`;
  await app.core.db
    .insertInto('person')
    .values({
      id: personId,
      name: '张三',
      name_initials: 'zs',
      id_number_cipher: app.core.cipher.encrypt('610113199001011234', 'person.id_number'),
      id_number_index: index,
      gender: 'male',
      birth_date: '1990-01-01',
      ethnicity: '01',
      political_status: null,
      education: null,
      household_type: null,
      household_region: null,
      phone_cipher: null,
      phone_index: null,
      bank_card_cipher: null,
      bank_card_index: null,
      employment_type: 'regular',
      new_form_group: null,
      work_unit_id: null,
      work_unit_name: null,
      real_name_verified: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const row: MembershipTable = {
    id: newId(),
    person_id: personId,
    id_number_index: index,
    org_id: org.id,
    org_path: org.path,
    province_root: org.province_root,
    name: '张三',
    name_initials: 'zs',
    status,
    started_on: '2020-03-01',
    ended_on: null,
    end_reason: null,
    member_number: unique('M'),
    card_number: unique('C'),
    created_at: now,
    updated_at: now,
  };
  await app.core.db.insertInto('membership').values(row).execute();
  return row;
}

async function orgRow(id: string) {
  return app.core.db.selectFrom('organization').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function auditCount(): Promise<number> {
  const row = await app.core.db
    .selectFrom('audit_event')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function auditOf(action: string, subjectId: string) {
  return app.core.db
    .selectFrom('audit_event')
    .selectAll()
    .where('action', '=', action)
    .where('subject_id', '=', subjectId)
    .orderBy('seq')
    .execute();
}

// ---- Reading ----

describe(`${orgRoutes.get.id} (GET /api/orgs/:id)`, () => {
  it('requires authentication', () => expectUnauthenticated(orgRoutes.get));
  it('requires permission', () => expectForbidden(orgRoutes.get));

  it('out of scope is 404, the same as a missing id', async () => {
    expectSame404(
      await call(countyA, orgRoutes.get, { params: { id: tree.sibling.id } }),
      await call(countyA, orgRoutes.get, { params: { id: randomUUID() } }),
    );
  });

  it('happy path: lifecycle fields, active children and the work units a union covers', async () => {
    const county = await makeOrg(app, { parent: tree.city });
    const union = await grassrootsUnder(county);
    const gone = await grassrootsUnder(county);
    await makeWorkUnit(app, { org: union });
    await makeWorkUnit(app, { org: union });
    expect(
      (await call(cityA, orgRoutes.dissolve, { params: { id: gone.id }, body: { reason: '单位注销' } })).status,
    ).toBe(200);
    const c = (await call(cityA, orgRoutes.get, { params: { id: county.id } })).json<OrgBody>();
    expect(c).toMatchObject({
      id: county.id,
      type: 'federation',
      status: 'active',
      statusReason: null,
      dissolvedAt: null,
      mergedIntoId: null,
      childCount: 1,
      workUnitCount: null,
    });
    const u = (await call(cityA, orgRoutes.get, { params: { id: union.id } })).json<OrgBody>();
    expect(u).toMatchObject({ type: 'grassroots', childCount: 0, workUnitCount: 2 });
  });
});

describe(`${orgRoutes.children.id} (GET /api/orgs/:id/children)`, () => {
  it('requires authentication', () => expectUnauthenticated(orgRoutes.children));
  it('requires permission', () => expectForbidden(orgRoutes.children));

  it('out of scope is 404, the same as a missing id', async () => {
    expectSame404(
      await call(countyA, orgRoutes.children, { params: { id: tree.sibling.id } }),
      await call(countyA, orgRoutes.children, { params: { id: randomUUID() } }),
    );
  });

  it('bad input names the field', async () => {
    const res = await call(countyA, orgRoutes.children, {
      params: { id: tree.county.id },
      query: { includeInactive: 'yes' },
    });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['query.includeInactive'] });
  });

  it('happy path: dissolved and merged children are skipped unless asked for', async () => {
    const parent = await makeOrg(app, { parent: tree.county, type: 'township' });
    const kept = await grassrootsUnder(parent, unique('甲'));
    const dissolved = await grassrootsUnder(parent, unique('乙'));
    const merged = await grassrootsUnder(parent, unique('丙'));
    await call(countyA, orgRoutes.dissolve, { params: { id: dissolved.id }, body: { reason: '单位注销' } });
    await call(countyA, orgRoutes.merge, { params: { id: merged.id }, body: { targetId: kept.id, reason: '合并' } });
    const active = (await call(countyA, orgRoutes.children, { params: { id: parent.id } })).json<{
      items: OrgBody[];
    }>();
    expect(active.items.map((o) => o.id)).toEqual([kept.id]);
    const all = (
      await call(countyA, orgRoutes.children, { params: { id: parent.id }, query: { includeInactive: 'true' } })
    ).json<{ items: OrgBody[] }>();
    expect(Object.fromEntries(all.items.map((o) => [o.id, o.status]))).toEqual({
      [kept.id]: 'active',
      [dissolved.id]: 'dissolved',
      [merged.id]: 'merged',
    });
    expect(all.items.find((o) => o.id === merged.id)!.mergedIntoId).toBe(kept.id);
  });
});

describe(`${orgRoutes.roots.id} (GET /api/orgs)`, () => {
  it('requires authentication', () => expectUnauthenticated(orgRoutes.roots));
  it('requires permission', () => expectForbidden(orgRoutes.roots));

  it('happy path: the top of the scope, with counts', async () => {
    const roots = (await call(countyA, orgRoutes.roots)).json<{ items: OrgBody[] }>();
    expect(roots.items.map((o) => o.id)).toEqual([tree.county.id]);
    expect(roots.items[0]!.childCount).toBeGreaterThanOrEqual(1);
  });
});

// ---- Creating and editing ----

describe(`${orgRoutes.create.id} (POST /api/orgs): the tree rules`, () => {
  const body = (parentId: string, extra: Record<string, unknown> = {}) => ({
    parentId,
    name: unique('新工会'),
    type: 'grassroots',
    ...extra,
  });

  it('out of scope parent is 404, the same as a missing id', async () => {
    expectSame404(
      await call(countyA, orgRoutes.create, { body: body(tree.sibling.id) }),
      await call(countyA, orgRoutes.create, { body: body(randomUUID()) }),
    );
  });

  it('refuses a type the parent cannot hold, a level on a non-federation and a level not below the parent', async () => {
    const group = await call(countyA, orgRoutes.create, { body: body(tree.county.id, { type: 'group' }) });
    expect(errorOf(group)).toMatchObject({ status: 409, code: 'ORG_TREE_RULE', fields: ['body.type'] });
    const underGroup = await makeOrg(app, { parent: tree.grassroots, type: 'group' });
    const below = await call(countyA, orgRoutes.create, { body: body(underGroup.id, { type: 'group' }) });
    expect(errorOf(below)).toMatchObject({ status: 409, code: 'ORG_TREE_RULE', fields: ['body.type'] });
    const levelled = await call(countyA, orgRoutes.create, { body: body(tree.county.id, { level: 'county' }) });
    expect(errorOf(levelled)).toMatchObject({ status: 409, code: 'ORG_TREE_RULE', fields: ['body.level'] });
    const city = await makeOrg(app, { parent: tree.province });
    await app.core.db.updateTable('organization').set({ level: 'city' }).where('id', '=', city.id).execute();
    const upward = await call(cityA, orgRoutes.create, {
      body: body(tree.city.id, { type: 'federation', level: 'province' }),
    });
    expect(upward.status).toBe(201); // the city federation of makeTree has no level: nothing to compare
    const province = await signIn(app, await makeUser(app, { org: tree.province, roles: ['federation_cadre'] }));
    const notBelow = await call(province, orgRoutes.create, {
      body: body(city.id, { type: 'federation', level: 'city' }),
    });
    expect(errorOf(notBelow)).toMatchObject({ status: 409, code: 'ORG_TREE_RULE', fields: ['body.level'] });
    const fine = await call(province, orgRoutes.create, {
      body: body(city.id, { type: 'federation', level: 'county' }),
    });
    expect(fine.status).toBe(201);
  });

  it('refuses a dissolved parent', async () => {
    const gone = await grassrootsUnder(tree.county);
    await call(countyA, orgRoutes.dissolve, { params: { id: gone.id }, body: { reason: '单位注销' } });
    const res = await call(countyA, orgRoutes.create, { body: body(gone.id, { type: 'group' }) });
    expect(errorOf(res)).toMatchObject({ status: 409, code: 'ORG_NOT_ACTIVE' });
  });
});

describe(`${orgRoutes.update.id} (PATCH /api/orgs/:id)`, () => {
  it('requires authentication', () => expectUnauthenticated(orgRoutes.update));
  it('requires permission', () => expectForbidden(orgRoutes.update));

  it('out of scope is 404, the same as a missing id', async () => {
    expectSame404(
      await call(countyA, orgRoutes.update, { params: { id: tree.sibling.id }, body: { name: '改名工会' } }),
      await call(countyA, orgRoutes.update, { params: { id: randomUUID() }, body: { name: '改名工会' } }),
    );
  });

  it('bad input names the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x' }, 'body.name'],
      [{ type: 'club' }, 'body.type'],
      [{ level: 'village' }, 'body.level'],
      [{ regionCode: '61' }, 'body.regionCode'],
      [{ regionCode: '610199' }, 'body.regionCode'],
      [{ parentId: tree.city.id }, 'body.parentId'],
    ];
    for (const [body, field] of cases) {
      const res = await call(countyA, orgRoutes.update, { params: { id: tree.grassroots.id }, body });
      expect(errorOf(res), field).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
  });

  it('happy path: rename and region, audited with from and to; a grassroots chair may rename their own union', async () => {
    const union = await grassrootsUnder(tree.county, unique('旧名'));
    const name = unique('新名');
    const res = await call(countyA, orgRoutes.update, {
      params: { id: union.id },
      body: { name, regionCode: '610113' },
    });
    expect(res.status).toBe(200);
    expect(res.json<OrgBody>()).toMatchObject({ name, type: 'grassroots' });
    const [event] = await auditOf('org.update', union.id);
    expect(JSON.parse(event!.changes!)).toEqual([
      { field: 'name', from: union.name, to: name },
      { field: 'regionCode', from: null, to: '610113' },
    ]);
    const chair = await signIn(app, await makeUser(app, { org: union, roles: ['grassroots_chair'] }));
    const own = await call(chair, orgRoutes.update, { params: { id: union.id }, body: { name: unique('主席改名') } });
    expect(own.status).toBe(200);
    const above = await call(chair, orgRoutes.update, { params: { id: tree.county.id }, body: { name: '越权改名' } });
    expect(errorOf(above)).toMatchObject({ status: 404 });
  });

  it('type and level change only within the tree rules', async () => {
    const union = await grassrootsUnder(tree.county);
    await makeOrg(app, { parent: union, type: 'group' });
    // A grassroots union with a group below becomes a joint union: both may hold groups.
    const joint = await call(countyA, orgRoutes.update, { params: { id: union.id }, body: { type: 'joint' } });
    expect(joint.json<OrgBody>().type).toBe('joint');
    // …but not a group (a group holds nothing and cannot sit under a federation).
    const group = await call(countyA, orgRoutes.update, { params: { id: union.id }, body: { type: 'group' } });
    expect(errorOf(group)).toMatchObject({ status: 409, code: 'ORG_TREE_RULE', fields: ['body.type'] });
    // A union covering a unit stays a union of units.
    const covering = await grassrootsUnder(tree.county);
    await makeWorkUnit(app, { org: covering });
    const township = await call(countyA, orgRoutes.update, { params: { id: covering.id }, body: { type: 'township' } });
    expect(errorOf(township)).toMatchObject({ status: 409, code: 'ORG_TREE_RULE', fields: ['body.type'] });
    // Levels: only federations, and deeper than the parent's.
    const notFed = await call(countyA, orgRoutes.update, { params: { id: covering.id }, body: { level: 'county' } });
    expect(errorOf(notFed)).toMatchObject({ status: 409, code: 'ORG_TREE_RULE', fields: ['body.level'] });
    const fed = await makeOrg(app, { parent: tree.province });
    const up = await signIn(app, await makeUser(app, { org: tree.province, roles: ['federation_cadre'] }));
    const same = await call(up, orgRoutes.update, { params: { id: fed.id }, body: { level: 'province' } });
    expect(errorOf(same)).toMatchObject({ status: 409, code: 'ORG_TREE_RULE', fields: ['body.level'] });
    const city = await call(up, orgRoutes.update, { params: { id: fed.id }, body: { level: 'city' } });
    expect(city.json<OrgBody>().level).toBe('city');
    // A child federation at city level forbids raising… or lowering the parent to its level.
    const child = await makeOrg(app, { parent: fed });
    await call(up, orgRoutes.update, { params: { id: child.id }, body: { level: 'county' } });
    const clash = await call(up, orgRoutes.update, { params: { id: fed.id }, body: { level: 'county' } });
    expect(errorOf(clash)).toMatchObject({ status: 409, code: 'ORG_TREE_RULE', fields: ['body.level'] });
  });
});

// ---- Moving ----

describe(`${orgRoutes.move.id} (POST /api/orgs/:id/move)`, () => {
  it('requires authentication', () => expectUnauthenticated(orgRoutes.move));
  it('requires permission', () => expectForbidden(orgRoutes.move));

  it('the node or the new parent out of scope is 404, the same as a missing id', async () => {
    const node = await grassrootsUnder(tree.county);
    const missing = await call(countyA, orgRoutes.move, {
      params: { id: node.id },
      body: { newParentId: randomUUID() },
    });
    const parentOut = await call(countyA, orgRoutes.move, {
      params: { id: node.id },
      body: { newParentId: tree.sibling.id },
    });
    expectSame404(parentOut, missing);
    const nodeOut = await call(countyA, orgRoutes.move, {
      params: { id: (await grassrootsUnder(tree.sibling)).id },
      body: { newParentId: tree.county.id },
    });
    expectSame404(nodeOut, missing);
    // A grassroots chair holds org.update, not org.restructure.
    const chair = await signIn(app, await makeUser(app, { org: node, roles: ['grassroots_chair'] }));
    const refused = await call(chair, orgRoutes.move, {
      params: { id: node.id },
      body: { newParentId: tree.county.id },
    });
    expect(errorOf(refused)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('bad input names the field', async () => {
    const node = await grassrootsUnder(tree.county);
    for (const [body, field] of [
      [{}, 'body.newParentId'],
      [{ newParentId: '' }, 'body.newParentId'],
      [{ newParentId: tree.county.id, extra: 1 }, 'body.extra'],
    ] as const) {
      const res = await call(countyA, orgRoutes.move, { params: { id: node.id }, body });
      expect(errorOf(res), field).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
  });

  it('refuses a root, a move into itself or its subtree, an inactive node or parent, and a misfit', async () => {
    const province = await signIn(app, await makeUser(app, { org: tree.province, roles: ['federation_cadre'] }));
    const root = await call(province, orgRoutes.move, {
      params: { id: tree.province.id },
      body: { newParentId: tree.city.id },
    });
    expect(errorOf(root)).toMatchObject({ status: 409, code: 'ORG_IS_ROOT' });
    const town = await makeOrg(app, { parent: tree.county, type: 'township' });
    const below = await grassrootsUnder(town);
    const self = await call(countyA, orgRoutes.move, { params: { id: town.id }, body: { newParentId: town.id } });
    expect(errorOf(self)).toMatchObject({ status: 409, code: 'ORG_MOVE_INTO_SUBTREE' });
    const into = await call(countyA, orgRoutes.move, { params: { id: town.id }, body: { newParentId: below.id } });
    expect(errorOf(into)).toMatchObject({ status: 409, code: 'ORG_MOVE_INTO_SUBTREE' });
    const gone = await makeOrg(app, { parent: tree.county, type: 'township' });
    await call(countyA, orgRoutes.dissolve, { params: { id: gone.id }, body: { reason: '撤销' } });
    const underGone = await call(countyA, orgRoutes.move, { params: { id: below.id }, body: { newParentId: gone.id } });
    expect(errorOf(underGone)).toMatchObject({ status: 409, code: 'ORG_NOT_ACTIVE' });
    const goneNode = await call(countyA, orgRoutes.move, { params: { id: gone.id }, body: { newParentId: town.id } });
    expect(errorOf(goneNode)).toMatchObject({ status: 409, code: 'ORG_NOT_ACTIVE' });
    const misfit = await call(countyA, orgRoutes.move, {
      params: { id: town.id },
      body: { newParentId: tree.grassroots.id },
    });
    expect(errorOf(misfit)).toMatchObject({ status: 409, code: 'ORG_TREE_RULE', fields: ['body.newParentId'] });
  });

  it('happy path: the subtree moves in every org-scoped table, across provinces, and scopes follow', async () => {
    // A township with a grassroots union below, in province A; a county of province B.
    const town = await makeOrg(app, { parent: tree.county, type: 'township' });
    const union = await grassrootsUnder(town);
    const member = await addMember(union);
    const unit = await makeWorkUnit(app, { org: union });
    const cadre = await makeUser(app, { org: union, roles: ['grassroots_chair'] });
    const cadreA = await signIn(app, cadre);
    const grant = await app.core.db
      .selectFrom('role_grant')
      .selectAll()
      .where('user_id', '=', cadre.user.id)
      .executeTakeFirstOrThrow();
    await app.core.db
      .insertInto('job')
      .values({
        id: newId(),
        kind: 'roster.import',
        status: 'succeeded',
        payload: '{}',
        checkpoint: null,
        result: null,
        error: null,
        progress_done: 0,
        progress_total: null,
        cancel_requested: 0,
        attempts: 1,
        created_by: null,
        org_path: union.path,
        province_root: union.province_root,
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
        started_at: null,
        finished_at: null,
      })
      .execute();
    await app.core.db
      .insertInto('totp_recovery')
      .values({
        id: newId(),
        user_id: cadre.user.id,
        org_path: union.path,
        reason: '换手机',
        status: 'pending',
        requested_at: new Date().toISOString(),
        decided_by: null,
        decided_at: null,
      })
      .execute();

    // One cadre with restructuring rights in both provinces.
    const both = await makeUser(app, { org: tree.county, roles: ['federation_cadre'] });
    await app.services.access.provisionGrant(sys, {
      userId: both.user.id,
      roleCode: 'federation_cadre',
      orgId: far.county.id,
    });
    const mover = await signIn(app, both);
    const farCounty = await signIn(app, await makeUser(app, { org: far.county, roles: ['federation_cadre'] }));
    expect((await call(farCounty, orgRoutes.get, { params: { id: union.id } })).status).toBe(404);

    const res = await call(mover, orgRoutes.move, { params: { id: town.id }, body: { newParentId: far.county.id } });
    expect(res.status).toBe(200);
    const newTown = `${far.county.path}${town.id}/`;
    const newUnion = `${newTown}${union.id}/`;
    const root = far.county.province_root;
    expect(res.json<OrgBody>()).toMatchObject({ parentId: far.county.id, path: newTown, depth: far.county.depth + 1 });

    const row = await orgRow(union.id);
    expect([row.path, row.depth, row.province_root]).toEqual([newUnion, far.county.depth + 2, root]);
    const byTable = async (table: 'membership' | 'work_unit' | 'role_grant' | 'user_account', id: string) =>
      app.core.db
        .selectFrom(table)
        .select(['org_path', 'province_root'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    expect(await byTable('membership', member.id)).toEqual({ org_path: newUnion, province_root: root });
    expect(await byTable('work_unit', unit.id)).toEqual({ org_path: newUnion, province_root: root });
    expect(await byTable('role_grant', grant.id)).toEqual({ org_path: newUnion, province_root: root });
    expect(await byTable('user_account', cadre.user.id)).toEqual({ org_path: newUnion, province_root: root });
    const job = await app.core.db
      .selectFrom('job')
      .select(['org_path', 'province_root'])
      .where('kind', '=', 'roster.import')
      .where('org_path', 'like', `${newTown}%`)
      .execute();
    expect(job).toEqual([{ org_path: newUnion, province_root: root }]);
    const recovery = await app.core.db
      .selectFrom('totp_recovery')
      .select('org_path')
      .where('user_id', '=', cadre.user.id)
      .executeTakeFirstOrThrow();
    expect(recovery.org_path).toBe(newUnion);
    // Nothing is left under the old path.
    for (const t of ORG_SCOPED_TABLES) {
      const left = await app.core.db
        .selectFrom(t.table as 'organization')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(t.path as 'path', 'like', `${town.path}%`)
        .executeTakeFirstOrThrow();
      expect(Number(left.n), t.table).toBe(0);
    }

    // The moved cadre's scope follows their union (the session reads grants per request).
    const mine = (await cadreA.get('/api/orgs')).json<{ items: OrgBody[] }>();
    expect(mine.items.map((o) => o.path)).toEqual([newUnion]);
    // The old county no longer sees it; the new county does.
    expect((await call(countyA, orgRoutes.get, { params: { id: union.id } })).status).toBe(404);
    expect((await call(farCounty, orgRoutes.get, { params: { id: union.id } })).json<OrgBody>().path).toBe(newUnion);

    // One audit event, filed where the subtree now lives, counting the rows per table.
    const [event] = await auditOf('org.move', town.id);
    expect(event!.org_path).toBe(newTown);
    const changes = JSON.parse(event!.changes!) as { field: string; from?: unknown; to?: unknown }[];
    expect(changes).toContainEqual({ field: 'parentId', from: tree.county.id, to: far.county.id });
    expect(changes.find((c) => c.field === 'rowsRewritten')!.to).toEqual({
      organization: 2,
      work_unit: 1,
      membership: 1,
      user_account: 1,
      role_grant: 1,
      job: 1,
      totp_recovery: 1,
      ledger_account: 0,
      payout_batch: 0,
      workflow_instance: 0,
      workflow_notice: 0,
      model_worker: 0,
      subsidy_policy: 0,
      subsidy_plan: 0,
      subsidy_award: 0,
      enrollment_batch: 0,
      founding_application: 0,
      membership_transfer: 0,
      inactivity_proposal: 0,
    });
    // History is not rewritten: the union's creation stays filed under its old path.
    const [created] = await auditOf('org.create', union.id);
    expect(created!.org_path).toBe(union.path);
  });

  it('moving under the present parent changes nothing', async () => {
    const node = await grassrootsUnder(tree.county);
    const res = await call(countyA, orgRoutes.move, { params: { id: node.id }, body: { newParentId: tree.county.id } });
    expect(res.json<OrgBody>().path).toBe(node.path);
    expect(await auditOf('org.move', node.id)).toEqual([]);
  });
});

describe('moving is atomic', () => {
  it('a failure after the first table leaves every table as it was', async () => {
    // A separate app: its job table refuses updates (the append-only trigger of the audit log),
    // so the rewrite fails at the job table, after the organization and member tables.
    const other = await createTestApp(NO_IP_LIMITS);
    try {
      const a = other.app;
      const t2 = await makeTree(a);
      const town = await makeOrg(a, { parent: t2.county, type: 'township' });
      const union = await makeOrg(a, { parent: town, type: 'grassroots' });
      const unit = await makeWorkUnit(a, { org: union });
      const now = new Date().toISOString();
      await a.core.db
        .insertInto('job')
        .values({
          id: newId(),
          kind: 'export',
          status: 'succeeded',
          payload: '{}',
          checkpoint: null,
          result: null,
          error: null,
          progress_done: 0,
          progress_total: null,
          cancel_requested: 0,
          attempts: 1,
          created_by: null,
          org_path: union.path,
          province_root: union.province_root,
          created_at: now,
          updated_at: now,
          started_at: null,
          finished_at: null,
        })
        .execute();
      await makeAppendOnly(a.core.db as never, a.core.dialect, 'job');
      const cadre = await signIn(a, await makeUser(a, { org: t2.city, roles: ['federation_cadre'] }));
      const before = await a.core.db.selectFrom('organization').selectAll().orderBy('id').execute();

      const res = await cadre.post(`/api/orgs/${town.id}/move`, { newParentId: t2.sibling.id });
      expect(errorOf(res)).toMatchObject({ status: 500, code: 'INTERNAL' });
      expect(other.logs.join('')).toContain('job is append-only');

      expect(await a.core.db.selectFrom('organization').selectAll().orderBy('id').execute()).toEqual(before);
      const u = await a.core.db
        .selectFrom('work_unit')
        .select('org_path')
        .where('id', '=', unit.id)
        .executeTakeFirstOrThrow();
      expect(u.org_path).toBe(union.path);
      const events = await a.core.db.selectFrom('audit_event').select('id').where('action', '=', 'org.move').execute();
      expect(events).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

// ---- Dissolving ----

describe(`${orgRoutes.dissolve.id} (POST /api/orgs/:id/dissolve)`, () => {
  it('requires authentication', () => expectUnauthenticated(orgRoutes.dissolve));
  it('requires permission', () => expectForbidden(orgRoutes.dissolve));

  it('out of scope is 404, the same as a missing id', async () => {
    expectSame404(
      await call(countyA, orgRoutes.dissolve, {
        params: { id: (await grassrootsUnder(tree.sibling)).id },
        body: { reason: '撤销' },
      }),
      await call(countyA, orgRoutes.dissolve, { params: { id: randomUUID() }, body: { reason: '撤销' } }),
    );
  });

  it('bad input names the field', async () => {
    const node = await grassrootsUnder(tree.county);
    for (const [body, field] of [
      [{}, 'body.reason'],
      [{ reason: ' ' }, 'body.reason'],
    ] as const) {
      const res = await call(countyA, orgRoutes.dissolve, { params: { id: node.id }, body });
      expect(errorOf(res), field).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
  });

  it('refuses a root, active children, open memberships (with the count) and a second dissolution', async () => {
    const province = await signIn(app, await makeUser(app, { org: tree.province, roles: ['federation_cadre'] }));
    const root = await call(province, orgRoutes.dissolve, {
      params: { id: tree.province.id },
      body: { reason: '撤销' },
    });
    expect(errorOf(root)).toMatchObject({ status: 409, code: 'ORG_IS_ROOT' });
    const town = await makeOrg(app, { parent: tree.county, type: 'township' });
    const union = await grassrootsUnder(town);
    const children = await call(countyA, orgRoutes.dissolve, { params: { id: town.id }, body: { reason: '撤销' } });
    expect(errorOf(children)).toMatchObject({ status: 409, code: 'ORG_HAS_CHILDREN' });
    await addMember(union);
    await addMember(union, 'retained');
    const members = await call(countyA, orgRoutes.dissolve, { params: { id: union.id }, body: { reason: '撤销' } });
    expect(errorOf(members)).toMatchObject({ status: 409, code: 'ORG_HAS_MEMBERS', fields: ['params.id'] });
    const detail = members.json<{ error: { fields: { message: { 'zh-CN': string; en: string } }[] } }>().error
      .fields[0]!;
    expect(detail.message['zh-CN']).toContain('2 名会员');
    expect(detail.message.en).toContain('2 member(s)');
    const empty = await grassrootsUnder(town);
    expect(
      (await call(countyA, orgRoutes.dissolve, { params: { id: empty.id }, body: { reason: '撤销' } })).status,
    ).toBe(200);
    const again = await call(countyA, orgRoutes.dissolve, { params: { id: empty.id }, body: { reason: '撤销' } });
    expect(errorOf(again)).toMatchObject({ status: 409, code: 'ORG_NOT_ACTIVE' });
  });

  it('refuses while an application filed there waits on the union (with the count), not once it is decided', async () => {
    const union = await grassrootsUnder(tree.county);
    const dissolve = () => call(countyA, orgRoutes.dissolve, { params: { id: union.id }, body: { reason: '撤销' } });
    // Decided, or waiting on the applicant (the union cannot hasten it): these do not stop it.
    const [rejected, done, withdrawn, waiting] = [
      await fileCase(union, 'rejected'),
      await fileCase(union, 'done'),
      await fileCase(union, 'withdrawn'),
      await fileCase(union, 'waiting'),
    ];
    const pending = [await fileCase(union, 'review'), await fileCase(union, 'review'), await fileCase(union, 'notice')];
    // Nor would a rejected one of a definition that says what to do then; this one does not.
    const ruleless = await fileCase(union, 'rejected', joinFixture.key);
    const refused = await dissolve();
    expect(errorOf(refused)).toMatchObject({ status: 409, code: 'ORG_HAS_OPEN_CASES', fields: ['params.id'] });
    const detail = refused.json<{ error: { fields: { message: { 'zh-CN': string; en: string } }[] } }>().error
      .fields[0]!;
    expect(detail.message['zh-CN']).toContain('4 件申请');
    expect(detail.message.en).toContain('4 application(s)');
    expect(await orgRow(union.id)).toMatchObject({ status: 'active' });
    await closeCases([...pending, ruleless], 'done');
    expect((await dissolve()).status).toBe(200);

    // What was still open there closed, as the definition says for a dissolved union; the rest is as it was.
    const now = await casesNow([rejected, waiting, done, withdrawn]);
    for (const [id, from] of [
      [rejected, 'rejected'],
      [waiting, 'waiting'],
    ] as const) {
      expect(now.get(id)).toEqual({
        orgId: union.id,
        state: 'withdrawn',
        closed: true,
        history: [{ instance_id: id, action: 'orgDissolved', from_state: from, to_state: 'withdrawn' }],
      });
    }
    expect(now.get(done)).toMatchObject({ state: 'done', history: [] });
    expect(now.get(withdrawn)).toMatchObject({ state: 'withdrawn', history: [] });
    expect(stopRecords.filter((r) => r.org === union.id)).toEqual([
      { reason: 'dissolved', org: union.id, followed: [], closed: expect.arrayContaining([rejected, waiting]) },
    ]);
    const closedEvents = await auditOf('workflow.testStop.orgDissolved', rejected);
    expect(JSON.parse(closedEvents[0]!.changes!)).toEqual([{ field: 'state', from: 'rejected', to: 'withdrawn' }]);
    const [event] = await auditOf('org.dissolve', union.id);
    expect(JSON.parse(event!.changes!)).toContainEqual({ field: 'casesClosed', to: 2 });
  });

  it('closes an application filed elsewhere that stands on the union, its notice leaving the board', async () => {
    const union = await grassrootsUnder(tree.county);
    const elsewhere = await fileCase(tree.county, 'notice');
    const noticeId = newId();
    const now = new Date().toISOString();
    await app.core.db
      .insertInto('workflow_notice')
      .values({
        id: noticeId,
        instance_id: elsewhere,
        state: 'notice',
        subject_name: '王测试',
        summary: '测试公示',
        starts_at: now,
        ends_at: new Date(Date.now() + 5 * 86_400_000).toISOString(),
        status: 'open',
        org_id: tree.county.id,
        org_path: tree.county.path,
        province_root: tree.county.province_root,
        created_at: now,
        closed_at: null,
      })
      .execute();
    stopStanding.push(elsewhere);
    try {
      const res = await call(countyA, orgRoutes.dissolve, { params: { id: union.id }, body: { reason: '撤销' } });
      expect(res.status).toBe(200);
    } finally {
      stopStanding.length = 0;
    }
    expect((await casesNow([elsewhere])).get(elsewhere)).toMatchObject({
      orgId: tree.county.id,
      state: 'withdrawn',
      closed: true,
      history: [{ action: 'orgDissolved', from_state: 'notice', to_state: 'withdrawn' }],
    });
    const notice = await app.core.db
      .selectFrom('workflow_notice')
      .select('status')
      .where('id', '=', noticeId)
      .executeTakeFirstOrThrow();
    expect(notice.status).toBe('withdrawn');
  });

  it('happy path: units pass to the parent, grants are revoked and their sessions end, nothing is deleted', async () => {
    const union = await grassrootsUnder(tree.county);
    const unit = await makeWorkUnit(app, { org: union });
    const chair = await makeUser(app, { org: union, roles: ['grassroots_chair'] });
    const chairA = await signIn(app, chair);
    // A model worker now a member elsewhere, whose registry entry this union keeps.
    const { worker: modelWorker } = await makeModelWorker(app, {
      org: await grassrootsUnder(tree.county),
      registryOrg: union,
    });
    const enrollmentEvent = await addEnrollmentEvent(union);
    const res = await call(countyA, orgRoutes.dissolve, { params: { id: union.id }, body: { reason: '单位注销' } });
    expect(res.status).toBe(200);
    expect(res.json<OrgBody>()).toMatchObject({ status: 'dissolved', statusReason: '单位注销', workUnitCount: 0 });
    expect(res.json<OrgBody>().dissolvedAt).not.toBeNull();
    const u = await app.core.db.selectFrom('work_unit').selectAll().where('id', '=', unit.id).executeTakeFirstOrThrow();
    expect([u.union_org_id, u.org_id, u.org_path]).toEqual([null, tree.county.id, tree.county.path]);
    const grant = await app.core.db
      .selectFrom('role_grant')
      .selectAll()
      .where('user_id', '=', chair.user.id)
      .executeTakeFirstOrThrow();
    expect(grant.revoked_at).not.toBeNull();
    expect(errorOf(await chairA.get('/api/auth/session'))).toMatchObject({ status: 401 });
    expect(await orgRow(union.id)).toMatchObject({ id: union.id, status: 'dissolved' });
    const [event] = await auditOf('org.dissolve', union.id);
    expect(JSON.parse(event!.changes!)).toEqual([
      { field: 'status', from: 'active', to: 'dissolved' },
      { field: 'reason', to: '单位注销' },
      { field: 'workUnitsToParent', to: 1 },
      { field: 'modelWorkersToParent', to: 1 },
      { field: 'accountsToParent', to: 1 },
      { field: 'enrollmentEventsClosed', to: 1 },
      { field: 'grantsRevoked', to: 1 },
      { field: 'sessionsEnded', to: 1 },
      { field: 'casesToParent', to: 0 },
      { field: 'casesClosed', to: 0 },
    ]);
    expect(await rowOf('model_worker', modelWorker.id)).toMatchObject({ org_id: tree.county.id });
    expect(await rowOf('enrollment_event', enrollmentEvent)).toMatchObject({
      status: 'closed',
      closed_by: expect.any(String),
    });
    const account = await app.core.db
      .selectFrom('user_account')
      .select(['org_id', 'org_path'])
      .where('id', '=', chair.user.id)
      .executeTakeFirstOrThrow();
    expect(account).toEqual({ org_id: tree.county.id, org_path: tree.county.path });
  });
});

// ---- Merging ----

describe(`${orgRoutes.mergePreview.id} (GET /api/orgs/:id/merge-preview)`, () => {
  const preview = (a: Agent, id: string, targetId: string) =>
    call(a, orgRoutes.mergePreview, { params: { id }, query: { targetId } });

  it('requires authentication', () => expectUnauthenticated(orgRoutes.mergePreview));
  it('requires permission', () => expectForbidden(orgRoutes.mergePreview));

  it('the source or the target out of scope is 404, the same as a missing id', async () => {
    const source = await grassrootsUnder(tree.county);
    const outside = await grassrootsUnder(tree.sibling);
    const missing = await preview(countyA, source.id, randomUUID());
    expectSame404(await preview(countyA, source.id, outside.id), missing);
    expectSame404(await preview(countyA, outside.id, source.id), missing);
  });

  it('bad input names the field; the tree rules refuse as the merge does', async () => {
    const source = await grassrootsUnder(tree.county);
    const none = await call(countyA, orgRoutes.mergePreview, { params: { id: source.id } });
    expect(errorOf(none)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['query.targetId'] });
    // A malformed id is as missing as an unknown one.
    expect(errorOf(await preview(countyA, source.id, 'x'))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(errorOf(await preview(countyA, source.id, source.id))).toMatchObject({
      status: 409,
      code: 'ORG_MOVE_INTO_SUBTREE',
    });
    const town = await makeOrg(app, { parent: tree.county, type: 'township' });
    expect(errorOf(await preview(countyA, source.id, town.id))).toMatchObject({
      status: 409,
      code: 'ORG_TREE_RULE',
      fields: ['body.targetId'],
    });
  });

  it('happy path: says what the merge then does, writes nothing, and what stops it', async () => {
    const source = await grassrootsUnder(tree.county);
    const target = await makeOrg(app, { parent: tree.county, type: 'joint' });
    await addMember(source);
    await addMember(source, 'retained');
    await makeOrg(app, { parent: source, type: 'group' });
    await makeWorkUnit(app, { org: source });
    await makeUser(app, { org: source, roles: ['grassroots_cadre'] });
    await makeFundedBudget(app, source, 8_800);
    const waiting = await fileCase(source, 'review');

    const audits = await auditCount();
    const blocked = await preview(countyA, source.id, target.id);
    expect(blocked.status, JSON.stringify(blocked.body)).toBe(200);
    expect(blocked.json()).toEqual({
      membershipsToTransfer: 2,
      childrenToMove: 1,
      workUnitsToMove: 1,
      grantsToRevoke: 1,
      applicationsWaiting: 1,
      fundsOwed: 0,
      payoutBatchesOpen: 0,
      fundsToHandOver: { accounts: 1, amount: 8_800 },
      blocked: true,
    });
    expect(await auditCount()).toBe(audits);

    await closeCases([waiting], 'withdrawn');
    const ready = (await preview(countyA, source.id, target.id)).json<Record<string, unknown>>();
    expect(ready).toMatchObject({ applicationsWaiting: 0, blocked: false });
    const merged = await call(countyA, orgRoutes.merge, {
      params: { id: source.id },
      body: { targetId: target.id, reason: '合并' },
    });
    expect(merged.json()).toMatchObject({
      membershipsTransferred: ready.membershipsToTransfer,
      childrenMoved: ready.childrenToMove,
      workUnitsMoved: ready.workUnitsToMove,
      grantsRevoked: ready.grantsToRevoke,
      fundsHandedOver: ready.fundsToHandOver,
    });
  });
});

describe(`${orgRoutes.merge.id} (POST /api/orgs/:id/merge)`, () => {
  it('requires authentication', () => expectUnauthenticated(orgRoutes.merge));
  it('requires permission', () => expectForbidden(orgRoutes.merge));

  it('the source or the target out of scope is 404, the same as a missing id', async () => {
    const source = await grassrootsUnder(tree.county);
    const missing = await call(countyA, orgRoutes.merge, {
      params: { id: source.id },
      body: { targetId: randomUUID(), reason: '合并' },
    });
    const targetOut = await call(countyA, orgRoutes.merge, {
      params: { id: source.id },
      body: { targetId: (await grassrootsUnder(tree.sibling)).id, reason: '合并' },
    });
    expectSame404(targetOut, missing);
    const sourceOut = await call(countyA, orgRoutes.merge, {
      params: { id: (await grassrootsUnder(tree.sibling)).id },
      body: { targetId: source.id, reason: '合并' },
    });
    expectSame404(sourceOut, missing);
  });

  it('bad input names the field', async () => {
    const source = await grassrootsUnder(tree.county);
    for (const [body, field] of [
      [{ reason: '合并' }, 'body.targetId'],
      [{ targetId: tree.grassroots.id }, 'body.reason'],
    ] as const) {
      const res = await call(countyA, orgRoutes.merge, { params: { id: source.id }, body });
      expect(errorOf(res), field).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
  });

  it('refuses a root, itself, its subtree, an inactive target and a different kind', async () => {
    const province = await signIn(app, await makeUser(app, { org: tree.province, roles: ['federation_cadre'] }));
    const root = await call(province, orgRoutes.merge, {
      params: { id: tree.province.id },
      body: { targetId: tree.city.id, reason: '合并' },
    });
    expect(errorOf(root)).toMatchObject({ status: 409, code: 'ORG_IS_ROOT' });
    const source = await grassrootsUnder(tree.county);
    const group = await makeOrg(app, { parent: source, type: 'group' });
    const merge = (targetId: string) =>
      call(countyA, orgRoutes.merge, { params: { id: source.id }, body: { targetId, reason: '合并' } });
    expect(errorOf(await merge(source.id))).toMatchObject({ status: 409, code: 'ORG_MOVE_INTO_SUBTREE' });
    expect(errorOf(await merge(group.id))).toMatchObject({ status: 409, code: 'ORG_MOVE_INTO_SUBTREE' });
    const gone = await grassrootsUnder(tree.county);
    await call(countyA, orgRoutes.dissolve, { params: { id: gone.id }, body: { reason: '撤销' } });
    expect(errorOf(await merge(gone.id))).toMatchObject({ status: 409, code: 'ORG_NOT_ACTIVE' });
    const town = await makeOrg(app, { parent: tree.county, type: 'township' });
    expect(errorOf(await merge(town.id))).toMatchObject({
      status: 409,
      code: 'ORG_TREE_RULE',
      fields: ['body.targetId'],
    });
  });

  it('refuses while an application filed at the source waits on its union; one filed below it moves with its union', async () => {
    const source = await grassrootsUnder(tree.county);
    const target = await grassrootsUnder(tree.county);
    const group = await makeOrg(app, { parent: source, type: 'group' });
    const below = await fileCase(group, 'review');
    const open = await fileCase(source, 'notice');
    const ruleless = await fileCase(source, 'rejected', joinFixture.key);
    const [rejected, waiting, done] = [
      await fileCase(source, 'rejected'),
      await fileCase(source, 'waiting'),
      await fileCase(source, 'done'),
    ];
    const merge = () =>
      call(countyA, orgRoutes.merge, { params: { id: source.id }, body: { targetId: target.id, reason: '合并' } });
    const refused = await merge();
    expect(errorOf(refused)).toMatchObject({ status: 409, code: 'ORG_HAS_OPEN_CASES', fields: ['params.id'] });
    expect(await orgRow(source.id)).toMatchObject({ status: 'active' });
    await closeCases([open], 'withdrawn');
    expect(errorOf(await merge())).toMatchObject({ status: 409, code: 'ORG_HAS_OPEN_CASES' });
    await closeCases([ruleless], 'withdrawn');
    const merged = await merge();
    expect(merged.status).toBe(200);
    expect(merged.json()).toMatchObject({ applicationsHandedOn: 2, applicationsClosed: 0 });
    const moved = await app.core.db
      .selectFrom('workflow_instance')
      .select(['org_id', 'org_path'])
      .where('id', '=', below)
      .executeTakeFirstOrThrow();
    expect(moved).toEqual({ org_id: group.id, org_path: `${target.path}${group.id}/` });

    // Open there, not waiting on the union: handed to the target in the state they were in.
    const now = await casesNow([rejected, waiting, done]);
    for (const [id, state] of [
      [rejected, 'rejected'],
      [waiting, 'waiting'],
    ] as const) {
      expect(now.get(id)).toEqual({
        orgId: target.id,
        state,
        closed: false,
        history: [{ instance_id: id, action: 'orgMerged', from_state: state, to_state: state }],
      });
    }
    expect(now.get(done)).toMatchObject({ orgId: source.id, history: [] });
    expect(stopRecords.filter((r) => r.org === source.id)).toEqual([
      { reason: 'merged', org: source.id, followed: expect.arrayContaining([rejected, waiting]), closed: [] },
    ]);
    const [handedOn] = await auditOf('workflow.testStop.orgMerged', waiting);
    expect(handedOn!.org_path).toBe(target.path);
    expect(JSON.parse(handedOn!.changes!)).toEqual([{ field: 'orgId', from: source.id, to: target.id }]);
    const [event] = await auditOf('org.merge', source.id);
    expect(JSON.parse(event!.changes!)).toEqual(
      expect.arrayContaining([
        { field: 'casesHandedOn', to: 2 },
        { field: 'casesClosed', to: 0 },
      ]),
    );
  });

  it("passes the source's budget money to the target's; money it owes people stops the merger until settled", async () => {
    const source = await grassrootsUnder(tree.county);
    const target = await grassrootsUnder(tree.county);
    const ledger = app.services.ledger;
    const code = () => unique('merge_').toLowerCase();
    const [purpose, fresh, idle] = [code(), code(), code()];
    const funding = await ledger.open(sys, { kind: 'funding', orgId: source.id, purpose });
    const budget = await ledger.open(sys, { kind: 'budget', orgId: source.id, purpose });
    const freshBudget = await ledger.open(sys, { kind: 'budget', orgId: source.id, purpose: fresh });
    const idleBudget = await ledger.open(sys, { kind: 'budget', orgId: source.id, purpose: idle });
    // The target already keeps a budget of the first purpose: the money adds to it.
    const targetFunding = await ledger.open(sys, { kind: 'funding', orgId: target.id, purpose });
    const targetBudget = await ledger.open(sys, { kind: 'budget', orgId: target.id, purpose });
    const move = (debit: string, credit: string, amount: number, kind = 'allocation') =>
      ledger.transfer(sys, {
        idempotencyKey: unique('k-'),
        debitAccountId: debit,
        creditAccountId: credit,
        amount,
        kind,
      });
    await move(funding.id, budget.id, 520_000);
    await move(funding.id, freshBudget.id, 300);
    await move(targetFunding.id, targetBudget.id, 10_000);
    // 200 yuan approved for a worker, not yet paid.
    const card = `621700${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
    const payee = await makeMember(app, { org: tree.grassroots, bankCard: card + luhnCheckDigit(card) });
    const payable = await ledger.open(sys, { kind: 'payable', orgId: source.id, purpose, personId: payee.person.id });
    const approval = await move(budget.id, payable.id, 20_000, 'payment');

    const merge = () =>
      call(countyA, orgRoutes.merge, { params: { id: source.id }, body: { targetId: target.id, reason: '合并' } });
    const owed = await merge();
    expect(errorOf(owed)).toMatchObject({ status: 409, code: 'ORG_HAS_FUNDS_IN_FLIGHT', fields: ['params.id'] });
    expect(JSON.stringify(owed.body)).toContain('200.00');
    // A draft batch holding that money is not reconciled either; cancelled, the money is still owed.
    const { batch } = await app.services.payouts.createBatch(sys, { orgId: source.id, purpose });
    expect(errorOf(await merge())).toMatchObject({ status: 409, code: 'ORG_HAS_FUNDS_IN_FLIGHT' });
    await app.services.payouts.cancelBatch(sys, batch.id);
    expect(errorOf(await merge())).toMatchObject({ status: 409, code: 'ORG_HAS_FUNDS_IN_FLIGHT' });
    expect(await orgRow(source.id)).toMatchObject({ status: 'active' });
    // The approval taken back, nothing is owed: the merger goes through and the budgets follow.
    await ledger.reverseTransfer(sys, { transferId: approval.id, idempotencyKey: unique('undo-') });

    const merged = await merge();
    expect(merged.status).toBe(200);
    expect(merged.json()).toMatchObject({ fundsHandedOver: { accounts: 2, amount: 520_300 } });
    const balance = async (id: string) => (await ledger.balance(sys, id)).balance;
    expect(await balance(budget.id)).toBe(0);
    expect(await balance(freshBudget.id)).toBe(0);
    expect(await balance(idleBudget.id)).toBe(0);
    expect(await balance(targetBudget.id)).toBe(530_000);
    // Where the money came from stays on record at the source.
    expect(await balance(funding.id)).toBe(520_300);
    const opened = await app.core.db
      .selectFrom('ledger_account')
      .selectAll()
      .where('org_id', '=', target.id)
      .where('kind', '=', 'budget')
      .where('purpose', '=', fresh)
      .executeTakeFirstOrThrow();
    expect(await balance(opened.id)).toBe(300);

    const transfers = await app.core.db
      .selectFrom('ledger_transfer')
      .selectAll()
      .where('reference_type', '=', 'organization')
      .where('reference_id', '=', source.id)
      .orderBy('amount', 'desc')
      .execute();
    expect(transfers.map((x) => [x.debit_account_id, x.credit_account_id, x.amount, x.kind])).toEqual([
      [budget.id, targetBudget.id, 520_000, 'org_merge'],
      [freshBudget.id, opened.id, 300, 'org_merge'],
    ]);
    expect(transfers[0]!.created_by).not.toBeNull();
    for (const x of transfers) expect(await auditOf('ledger.transfer', x.id)).toHaveLength(1);
    const [event] = await auditOf('org.merge', source.id);
    expect(JSON.parse(event!.changes!)).toEqual(
      expect.arrayContaining([
        { field: 'budgetsHandedOver', to: 2 },
        { field: 'fundsHandedOver', to: 520_300 },
      ]),
    );
    // The law's consequence of the merger is not undone by a reversal.
    await expect(
      ledger.reverseTransfer(sys, { transferId: transfers[0]!.id, idempotencyKey: unique('undo-') }),
    ).rejects.toMatchObject({ code: 'LEDGER_NOT_REVERSIBLE' });
    expect(await ledger.outOfBalance()).toEqual([]);
  });

  it('racing approvals of its budget: a merged union never ends up owing money, and no fen is lost', async () => {
    const ledger = app.services.ledger;
    for (let round = 0; round < 6; round++) {
      const source = await grassrootsUnder(tree.county);
      const target = await grassrootsUnder(tree.county);
      const { budget, purpose } = await makeFundedBudget(app, source, 10_000);
      const payee = await addMember(tree.grassroots);
      const payable = await ledger.open(sys, { kind: 'payable', orgId: source.id, purpose, personId: payee.person_id });
      const [merged, approved] = await Promise.allSettled([
        call(countyA, orgRoutes.merge, { params: { id: source.id }, body: { targetId: target.id, reason: '合并' } }),
        // Started a little later each round, so it lands before, inside and after the merger.
        new Promise((resolve) => setTimeout(resolve, round * 20)).then(() =>
          ledger.transfer(sys, {
            idempotencyKey: unique('k-'),
            debitAccountId: budget.id,
            creditAccountId: payable.id,
            amount: 4_000,
            kind: 'payment',
          }),
        ),
      ]);
      const status = (await orgRow(source.id)).status;
      const owed = (await ledger.balance(sys, payable.id)).balance;
      const moved = (await ledger.balance(sys, budget.id)).balance;
      if (status === 'merged') {
        // The approval came after the hand-over and found the budget empty, or never ran first.
        expect(approved.status).toBe('rejected');
        expect([owed, moved]).toEqual([0, 0]);
      } else {
        expect(merged.status === 'fulfilled' && merged.value.status).toBe(409);
        expect([owed, moved]).toEqual([4_000, 6_000]);
      }
    }
    expect(await ledger.outOfBalance()).toEqual([]);
  });

  it('happy path: members keep their history, children, units and accounts follow, grants end', async () => {
    const source = await grassrootsUnder(tree.county, unique('源工会'));
    const target = await makeOrg(app, { parent: tree.county, type: 'joint', name: unique('联合工会') });
    const active = await addMember(source);
    const retained = await addMember(source, 'retained');
    const group = await makeOrg(app, { parent: source, type: 'group' });
    const groupMember = await addMember(group);
    const unit = await makeWorkUnit(app, { org: source });
    // A cadre without privileged rights (no authenticator), so they can sign in again below.
    const chair = await makeUser(app, { org: source, roles: ['grassroots_cadre'] });
    const chairA = await signIn(app, chair);
    const groupLeader = await signIn(app, await makeUser(app, { org: group, roles: ['grassroots_cadre'] }));
    const { worker: modelWorker } = await makeModelWorker(app, {
      org: await grassrootsUnder(tree.county),
      registryOrg: source,
    });
    const proposal = await makeInactivityProposal(app, active, { runOn: '2026-01-05', lastSignOn: '2025-06-01' });
    const enrollmentEvent = await addEnrollmentEvent(source);

    const res = await call(countyA, orgRoutes.merge, {
      params: { id: source.id },
      body: { targetId: target.id, reason: '两会合并' },
    });
    expect(res.status).toBe(200);
    const out = res.json<{
      source: OrgBody;
      target: OrgBody;
      membershipsTransferred: number;
      childrenMoved: number;
      workUnitsMoved: number;
      grantsRevoked: number;
    }>();
    expect(out).toMatchObject({
      source: { id: source.id, status: 'merged', mergedIntoId: target.id, statusReason: '两会合并', childCount: 0 },
      target: { id: target.id, status: 'active', childCount: 1, workUnitCount: 1 },
      membershipsTransferred: 2,
      childrenMoved: 1,
      workUnitsMoved: 1,
      grantsRevoked: 1,
    });

    // History kept: the closed membership at the source, and an open one at the target with
    // the same member number and card.
    const today = localDate(new Date());
    for (const m of [active, retained]) {
      const rows = await app.core.db
        .selectFrom('membership')
        .selectAll()
        .where('person_id', '=', m.person_id)
        .orderBy('started_on')
        .orderBy('created_at')
        .execute();
      expect(rows.map((r) => [r.org_id, r.status, r.started_on, r.ended_on, r.end_reason])).toEqual([
        [source.id, 'transferred_out', '2020-03-01', today, `merged into ${target.name}`],
        [target.id, m.status, today, null, null],
      ]);
      expect(rows[1]).toMatchObject({
        org_path: target.path,
        member_number: m.member_number,
        card_number: m.card_number,
      });
    }
    // The child moved under the target with its members; its cadre keeps their grant there.
    const g = await orgRow(group.id);
    expect([g.parent_id, g.path, g.depth]).toEqual([target.id, `${target.path}${group.id}/`, target.depth + 1]);
    const gm = await app.core.db
      .selectFrom('membership')
      .selectAll()
      .where('id', '=', groupMember.id)
      .executeTakeFirstOrThrow();
    expect([gm.org_path, gm.ended_on]).toEqual([g.path, null]);
    expect((await groupLeader.get(`/api/orgs/${group.id}`)).json<OrgBody>().path).toBe(g.path);
    // The unit is covered by the target now.
    const u = await app.core.db.selectFrom('work_unit').selectAll().where('id', '=', unit.id).executeTakeFirstOrThrow();
    expect([u.union_org_id, u.org_id, u.org_path]).toEqual([target.id, target.id, target.path]);
    // The source's chair: grant revoked, signed out, account at the target without its rights.
    expect(errorOf(await chairA.get('/api/auth/session'))).toMatchObject({ status: 401 });
    const account = await app.core.db
      .selectFrom('user_account')
      .selectAll()
      .where('id', '=', chair.user.id)
      .executeTakeFirstOrThrow();
    expect([account.org_id, account.org_path]).toEqual([target.id, target.path]);
    const again = await signIn(app, chair);
    expect((await again.get(`/api/orgs/${target.id}`)).status).toBe(403);

    // The registry lives on at the target; the proposal on the closed membership lapsed.
    expect(await rowOf('model_worker', modelWorker.id)).toMatchObject({ org_id: target.id, org_path: target.path });
    expect(await rowOf('inactivity_proposal', proposal)).toMatchObject({ status: 'lapsed', org_id: source.id });
    // Its enrollment event's QR code files to the source no more.
    expect(await rowOf('enrollment_event', enrollmentEvent)).toMatchObject({ status: 'closed' });

    const [event] = await auditOf('org.merge', source.id);
    expect(event!.org_path).toBe(target.path);
    expect(JSON.parse(event!.changes!)).toEqual(
      expect.arrayContaining([
        { field: 'membershipsTransferred', to: 2 },
        { field: 'modelWorkersMoved', to: 1 },
        { field: 'inactivityProposalsLapsed', to: 1 },
        { field: 'enrollmentEventsClosed', to: 1 },
      ]),
    );
  });

  it('a merged organization can no longer be changed', async () => {
    const source = await grassrootsUnder(tree.county);
    const target = await grassrootsUnder(tree.county);
    await call(countyA, orgRoutes.merge, { params: { id: source.id }, body: { targetId: target.id, reason: '合并' } });
    const res = await call(countyA, orgRoutes.update, { params: { id: source.id }, body: { name: '再改名' } });
    expect(errorOf(res)).toMatchObject({ status: 409, code: 'ORG_NOT_ACTIVE' });
  });
});

describe('org-scoped tables', () => {
  it('every table with an organization path is rewritten by a move, or declared history', async () => {
    const schema =
      app.core.dialect === 'postgres'
        ? (await sql<{ s: string }>`select current_schema() as s`.execute(app.core.db)).rows[0]!.s
        : undefined;
    const tables = await app.core.db.introspection.getTables();
    const withPath = tables
      .filter((tb) => tb.schema === schema && !tb.name.startsWith('kysely_'))
      .filter((tb) =>
        tb.columns.some((c) => c.name === 'org_path' || (tb.name === 'organization' && c.name === 'path')),
      )
      .map((tb) => tb.name)
      .sort();
    const declared = [...ORG_SCOPED_TABLES.map((x) => x.table), ...ORG_PATH_HISTORY_TABLES].sort();
    expect(withPath).toEqual(declared);
  });

  it('every one says what a merger or dissolution does with the rows filed at the node that stops', () => {
    expect(Object.keys(AT_STOPPED_NODE).sort()).toEqual(ORG_SCOPED_TABLES.map((x) => x.table).sort());
  });
});
