import {
  accessRoutes,
  BUILTIN_ROLES,
  PERMISSION_CODES,
  PERMISSIONS,
  type RouteContract,
  withDependencies,
} from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import {
  agent,
  type Agent,
  errorOf,
  makeRole,
  makeTree,
  makeUser,
  permissionsWithout,
  randomPhone,
  signIn,
  signInBySms,
  type TestUser,
  unique,
  withoutRequestId,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

const HOUR = 3_600_000;
const NO_IP_LIMITS = { LOGIN_IP_LIMIT_PER_MINUTE: '100000', SMS_IP_LIMIT_PER_HOUR: '100000' };
const sys = { actor: SYSTEM_ACTOR };

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
type Tree = Awaited<ReturnType<typeof makeTree>>;

function url(route: RouteContract, params: Record<string, string> = {}, query?: Record<string, string>): string {
  const path = route.path.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(params[k] ?? 'missing'));
  return query ? `${path}?${new URLSearchParams(query).toString()}` : path;
}

function call(
  a: Agent,
  route: RouteContract,
  opts: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
) {
  const withBody = route.method !== 'GET' && route.method !== 'DELETE';
  return a.request(route.method, url(route, opts.params, opts.query), withBody ? (opts.body ?? {}) : undefined);
}

let t: TestApp;
let app: FastifyInstance;
const clock = createTestClock();
let tree: Tree;
/** Security administrator at the county: roles, grants, TOTP resets. */
let sec: TestUser;
let secA: Agent;
/** System administrator at the county: accounts. */
let sysA: Agent;
let roleIds: Map<string, string>;

beforeAll(async () => {
  t = await createTestApp(NO_IP_LIMITS, { now: clock.now });
  app = t.app;
  tree = await makeTree(app);
  sec = await makeUser(app, { org: tree.county, roles: ['security_admin'] });
  secA = await signIn(app, sec);
  sysA = await signIn(app, await makeUser(app, { org: tree.county, roles: ['system_admin'] }));
  roleIds = new Map((await app.services.access.listRoles()).map((r) => [r.code, r.id]));
});
afterAll(async () => {
  await t.close();
});

const roleId = (code: string) => roleIds.get(code)!;

/** A signed-in cadre at the county holding every permission except `permission` (and what needs it). */
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

async function expectUnauthenticated(route: RouteContract, params: Record<string, string> = {}) {
  const res = await call(agent(app), route, { params, body: {} });
  expect(errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
}

async function expectForbidden(route: RouteContract, params: Record<string, string> = {}) {
  const res = await call(await lacking(route.permission), route, { params, body: {} });
  expect(errorOf(res)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
}

/** Two answers are the same 404: same status, code and body (request id aside). */
function expectSame404(outOfScope: Awaited<ReturnType<typeof call>>, missing: Awaited<ReturnType<typeof call>>) {
  expect(errorOf(outOfScope)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  expect(errorOf(missing)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  expect(withoutRequestId(outOfScope)).toEqual(withoutRequestId(missing));
}

// ---- Roles ----

describe(`${accessRoutes.permissions.id} (GET /api/permissions)`, () => {
  it('requires authentication', () => expectUnauthenticated(accessRoutes.permissions));
  it('requires permission', () => expectForbidden(accessRoutes.permissions));

  it('happy path: the registry with dependencies and privileged flags', async () => {
    const res = await call(secA, accessRoutes.permissions);
    expect(res.status).toBe(200);
    const items = res.json<{ items: { code: string; dependsOn: string[]; privileged: boolean }[] }>().items;
    expect(items.map((p) => p.code)).toEqual(PERMISSIONS.map((p) => p.code));
    expect(items.find((p) => p.code === 'grant.manage')).toMatchObject({ dependsOn: ['grant.read'], privileged: true });
    expect(items.find((p) => p.code === 'org.read')).toMatchObject({ dependsOn: [], privileged: false });
  });
});

describe(`${accessRoutes.roles.id} (GET /api/roles)`, () => {
  it('requires authentication', () => expectUnauthenticated(accessRoutes.roles));
  it('requires permission', () => expectForbidden(accessRoutes.roles));

  it('happy path: every built-in role exists, read-only, with its permissions and their dependencies', async () => {
    const items = (await call(secA, accessRoutes.roles)).json<{
      items: {
        code: string;
        builtin: boolean;
        permissions: string[];
        separatedDuty: string | null;
        requiresTotp: boolean;
      }[];
    }>().items;
    for (const def of BUILTIN_ROLES) {
      const role = items.find((r) => r.code === def.code)!;
      expect(role, def.code).toBeDefined();
      expect(role.builtin).toBe(true);
      expect(role.permissions).toEqual([...withDependencies(def.permissions)].sort());
      expect(role.separatedDuty).toBe(def.separatedDuty ?? null);
    }
    const byCode = (code: string) => items.find((r) => r.code === code)!;
    expect(
      ['system_admin', 'security_admin', 'audit_admin'].map((c) => [byCode(c).separatedDuty, byCode(c).requiresTotp]),
    ).toEqual([
      ['system', true],
      ['security', true],
      ['audit', true],
    ]);
    expect(byCode('grassroots_cadre').requiresTotp).toBe(false);
    expect(byCode('finance_officer').requiresTotp).toBe(true);
  });
});

describe(`${accessRoutes.createRole.id} (POST /api/roles)`, () => {
  const body = () => ({
    code: unique('r_').toLowerCase(),
    name: { 'zh-CN': '导出员', en: 'Exporter' },
    permissions: ['member.export'],
  });

  it('requires authentication', () => expectUnauthenticated(accessRoutes.createRole));
  it('requires permission', () => expectForbidden(accessRoutes.createRole));

  it('bad input names the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...body(), code: 'Bad-Code' }, 'body.code'],
      [{ ...body(), permissions: ['no.such'] }, 'body.permissions.0'],
      [{ ...body(), permissions: [] }, 'body.permissions'],
      [{ ...body(), name: { 'zh-CN': '名称' } }, 'body.name.en'],
    ];
    for (const [b, field] of cases) {
      const res = await call(secA, accessRoutes.createRole, { body: b });
      expect(errorOf(res), field).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
  });

  it('happy path: composed from permissions, dependencies added', async () => {
    const b = body();
    const res = await call(secA, accessRoutes.createRole, { body: b });
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({
      code: b.code,
      builtin: false,
      separatedDuty: null,
      permissions: ['member.export', 'member.read', 'org.read'],
      requiresTotp: false,
    });
    const pay = await call(secA, accessRoutes.createRole, { body: { ...body(), permissions: ['finance.pay'] } });
    expect(pay.json()).toMatchObject({ permissions: ['finance.pay', 'finance.read', 'org.read'], requiresTotp: true });
  });

  it('a code that exists already is a CONFLICT naming the field', async () => {
    const b = body();
    expect((await call(secA, accessRoutes.createRole, { body: b })).status).toBe(201);
    const again = await call(secA, accessRoutes.createRole, { body: b });
    expect(errorOf(again)).toMatchObject({ status: 409, code: 'CONFLICT', fields: ['body.code'] });
    const builtin = await call(secA, accessRoutes.createRole, { body: { ...b, code: 'security_admin' } });
    expect(errorOf(builtin)).toMatchObject({ status: 409, code: 'CONFLICT', fields: ['body.code'] });
  });
});

describe(`${accessRoutes.updateRole.id} (PUT /api/roles/:id)`, () => {
  const body = { name: { 'zh-CN': '导出员', en: 'Exporter' }, permissions: ['member.export'] };

  it('requires authentication', () => expectUnauthenticated(accessRoutes.updateRole, { id: 'x' }));
  it('requires permission', () => expectForbidden(accessRoutes.updateRole, { id: 'x' }));

  it('a missing role is 404', async () => {
    const res = await call(secA, accessRoutes.updateRole, { params: { id: 'no-such-role' }, body });
    expect(errorOf(res)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('built-in roles are read-only (ROLE_BUILTIN_READONLY)', async () => {
    for (const def of BUILTIN_ROLES) {
      const res = await call(secA, accessRoutes.updateRole, { params: { id: roleId(def.code) }, body });
      expect(errorOf(res), def.code).toMatchObject({ status: 409, code: 'ROLE_BUILTIN_READONLY' });
    }
    const roles = (await call(secA, accessRoutes.roles)).json<{ items: { code: string; permissions: string[] }[] }>();
    expect(roles.items.find((r) => r.code === 'audit_admin')!.permissions).toEqual(['audit.read', 'org.read']);
  });

  it('bad input names the field', async () => {
    const role = await makeRole(app, ['member.read']);
    const res = await call(secA, accessRoutes.updateRole, {
      params: { id: role.id },
      body: { ...body, permissions: ['member.everything'] },
    });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.permissions.0'] });
  });

  it("happy path: name and permissions change, dependencies added, holders' sessions end", async () => {
    const role = await makeRole(app, ['member.read']);
    const holderA = await signIn(app, await makeUser(app, { org: tree.grassroots, roles: [role.code] }));
    const res = await call(secA, accessRoutes.updateRole, {
      params: { id: role.id },
      body: { name: { 'zh-CN': '新名称', en: 'New name' }, permissions: ['member.import'] },
    });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      name: { 'zh-CN': '新名称', en: 'New name' },
      permissions: ['member.import', 'member.read', 'member.write', 'org.read'],
    });
    expect(errorOf(await holderA.get('/api/auth/session'))).toMatchObject({ status: 401 });
  });
});

// ---- Accounts ----

describe(`${accessRoutes.users.id} (GET /api/users)`, () => {
  let inScope: TestUser;
  let outOfScope: TestUser;
  let merchant: TestUser;
  beforeAll(async () => {
    inScope = await makeUser(app, { org: tree.grassroots });
    merchant = await makeUser(app, { org: tree.grassroots, kind: 'merchant' });
    outOfScope = await makeUser(app, { org: tree.sibling });
  });

  it('requires authentication', () => expectUnauthenticated(accessRoutes.users));
  it('requires permission', () => expectForbidden(accessRoutes.users));

  it('bad input names the field', async () => {
    const zero = await call(sysA, accessRoutes.users, { query: { pageSize: '0' } });
    expect(errorOf(zero)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['query.pageSize'] });
    const kind = await call(sysA, accessRoutes.users, { query: { kind: 'boss' } });
    expect(errorOf(kind)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['query.kind'] });
  });

  it('happy path: accounts of the scope only; filters by kind and name', async () => {
    const all = (await call(sysA, accessRoutes.users, { query: { pageSize: '200' } })).json<{
      items: { id: string }[];
      total: number;
    }>();
    const ids = all.items.map((u) => u.id);
    expect(ids).toEqual(expect.arrayContaining([inScope.user.id, merchant.user.id]));
    expect(ids).not.toContain(outOfScope.user.id);
    expect(all.total).toBe(all.items.length);

    const merchants = (await call(sysA, accessRoutes.users, { query: { kind: 'merchant' } })).json<{
      items: { id: string; kind: string }[];
    }>();
    expect(merchants.items.map((u) => u.id)).toEqual([merchant.user.id]);

    const named = (await call(sysA, accessRoutes.users, { query: { q: inScope.username! } })).json<{
      items: { id: string }[];
    }>();
    expect(named.items.map((u) => u.id)).toEqual([inScope.user.id]);
    const foreign = (await call(sysA, accessRoutes.users, { query: { q: outOfScope.username! } })).json<{
      total: number;
    }>();
    expect(foreign.total).toBe(0);
  });
});

describe(`${accessRoutes.getUser.id} (GET /api/users/:id)`, () => {
  it('requires authentication', () => expectUnauthenticated(accessRoutes.getUser, { id: 'x' }));
  it('requires permission', () => expectForbidden(accessRoutes.getUser, { id: 'x' }));

  it('out of scope is 404, exactly like a missing id', async () => {
    const foreign = await makeUser(app, { org: tree.sibling });
    expectSame404(
      await call(sysA, accessRoutes.getUser, { params: { id: foreign.user.id } }),
      await call(sysA, accessRoutes.getUser, { params: { id: 'no-such-user' } }),
    );
  });

  it('bad input names the field', async () => {
    const res = await call(sysA, accessRoutes.getUser, { params: { id: 'x'.repeat(65) } });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['params.id'] });
  });

  it('happy path: the account with its phone masked', async () => {
    const phone = randomPhone();
    const u = await makeUser(app, { org: tree.grassroots, phone });
    const res = await call(sysA, accessRoutes.getUser, { params: { id: u.user.id } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      id: u.user.id,
      kind: 'cadre',
      username: u.username,
      orgId: tree.grassroots.id,
      status: 'active',
      lockedUntil: null,
      totpEnabled: false,
      phone: `${phone.slice(0, 3)}****${phone.slice(-4)}`,
    });
    expect(JSON.stringify(res.body)).not.toContain(phone);
  });
});

describe(`${accessRoutes.createUser.id} (POST /api/users)`, () => {
  const body = (extra: Record<string, unknown> = {}) => ({
    kind: 'cadre',
    username: unique('cadre'),
    displayName: '张干部',
    orgId: tree.grassroots.id,
    initialPassword: 'First#Pass2026',
    ...extra,
  });

  it('requires authentication', () => expectUnauthenticated(accessRoutes.createUser));
  it('requires permission', () => expectForbidden(accessRoutes.createUser));

  it('an organization out of scope is 404, exactly like a missing one', async () => {
    expectSame404(
      await call(sysA, accessRoutes.createUser, { body: body({ orgId: tree.sibling.id }) }),
      await call(sysA, accessRoutes.createUser, { body: body({ orgId: 'no-such-org' }) }),
    );
  });

  it('bad input names the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [body({ username: '1abc' }), 'body.username'],
      [body({ kind: 'member' }), 'body.kind'],
      [body({ phone: '12345' }), 'body.phone'],
      [body({ displayName: '' }), 'body.displayName'],
    ];
    for (const [b, field] of cases) {
      const res = await call(sysA, accessRoutes.createUser, { body: b });
      expect(errorOf(res), field).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
  });

  it('the initial password must meet the cadre policy (PASSWORD_POLICY naming body.initialPassword)', async () => {
    const username = unique('cadre');
    for (const initialPassword of ['Sh0rt!', 'onlylower123', `Aa1#${username}`, 'Password1']) {
      const res = await call(sysA, accessRoutes.createUser, { body: body({ username, initialPassword }) });
      expect(errorOf(res), initialPassword).toMatchObject({
        status: 400,
        code: 'PASSWORD_POLICY',
        fields: ['body.initialPassword'],
      });
    }
  });

  it('user name and phone must be free (USERNAME_TAKEN, PHONE_TAKEN)', async () => {
    const existing = await makeUser(app, { org: tree.grassroots, phone: randomPhone() });
    const name = await call(sysA, accessRoutes.createUser, { body: body({ username: existing.username }) });
    expect(errorOf(name)).toMatchObject({ status: 409, code: 'USERNAME_TAKEN' });
    const phone = await call(sysA, accessRoutes.createUser, { body: body({ phone: existing.phone }) });
    expect(errorOf(phone)).toMatchObject({ status: 409, code: 'PHONE_TAKEN' });
  });

  it('happy path: 201, and the initial password must be changed at first sign-in', async () => {
    const b = body({ kind: 'merchant', phone: randomPhone() });
    const res = await call(sysA, accessRoutes.createUser, { body: b });
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({
      kind: 'merchant',
      username: b.username,
      orgId: tree.grassroots.id,
      status: 'active',
      totpEnabled: false,
    });
    const first = await agent(app).post('/api/auth/login', {
      account: b.username,
      password: b.initialPassword,
      kind: 'merchant',
    });
    expect(first.json().restriction).toBe('password_expired');
  });
});

describe(`${accessRoutes.updateUser.id} (PATCH /api/users/:id)`, () => {
  it('requires authentication', () => expectUnauthenticated(accessRoutes.updateUser, { id: 'x' }));
  it('requires permission', () => expectForbidden(accessRoutes.updateUser, { id: 'x' }));

  it('out of scope is 404, exactly like a missing id', async () => {
    const foreign = await makeUser(app, { org: tree.sibling });
    const body = { status: 'disabled' };
    expectSame404(
      await call(sysA, accessRoutes.updateUser, { params: { id: foreign.user.id }, body }),
      await call(sysA, accessRoutes.updateUser, { params: { id: 'no-such-user' }, body }),
    );
    const still = await agent(app).post('/api/auth/login', {
      account: foreign.username,
      password: foreign.password,
      kind: 'cadre',
    });
    expect(still.status).toBe(200);
  });

  it('bad input names the field', async () => {
    const u = await makeUser(app, { org: tree.grassroots });
    const res = await call(sysA, accessRoutes.updateUser, { params: { id: u.user.id }, body: { status: 'gone' } });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.status'] });
  });

  it('happy path: rename', async () => {
    const u = await makeUser(app, { org: tree.grassroots });
    const res = await call(sysA, accessRoutes.updateUser, { params: { id: u.user.id }, body: { displayName: '李四' } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ id: u.user.id, displayName: '李四', status: 'active' });
  });
});

describe(`${accessRoutes.unlockUser.id} (POST /api/users/:id/unlock)`, () => {
  it('requires authentication', () => expectUnauthenticated(accessRoutes.unlockUser, { id: 'x' }));
  it('requires permission', () => expectForbidden(accessRoutes.unlockUser, { id: 'x' }));

  it('out of scope is 404, exactly like a missing id', async () => {
    const foreign = await makeUser(app, { org: tree.sibling });
    expectSame404(
      await call(sysA, accessRoutes.unlockUser, { params: { id: foreign.user.id } }),
      await call(sysA, accessRoutes.unlockUser, { params: { id: 'no-such-user' } }),
    );
  });

  it('bad input names the field', async () => {
    const res = await call(sysA, accessRoutes.unlockUser, { params: { id: 'x'.repeat(65) } });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['params.id'] });
  });

  it('happy path: a locked account can sign in again', async () => {
    const u = await makeUser(app, { org: tree.grassroots });
    for (let i = 0; i < 5; i++) {
      await agent(app).post('/api/auth/login', { account: u.username, password: 'Wrong#Pass2026', kind: 'cadre' });
    }
    const res = await call(sysA, accessRoutes.unlockUser, { params: { id: u.user.id } });
    expect(res.json()).toMatchObject({ id: u.user.id, lockedUntil: null });
    const ok = await agent(app).post('/api/auth/login', { account: u.username, password: u.password, kind: 'cadre' });
    expect(ok.status).toBe(200);
  });
});

// ---- Grants ----

describe(`${accessRoutes.grants.id} (GET /api/grants)`, () => {
  let holder: TestUser;
  let foreign: TestUser;
  beforeAll(async () => {
    holder = await makeUser(app, { org: tree.grassroots, roles: ['grassroots_cadre'] });
    foreign = await makeUser(app, { org: tree.sibling, roles: ['grassroots_cadre'] });
  });

  it('requires authentication', () => expectUnauthenticated(accessRoutes.grants));
  it('requires permission', () => expectForbidden(accessRoutes.grants));

  it('bad input names the field', async () => {
    const res = await call(secA, accessRoutes.grants, { query: { includeRevoked: 'yes' } });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['query.includeRevoked'] });
    const big = await call(secA, accessRoutes.grants, { query: { pageSize: '201' } });
    expect(errorOf(big)).toMatchObject({ status: 400, fields: ['query.pageSize'] });
  });

  it('happy path: grants in scope only; by user; revoked ones on request', async () => {
    const all = (await call(secA, accessRoutes.grants, { query: { pageSize: '200' } })).json<{
      items: { userId: string; orgId: string }[];
    }>();
    expect(all.items.map((g) => g.userId)).toContain(holder.user.id);
    expect(all.items.map((g) => g.userId)).not.toContain(foreign.user.id);
    expect(all.items.every((g) => g.orgId !== tree.sibling.id)).toBe(true);

    const mine = (await call(secA, accessRoutes.grants, { query: { userId: holder.user.id } })).json<{
      items: { id: string; roleCode: string; orgId: string }[];
      total: number;
    }>();
    expect(mine.items).toHaveLength(1);
    expect(mine.items[0]).toMatchObject({ roleCode: 'grassroots_cadre', orgId: tree.grassroots.id });

    await call(secA, accessRoutes.revokeGrant, { params: { id: mine.items[0]!.id } });
    const live = await call(secA, accessRoutes.grants, { query: { userId: holder.user.id } });
    expect(live.json().total).toBe(0);
    const withRevoked = await call(secA, accessRoutes.grants, {
      query: { userId: holder.user.id, includeRevoked: 'true' },
    });
    expect(withRevoked.json<{ items: { revokedAt: string | null }[] }>().items[0]!.revokedAt).not.toBeNull();
  });
});

describe(`${accessRoutes.createGrant.id} (POST /api/grants)`, () => {
  it('requires authentication', () => expectUnauthenticated(accessRoutes.createGrant));
  it('requires permission', () => expectForbidden(accessRoutes.createGrant));

  it('an organization out of scope is 404, exactly like a missing one', async () => {
    const u = await makeUser(app, { org: tree.grassroots });
    const body = (orgId: string) => ({ userId: u.user.id, roleId: roleId('grassroots_cadre'), orgId });
    expectSame404(
      await call(secA, accessRoutes.createGrant, { body: body(tree.sibling.id) }),
      await call(secA, accessRoutes.createGrant, { body: body('no-such-org') }),
    );
    // Above the granter's node is outside too.
    const up = await call(secA, accessRoutes.createGrant, { body: body(tree.city.id) });
    expect(errorOf(up)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('a user out of scope is 404, exactly like a missing one', async () => {
    const foreign = await makeUser(app, { org: tree.sibling });
    const body = (userId: string) => ({ userId, roleId: roleId('grassroots_cadre'), orgId: tree.grassroots.id });
    expectSame404(
      await call(secA, accessRoutes.createGrant, { body: body(foreign.user.id) }),
      await call(secA, accessRoutes.createGrant, { body: body('no-such-user') }),
    );
  });

  it('a missing role is 404', async () => {
    const u = await makeUser(app, { org: tree.grassroots });
    const res = await call(secA, accessRoutes.createGrant, {
      body: { userId: u.user.id, roleId: 'no-such-role', orgId: tree.grassroots.id },
    });
    expect(errorOf(res)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('bad input names the field', async () => {
    const u = await makeUser(app, { org: tree.grassroots });
    const base = { userId: u.user.id, roleId: roleId('grassroots_cadre'), orgId: tree.grassroots.id };
    const now = clock.now().getTime();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, userId: undefined }, 'body.userId'],
      [{ ...base, validFrom: 'tomorrow' }, 'body.validFrom'],
      [
        { ...base, validFrom: new Date(now + HOUR).toISOString(), validTo: new Date(now).toISOString() },
        'body.validTo',
      ],
    ];
    for (const [b, field] of cases) {
      const res = await call(secA, accessRoutes.createGrant, { body: b });
      expect(errorOf(res), field).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
  });

  it('nobody grants a role to themselves (SELF_GRANT)', async () => {
    const res = await call(secA, accessRoutes.createGrant, {
      body: { userId: sec.user.id, roleId: roleId('federation_cadre'), orgId: tree.county.id },
    });
    expect(errorOf(res)).toMatchObject({ status: 403, code: 'SELF_GRANT' });
  });

  it('nobody holds two of the three separated administrator roles (SEPARATION_OF_DUTIES)', async () => {
    const duties = ['system_admin', 'security_admin', 'audit_admin'];
    for (const held of duties) {
      for (const wanted of duties.filter((d) => d !== held)) {
        const u = await makeUser(app, { org: tree.grassroots, roles: [held] });
        const res = await call(secA, accessRoutes.createGrant, {
          body: { userId: u.user.id, roleId: roleId(wanted), orgId: tree.grassroots.id },
        });
        expect(errorOf(res), `${held} + ${wanted}`).toMatchObject({ status: 409, code: 'SEPARATION_OF_DUTIES' });
      }
    }
  });

  it('the same separated role at a second node is fine; another one after revoking is fine', async () => {
    const u = await makeUser(app, { org: tree.grassroots, roles: ['audit_admin'] });
    const again = await call(secA, accessRoutes.createGrant, {
      body: { userId: u.user.id, roleId: roleId('audit_admin'), orgId: tree.county.id },
    });
    expect(again.status).toBe(201);
    const grants = (await call(secA, accessRoutes.grants, { query: { userId: u.user.id } })).json<{
      items: { id: string }[];
    }>();
    for (const g of grants.items) await call(secA, accessRoutes.revokeGrant, { params: { id: g.id } });
    const other = await call(secA, accessRoutes.createGrant, {
      body: { userId: u.user.id, roleId: roleId('system_admin'), orgId: tree.grassroots.id },
    });
    expect(other.status).toBe(201);
  });

  it('a role is only for the kinds of user it was made for (ROLE_NOT_FOR_USER_KIND)', async () => {
    const member = await signInBySms(app, randomPhone());
    const memberId = (member.session!.user as { id: string }).id;
    const res = await call(secA, accessRoutes.createGrant, {
      body: { userId: memberId, roleId: roleId('security_admin'), orgId: tree.grassroots.id },
    });
    expect(errorOf(res)).toMatchObject({ status: 409, code: 'ROLE_NOT_FOR_USER_KIND' });
    const cadre = await makeUser(app, { org: tree.grassroots });
    const memberRole = await call(secA, accessRoutes.createGrant, {
      body: { userId: cadre.user.id, roleId: roleId('member'), orgId: tree.grassroots.id },
    });
    expect(errorOf(memberRole)).toMatchObject({ status: 409, code: 'ROLE_NOT_FOR_USER_KIND' });
  });

  it('happy path: 201; the holder gets the role at once, with its subtree', async () => {
    const u = await makeUser(app, { org: tree.county });
    const holderA = await signIn(app, u);
    expect(errorOf(await holderA.get(`/api/orgs/${tree.grassroots.id}`))).toMatchObject({ status: 403 });
    const res = await call(secA, accessRoutes.createGrant, {
      body: { userId: u.user.id, roleId: roleId('federation_cadre'), orgId: tree.county.id },
    });
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({
      userId: u.user.id,
      roleCode: 'federation_cadre',
      orgId: tree.county.id,
      orgPath: tree.county.path,
      grantedBy: sec.user.id,
      validTo: null,
      revokedAt: null,
    });
    expect((await holderA.get(`/api/orgs/${tree.grassroots.id}`)).status).toBe(200);
  });
});

describe(`${accessRoutes.revokeGrant.id} (DELETE /api/grants/:id)`, () => {
  const grantOf = async (userId: string) =>
    (
      await t.database.db
        .selectFrom('role_grant')
        .select('id')
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).id;

  it('requires authentication', () => expectUnauthenticated(accessRoutes.revokeGrant, { id: 'x' }));
  it('requires permission', () => expectForbidden(accessRoutes.revokeGrant, { id: 'x' }));

  it('a grant out of scope is 404, exactly like a missing one', async () => {
    const foreign = await makeUser(app, { org: tree.sibling, roles: ['grassroots_cadre'] });
    const id = await grantOf(foreign.user.id);
    expectSame404(
      await call(secA, accessRoutes.revokeGrant, { params: { id } }),
      await call(secA, accessRoutes.revokeGrant, { params: { id: 'no-such-grant' } }),
    );
    expect((await signIn(app, foreign)).session!.grants).toHaveLength(1);
  });

  it('bad input names the field', async () => {
    const res = await call(secA, accessRoutes.revokeGrant, { params: { id: 'x'.repeat(65) } });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['params.id'] });
  });

  it('nobody revokes their own grant (SELF_GRANT)', async () => {
    const res = await call(secA, accessRoutes.revokeGrant, { params: { id: await grantOf(sec.user.id) } });
    expect(errorOf(res)).toMatchObject({ status: 403, code: 'SELF_GRANT' });
  });

  it("happy path: revoked, and the holder's sessions end", async () => {
    const u = await makeUser(app, { org: tree.grassroots, roles: ['grassroots_cadre'] });
    const holderA = await signIn(app, u);
    const id = await grantOf(u.user.id);
    const res = await call(secA, accessRoutes.revokeGrant, { params: { id } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ id, userId: u.user.id, revokedAt: expect.any(String) });
    expect(errorOf(await holderA.get('/api/auth/session'))).toMatchObject({ status: 401 });
  });
});

// ---- TOTP recovery decisions ----

describe('TOTP recovery requests', () => {
  const ask = async (who: TestUser) => {
    const res = await agent(app).post('/api/auth/totp/recovery-requests', {
      account: who.username,
      password: who.password,
      reason: '手机丢失，无法获取动态口令',
    });
    expect(res.status).toBe(202);
    const row = await t.database.db
      .selectFrom('totp_recovery')
      .select('id')
      .where('user_id', '=', who.user.id)
      .orderBy('requested_at', 'desc')
      .executeTakeFirstOrThrow();
    return row.id;
  };

  describe(`${accessRoutes.totpRecoveries.id} (GET /api/totp-recovery-requests)`, () => {
    it('requires authentication', () => expectUnauthenticated(accessRoutes.totpRecoveries));
    it('requires permission', () => expectForbidden(accessRoutes.totpRecoveries));

    it('bad input names the field', async () => {
      const res = await call(secA, accessRoutes.totpRecoveries, { query: { status: 'lost' } });
      expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['query.status'] });
    });

    it('happy path: pending requests of the scope only', async () => {
      const mine = await makeUser(app, { org: tree.grassroots, totp: true });
      const foreign = await makeUser(app, { org: tree.sibling, totp: true });
      const mineId = await ask(mine);
      const foreignId = await ask(foreign);
      const items = (await call(secA, accessRoutes.totpRecoveries)).json<{
        items: { id: string; status: string; username: string; reason: string }[];
      }>().items;
      expect(items.find((r) => r.id === mineId)).toMatchObject({ status: 'pending', username: mine.username });
      expect(items.map((r) => r.id)).not.toContain(foreignId);
    });
  });

  describe(`${accessRoutes.decideTotpRecovery.id} (POST /api/totp-recovery-requests/:id/decision)`, () => {
    it('requires authentication', () => expectUnauthenticated(accessRoutes.decideTotpRecovery, { id: 'x' }));
    it('requires permission', () => expectForbidden(accessRoutes.decideTotpRecovery, { id: 'x' }));

    it('out of scope is 404, exactly like a missing id', async () => {
      const foreign = await makeUser(app, { org: tree.sibling, totp: true });
      const id = await ask(foreign);
      expectSame404(
        await call(secA, accessRoutes.decideTotpRecovery, { params: { id }, body: { approve: true } }),
        await call(secA, accessRoutes.decideTotpRecovery, {
          params: { id: 'no-such-request' },
          body: { approve: true },
        }),
      );
    });

    it('bad input names the field', async () => {
      const res = await call(secA, accessRoutes.decideTotpRecovery, { params: { id: 'x' }, body: { approve: 'yes' } });
      expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.approve'] });
    });

    it('the requester cannot decide their own request (SELF_GRANT)', async () => {
      const id = await ask(sec);
      const res = await call(secA, accessRoutes.decideTotpRecovery, { params: { id }, body: { approve: true } });
      expect(errorOf(res)).toMatchObject({ status: 403, code: 'SELF_GRANT' });
    });

    it('happy path: reject keeps the authenticator; a decided request cannot be decided again', async () => {
      const u = await makeUser(app, { org: tree.grassroots, totp: true });
      const id = await ask(u);
      const res = await call(secA, accessRoutes.decideTotpRecovery, { params: { id }, body: { approve: false } });
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({ id, userId: u.user.id, status: 'rejected', decidedAt: expect.any(String) });
      const login = await agent(app).post('/api/auth/login', {
        account: u.username,
        password: u.password,
        kind: 'cadre',
      });
      expect(errorOf(login)).toMatchObject({ status: 401, code: 'TOTP_REQUIRED' });
      const again = await call(secA, accessRoutes.decideTotpRecovery, { params: { id }, body: { approve: true } });
      expect(errorOf(again)).toMatchObject({ status: 409, code: 'RECOVERY_NOT_PENDING' });
    });

    it('happy path: approve removes the authenticator', async () => {
      const u = await makeUser(app, { org: tree.grassroots, totp: true });
      const id = await ask(u);
      const res = await call(secA, accessRoutes.decideTotpRecovery, { params: { id }, body: { approve: true } });
      expect(res.json()).toMatchObject({ status: 'approved' });
      const user = await call(sysA, accessRoutes.getUser, { params: { id: u.user.id } });
      expect(user.json().totpEnabled).toBe(false);
    });
  });
});

// ---- Scope ----

describe('scope: the union of the subtrees of live grants', () => {
  it('a county cadre sees the county and below; the sibling county is 404 like a random id', async () => {
    const cadre = await makeUser(app, { org: tree.county, roles: ['federation_cadre'] });
    const a = await signIn(app, cadre);
    expect((await a.get(`/api/orgs/${tree.county.id}`)).status).toBe(200);
    const child = await a.get(`/api/orgs/${tree.grassroots.id}`);
    expect(child.status).toBe(200);
    expect(child.json()).toMatchObject({ id: tree.grassroots.id, parentId: tree.county.id });
    const children = (await a.get(`/api/orgs/${tree.county.id}/children`)).json<{ items: { id: string }[] }>();
    expect(children.items.map((o) => o.id)).toEqual([tree.grassroots.id]);
    const roots = (await a.get('/api/orgs')).json<{ items: { id: string }[] }>();
    expect(roots.items.map((o) => o.id)).toEqual([tree.county.id]);

    const random = await a.get('/api/orgs/no-such-org');
    for (const path of [`/api/orgs/${tree.sibling.id}`, `/api/orgs/${tree.city.id}`, `/api/orgs/${tree.province.id}`]) {
      const res = await a.get(path);
      expect(errorOf(res), path).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      expect(withoutRequestId(res)).toEqual(withoutRequestId(random));
    }
    const siblingChildren = await a.get(`/api/orgs/${tree.sibling.id}/children`);
    expect(withoutRequestId(siblingChildren)).toEqual(withoutRequestId(await a.get('/api/orgs/no-such-org/children')));
    // The city's children are not listed either: the city itself is outside the scope.
    expect(errorOf(await a.get(`/api/orgs/${tree.city.id}/children`))).toMatchObject({ status: 404 });
  });

  it('grants at two nodes give both subtrees', async () => {
    const cadre = await makeUser(app, { org: tree.county, roles: ['federation_cadre'] });
    await app.services.access.provisionGrant(sys, {
      userId: cadre.user.id,
      roleCode: 'grassroots_cadre',
      orgId: tree.sibling.id,
    });
    const a = await signIn(app, cadre);
    expect((await a.get(`/api/orgs/${tree.grassroots.id}`)).status).toBe(200);
    expect((await a.get(`/api/orgs/${tree.sibling.id}`)).status).toBe(200);
    expect(errorOf(await a.get(`/api/orgs/${tree.city.id}`))).toMatchObject({ status: 404 });
    const roots = (await a.get('/api/orgs')).json<{ items: { id: string }[] }>();
    expect(roots.items.map((o) => o.id).sort()).toEqual([tree.county.id, tree.sibling.id].sort());
  });

  it('a permission counts only where the grant holding it lies', async () => {
    // org.create at the county only; org.read also at the sibling.
    const cadre = await makeUser(app, { org: tree.county, roles: ['federation_cadre'] });
    await app.services.access.provisionGrant(sys, {
      userId: cadre.user.id,
      roleCode: 'grassroots_cadre',
      orgId: tree.sibling.id,
    });
    const a = await signIn(app, cadre);
    const here = await a.post('/api/orgs', { parentId: tree.county.id, name: unique('新工会'), type: 'grassroots' });
    expect(here.status).toBe(201);
    const there = await a.post('/api/orgs', { parentId: tree.sibling.id, name: unique('新工会'), type: 'grassroots' });
    expect(errorOf(there)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

describe('dated grants', () => {
  let d: TestApp;
  const dclock = createTestClock();
  let dtree: Tree;
  let dsec: TestUser;
  beforeAll(async () => {
    d = await createTestApp(NO_IP_LIMITS, { now: dclock.now });
    dtree = await makeTree(d.app);
    dsec = await makeUser(d.app, { org: dtree.county, roles: ['security_admin'] });
  });
  afterAll(async () => {
    await d.close();
  });

  const federationCadre = async () =>
    (await d.app.services.access.listRoles()).find((r) => r.code === 'federation_cadre')!.id;

  it('a grant starting in the future is not live until then', async () => {
    const secD = await signIn(d.app, dsec);
    const holder = await makeUser(d.app, { org: dtree.county });
    const validFrom = new Date(dclock.now().getTime() + HOUR).toISOString();
    const res = await secD.post('/api/grants', {
      userId: holder.user.id,
      roleId: await federationCadre(),
      orgId: dtree.county.id,
      validFrom,
    });
    expect(res.status).toBe(201);
    expect(res.json().validFrom).toBe(validFrom);
    const before = await signIn(d.app, holder);
    expect(before.session!.grants).toEqual([]);
    expect(before.session!.permissions).toEqual([]);
    expect(errorOf(await before.get(`/api/orgs/${dtree.county.id}`))).toMatchObject({ status: 403, code: 'FORBIDDEN' });

    dclock.advance(HOUR + 1000);
    const after = await signIn(d.app, holder);
    expect((after.session!.grants as { roleCode: string }[]).map((g) => g.roleCode)).toEqual(['federation_cadre']);
    expect((await after.get(`/api/orgs/${dtree.grassroots.id}`)).status).toBe(200);
  });

  it('a grant whose end has passed is not live any more', async () => {
    const secD = await signIn(d.app, dsec);
    const holder = await makeUser(d.app, { org: dtree.county });
    const validTo = new Date(dclock.now().getTime() + HOUR).toISOString();
    const res = await secD.post('/api/grants', {
      userId: holder.user.id,
      roleId: await federationCadre(),
      orgId: dtree.county.id,
      validTo,
    });
    expect(res.status).toBe(201);
    const during = await signIn(d.app, holder);
    expect(during.session!.grants).toHaveLength(1);
    expect((await during.get(`/api/orgs/${dtree.county.id}`)).status).toBe(200);

    dclock.advance(HOUR + 1000);
    const after = await signIn(d.app, holder);
    expect(after.session!.grants).toEqual([]);
    expect(errorOf(await after.get(`/api/orgs/${dtree.county.id}`))).toMatchObject({ status: 403 });
    const secAgain = await signIn(d.app, dsec);
    const live = await secAgain.get(`/api/grants?userId=${holder.user.id}`);
    expect(live.json().total).toBe(0);
    const all = await secAgain.get(`/api/grants?userId=${holder.user.id}&includeRevoked=true`);
    expect(all.json<{ items: { validTo: string }[] }>().items.map((g) => g.validTo)).toEqual([validTo]);
  });
});
