import { allRoutes, authRoutes, BUILTIN_ROLES, type RouteContract, withDependencies } from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { SESSION_COOKIE } from '../src/modules/auth/auth.service.ts';
import {
  agent,
  type Agent,
  errorOf,
  lastSmsCode,
  makeOrg,
  makeTree,
  makeUser,
  randomPhone,
  signIn,
  signInBySms,
  withoutRequestId,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const NO_IP_LIMITS = { LOGIN_IP_LIMIT_PER_MINUTE: '100000', SMS_IP_LIMIT_PER_HOUR: '100000' };

type TestApp = Awaited<ReturnType<typeof createTestApp>>;

function url(route: RouteContract, params: Record<string, string> = {}): string {
  return route.path.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(params[k] ?? 'missing'));
}

function call(a: Agent, route: RouteContract, opts: { params?: Record<string, string>; body?: unknown } = {}) {
  const withBody = route.method !== 'GET' && route.method !== 'DELETE';
  return a.request(route.method, url(route, opts.params), withBody ? (opts.body ?? {}) : undefined);
}

/** Sign a user in with a chosen browser name, so the session list can tell sessions apart. */
async function signInAs(app: FastifyInstance, who: { username: string | null; password: string }, browser: string) {
  const a = agent(app);
  const res = await a.request(
    'POST',
    '/api/auth/login',
    { account: who.username, password: who.password, kind: 'cadre' },
    { 'user-agent': browser },
  );
  if (res.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(res.body)}`);
  a.session = res.json();
  a.csrf = String(res.json().csrfToken);
  return a;
}

let t: TestApp;
let app: FastifyInstance;
const clock = createTestClock();

beforeAll(async () => {
  t = await createTestApp(NO_IP_LIMITS, { now: clock.now });
  app = t.app;
});
afterAll(async () => {
  await t.close();
});

describe('session cookie', () => {
  it('is httpOnly, SameSite=Lax, for the whole site, living as long as the session; not Secure over http', async () => {
    const cadre = await makeUser(app);
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { account: cadre.username, password: cadre.password, kind: 'cadre' },
    });
    const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 12 * 3600 });
    expect(cookie.secure).toBeFalsy();
    // The token is not the CSRF token, and the body never carries the token.
    expect(res.body).not.toContain(cookie.value);
  });

  it('is set the same way by SMS sign-in', async () => {
    const phone = randomPhone();
    await app.inject({ method: 'POST', url: '/api/auth/sms-codes', payload: { phone } });
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/sms-login',
      payload: { phone, code: lastSmsCode(app, phone) },
    });
    const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  });

  it('is Secure when COOKIE_SECURE=true', async () => {
    const s = await createTestApp({ ...NO_IP_LIMITS, COOKIE_SECURE: 'true' });
    try {
      const cadre = await makeUser(s.app);
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { account: cadre.username, password: cadre.password, kind: 'cadre' },
      });
      const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE)!;
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: true });
    } finally {
      await s.close();
    }
  });
});

describe('CSRF', () => {
  const stateChanging = allRoutes.filter((r) => r.permission !== 'public' && r.method !== 'GET');
  let a: Agent;
  beforeAll(async () => {
    a = await signInBySms(app, randomPhone());
  });

  it('covers every state-changing route of the platform', () => {
    expect(stateChanging.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'auth.logout',
        'auth.logoutAll',
        'auth.revokeSession',
        'auth.changePassword',
        'auth.totpSetup',
        'auth.totpEnable',
        'access.createRole',
        'access.updateRole',
        'access.createUser',
        'access.updateUser',
        'access.unlockUser',
        'access.createGrant',
        'access.revokeGrant',
        'access.decideTotpRecovery',
      ]),
    );
  });

  it.each(stateChanging.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: missing token is CSRF_TOKEN_MISSING, a wrong one CSRF_TOKEN_INVALID',
    async (_, route) => {
      const missing = await call(agent(app, a.cookie, null), route, { params: { id: 'x' } });
      expect(errorOf(missing)).toMatchObject({ status: 403, code: 'CSRF_TOKEN_MISSING' });
      const wrong = await call(agent(app, a.cookie, 'not-the-token'), route, { params: { id: 'x' } });
      expect(errorOf(wrong)).toMatchObject({ status: 403, code: 'CSRF_TOKEN_INVALID' });
    },
  );

  it('the refused requests changed nothing: the session is still live', async () => {
    expect((await a.get('/api/auth/session')).status).toBe(200);
  });

  it('reads need no token', async () => {
    expect((await agent(app, a.cookie, null).get('/api/auth/sessions')).status).toBe(200);
  });

  it('one session’s token does not work for another session', async () => {
    const other = await signInBySms(app, randomPhone());
    const res = await agent(app, a.cookie, other.csrf).post('/api/auth/logout');
    expect(errorOf(res)).toMatchObject({ status: 403, code: 'CSRF_TOKEN_INVALID' });
  });
});

describe('timeouts', () => {
  it('members: 30 minutes idle ends the session (SESSION_EXPIRED)', async () => {
    const a = await signInBySms(app, randomPhone());
    expect(a.session!.idleTimeoutSeconds).toBe(30 * 60);
    clock.advance(29 * MINUTE);
    expect((await a.get('/api/auth/session')).status).toBe(200);
    clock.advance(29 * MINUTE);
    expect((await a.get('/api/auth/session')).status).toBe(200);
    clock.advance(30 * MINUTE + 1000);
    expect(errorOf(await a.get('/api/auth/session'))).toMatchObject({ status: 401, code: 'SESSION_EXPIRED' });
    // Ended for good: the next request finds no session at all.
    expect(errorOf(await a.get('/api/auth/session'))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('cadres: 15 minutes idle ends the session (SESSION_EXPIRED)', async () => {
    const a = await signIn(app, await makeUser(app));
    expect(a.session!.idleTimeoutSeconds).toBe(15 * 60);
    clock.advance(14 * MINUTE);
    expect((await a.get('/api/auth/session')).status).toBe(200);
    clock.advance(15 * MINUTE + 1000);
    expect(errorOf(await a.get('/api/auth/session'))).toMatchObject({ status: 401, code: 'SESSION_EXPIRED' });
  });

  it('merchants: 30 minutes idle', async () => {
    const a = await signIn(app, await makeUser(app, { kind: 'merchant' }));
    expect(a.session!.idleTimeoutSeconds).toBe(30 * 60);
    clock.advance(30 * MINUTE + 1000);
    expect(errorOf(await a.get('/api/auth/session'))).toMatchObject({ status: 401, code: 'SESSION_EXPIRED' });
  });

  it('12 hours after sign-in the session ends however active it was', async () => {
    const signedInAt = clock.now().getTime();
    const a = await signIn(app, await makeUser(app));
    const expiresAt = Date.parse(String(a.session!.expiresAt));
    expect(expiresAt - signedInAt).toBeGreaterThanOrEqual(12 * HOUR - 1000);
    expect(expiresAt - signedInAt).toBeLessThanOrEqual(12 * HOUR + 1000);
    while (clock.now().getTime() + 14 * MINUTE < expiresAt) {
      clock.advance(14 * MINUTE);
      expect((await a.get('/api/auth/sessions')).status).toBe(200);
    }
    clock.advance(expiresAt - clock.now().getTime() + 1000);
    expect(errorOf(await a.get('/api/auth/session'))).toMatchObject({ status: 401, code: 'SESSION_EXPIRED' });
    const rows = await t.database.db
      .selectFrom('session')
      .select('revoked_reason')
      .where('user_id', '=', String((a.session!.user as { id: string }).id))
      .execute();
    expect(rows.map((r) => r.revoked_reason)).toEqual(['absolute_timeout']);
  });
});

describe('signing out', () => {
  it('logout ends this session and clears the cookie; other sessions stay', async () => {
    const cadre = await makeUser(app);
    const a = await signInAs(app, cadre, 'browser-a');
    const b = await signInAs(app, cadre, 'browser-b');
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie: `${SESSION_COOKIE}=${a.cookie}`, 'x-csrf-token': a.csrf! },
      payload: {},
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    const cleared = res.cookies.find((c) => c.name === SESSION_COOKIE)!;
    expect(cleared.value).toBe('');
    expect(errorOf(await a.get('/api/auth/session'))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect((await b.get('/api/auth/session')).status).toBe(200);
  });

  it('logoutAll ends every session of the user', async () => {
    const cadre = await makeUser(app);
    const a = await signInAs(app, cadre, 'browser-a');
    const b = await signInAs(app, cadre, 'browser-b');
    const c = await signInAs(app, cadre, 'browser-c');
    const someoneElse = await signIn(app, await makeUser(app));
    const res = await a.post('/api/auth/logout-all');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ ended: 3 });
    for (const s of [a, b, c]) {
      expect(errorOf(await s.get('/api/auth/session'))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    }
    expect((await someoneElse.get('/api/auth/session')).status).toBe(200);
  });
});

describe('session list', () => {
  it('shows the current session and the others; one can be revoked', async () => {
    const cadre = await makeUser(app);
    const a = await signInAs(app, cadre, 'browser-a');
    const b = await signInAs(app, cadre, 'browser-b');
    const list = await a.get('/api/auth/sessions');
    expect(list.status).toBe(200);
    const items = list.json<{ items: { id: string; current: boolean; userAgent: string | null; ip: string }[] }>()
      .items;
    expect(items).toHaveLength(2);
    expect(items.find((s) => s.current)!.userAgent).toBe('browser-a');
    const other = items.find((s) => !s.current)!;
    expect(other.userAgent).toBe('browser-b');
    expect(other.ip).toBe('127.0.0.1');

    const revoked = await a.delete(`/api/auth/sessions/${other.id}`);
    expect(revoked.json()).toEqual({ ok: true });
    expect(errorOf(await b.get('/api/auth/session'))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect((await a.get('/api/auth/sessions')).json<{ items: unknown[] }>().items).toHaveLength(1);
  });

  it('does not list sessions that have timed out', async () => {
    const cadre = await makeUser(app);
    const a = await signInAs(app, cadre, 'browser-a');
    await signInAs(app, cadre, 'browser-b');
    clock.advance(10 * MINUTE);
    expect((await a.get('/api/auth/session')).status).toBe(200);
    clock.advance(10 * MINUTE);
    // b has been idle 20 minutes (over a cadre's 15): it is no longer a live session.
    const items = (await a.get('/api/auth/sessions')).json<{ items: { userAgent: string }[] }>().items;
    expect(items.map((s) => s.userAgent)).toEqual(['browser-a']);
  });
});

describe('account and grant changes end sessions at once', () => {
  let tree: Awaited<ReturnType<typeof makeTree>>;
  let sysA: Agent;
  let secA: Agent;
  beforeAll(async () => {
    tree = await makeTree(app);
    sysA = await signIn(app, await makeUser(app, { org: tree.county, roles: ['system_admin'] }));
    secA = await signIn(app, await makeUser(app, { org: tree.county, roles: ['security_admin'] }));
  });

  it('disabling an account ends its sessions; it cannot sign in until enabled again', async () => {
    const cadre = await makeUser(app, { org: tree.grassroots });
    const a = await signIn(app, cadre);
    const res = await sysA.request('PATCH', `/api/users/${cadre.user.id}`, { status: 'disabled' });
    expect(res.status).toBe(200);
    expect(res.json().status).toBe('disabled');
    expect(errorOf(await a.get('/api/auth/session'))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });

    const login = (password: string) =>
      agent(app).post('/api/auth/login', { account: cadre.username, password, kind: 'cadre' });
    expect(errorOf(await login(cadre.password))).toMatchObject({ status: 403, code: 'ACCOUNT_DISABLED' });
    // A wrong password learns nothing about the account's state.
    expect(errorOf(await login('Wrong#Pass2026'))).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });

    expect((await sysA.request('PATCH', `/api/users/${cadre.user.id}`, { status: 'active' })).status).toBe(200);
    expect((await login(cadre.password)).status).toBe(200);
  });

  it('a disabled member cannot sign in by SMS either', async () => {
    const phone = randomPhone();
    const member = await signInBySms(app, phone);
    await t.database.db
      .updateTable('user_account')
      .set({ status: 'disabled' })
      .where('id', '=', (member.session!.user as { id: string }).id)
      .execute();
    expect(errorOf(await member.get('/api/auth/session'))).toMatchObject({ status: 401 });
    clock.advance(61_000);
    await agent(app).post('/api/auth/sms-codes', { phone });
    const res = await agent(app).post('/api/auth/sms-login', { phone, code: lastSmsCode(app, phone) });
    expect(errorOf(res)).toMatchObject({ status: 403, code: 'ACCOUNT_DISABLED' });
  });

  it("revoking a grant ends the holder's sessions", async () => {
    const cadre = await makeUser(app, { org: tree.grassroots, roles: ['grassroots_cadre'] });
    const a = await signIn(app, cadre);
    const grants = await secA.get(`/api/grants?userId=${cadre.user.id}`);
    const grantId = grants.json<{ items: { id: string }[] }>().items[0]!.id;
    expect((await secA.delete(`/api/grants/${grantId}`)).status).toBe(200);
    expect(errorOf(await a.get('/api/auth/session'))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    const again = await signIn(app, cadre);
    expect(again.session!.grants).toEqual([]);
  });

  it('a privileged role granted to a signed-in user without TOTP does not work until they enroll', async () => {
    const cadre = await makeUser(app, { org: tree.grassroots, totp: false });
    const a = await signIn(app, cadre);
    expect(a.session!.restriction).toBeNull();
    const roles = (await secA.get('/api/roles')).json<{ items: { id: string; code: string }[] }>().items;
    const auditor = roles.find((r) => r.code === 'auditor')!;
    const granted = await secA.post('/api/grants', {
      userId: cadre.user.id,
      roleId: auditor.id,
      orgId: tree.grassroots.id,
    });
    expect(granted.status).toBe(201);
    // audit.read and finance.read are privileged: this session never proved a second factor.
    const res = await a.get('/api/audit-events');
    expect(errorOf(res)).toMatchObject({ status: 403, code: 'TOTP_ENROLLMENT_REQUIRED' });
    expect((await a.get('/api/auth/session')).json().restriction).toBe('totp_enrollment');
  });
});

describe('GET /api/auth/session content', () => {
  it('returns the actor, live grants with their organizations, and permission codes', async () => {
    const tree = await makeTree(app);
    const cadre = await makeUser(app, { org: tree.county, roles: ['federation_cadre'] });
    await app.services.access.provisionGrant(
      { actor: SYSTEM_ACTOR },
      { userId: cadre.user.id, roleCode: 'grassroots_chair', orgId: tree.sibling.id },
    );
    const a = await signIn(app, { ...cadre, totpSecret: null });
    const s = (await a.get('/api/auth/session')).json<{
      user: Record<string, unknown>;
      grants: { roleCode: string; orgId: string; orgName: string; orgPath: string; userId: string }[];
      permissions: string[];
      csrfToken: string;
      restriction: unknown;
    }>();
    expect(s.user).toMatchObject({
      id: cadre.user.id,
      kind: 'cadre',
      username: cadre.username,
      displayName: cadre.user.display_name,
      hasPassword: true,
    });
    expect(s.grants.map((g) => [g.roleCode, g.orgId, g.orgName, g.orgPath]).sort()).toEqual(
      [
        ['federation_cadre', tree.county.id, tree.county.name, tree.county.path],
        ['grassroots_chair', tree.sibling.id, tree.sibling.name, tree.sibling.path],
      ].sort(),
    );
    const expected = withDependencies(
      BUILTIN_ROLES.filter((r) => r.code === 'federation_cadre' || r.code === 'grassroots_chair').flatMap(
        (r) => r.permissions,
      ),
    );
    expect(s.permissions).toEqual([...expected].sort());
    expect(s.csrfToken).toBe(a.csrf);
    // member.reveal is privileged: this cadre has no authenticator, so the session is restricted.
    expect(s.restriction).toBe('totp_enrollment');
  });
});

// ---- Every session endpoint: authentication, restriction, scope, input, happy path ----

describe('session endpoints', () => {
  let cadre: Awaited<ReturnType<typeof makeUser>>;
  let a: Agent;
  let restricted: Agent;
  beforeAll(async () => {
    cadre = await makeUser(app);
    a = await signIn(app, cadre);
    const org = await makeOrg(app);
    restricted = await signIn(app, await makeUser(app, { org, roles: ['security_admin'], totp: false }));
    expect(restricted.session!.restriction).toBe('totp_enrollment');
  });

  describe(`${authRoutes.session.id} (GET /api/auth/session)`, () => {
    it('requires authentication', async () => {
      expect(errorOf(await call(agent(app), authRoutes.session))).toMatchObject({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      expect(errorOf(await call(agent(app, 'forged-token'), authRoutes.session))).toMatchObject({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    });

    it('is open to a restricted session', async () => {
      expect((await call(restricted, authRoutes.session)).status).toBe(200);
    });

    it('happy path', async () => {
      const res = await call(a, authRoutes.session);
      expect(res.status).toBe(200);
      expect(res.json<{ user: { id: string } }>().user.id).toBe(cadre.user.id);
    });
  });

  describe(`${authRoutes.sessions.id} (GET /api/auth/sessions)`, () => {
    it('requires authentication', async () => {
      expect(errorOf(await call(agent(app), authRoutes.sessions))).toMatchObject({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    });

    it('is closed to a restricted session', async () => {
      expect(errorOf(await call(restricted, authRoutes.sessions))).toMatchObject({
        status: 403,
        code: 'TOTP_ENROLLMENT_REQUIRED',
      });
    });

    it('happy path', async () => {
      const items = (await call(a, authRoutes.sessions)).json<{ items: { current: boolean }[] }>().items;
      expect(items.filter((s) => s.current)).toHaveLength(1);
    });
  });

  describe(`${authRoutes.revokeSession.id} (DELETE /api/auth/sessions/:id)`, () => {
    it('requires authentication', async () => {
      expect(errorOf(await call(agent(app), authRoutes.revokeSession, { params: { id: 'x' } }))).toMatchObject({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    });

    it('is closed to a restricted session', async () => {
      expect(errorOf(await call(restricted, authRoutes.revokeSession, { params: { id: 'x' } }))).toMatchObject({
        status: 403,
        code: 'TOTP_ENROLLMENT_REQUIRED',
      });
    });

    it('bad input names the field', async () => {
      const res = await call(a, authRoutes.revokeSession, { params: { id: 'x'.repeat(65) } });
      expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['params.id'] });
    });

    it("another user's session is 404, exactly like a missing one", async () => {
      const other = await signIn(app, await makeUser(app));
      const otherId = (await other.get('/api/auth/sessions')).json<{ items: { id: string }[] }>().items[0]!.id;
      const foreign = await call(a, authRoutes.revokeSession, { params: { id: otherId } });
      const missing = await call(a, authRoutes.revokeSession, { params: { id: 'no-such-session' } });
      expect(errorOf(foreign)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      expect(withoutRequestId(foreign)).toEqual(withoutRequestId(missing));
      expect((await other.get('/api/auth/session')).status).toBe(200);
    });

    it('happy path: ending my own current session', async () => {
      const mine = await signIn(app, await makeUser(app));
      const id = (await mine.get('/api/auth/sessions')).json<{ items: { id: string }[] }>().items[0]!.id;
      expect((await call(mine, authRoutes.revokeSession, { params: { id } })).json()).toEqual({ ok: true });
      expect(errorOf(await mine.get('/api/auth/session'))).toMatchObject({ status: 401 });
    });
  });

  describe(`${authRoutes.logout.id} (POST /api/auth/logout)`, () => {
    it('requires authentication', async () => {
      expect(errorOf(await call(agent(app), authRoutes.logout))).toMatchObject({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    });

    it('happy path, also from a restricted session', async () => {
      const org = await makeOrg(app);
      const r = await signIn(app, await makeUser(app, { org, roles: ['security_admin'], totp: false }));
      expect((await call(r, authRoutes.logout)).json()).toEqual({ ok: true });
      expect(errorOf(await r.get('/api/auth/session'))).toMatchObject({ status: 401 });
    });
  });

  describe(`${authRoutes.logoutAll.id} (POST /api/auth/logout-all)`, () => {
    it('requires authentication', async () => {
      expect(errorOf(await call(agent(app), authRoutes.logoutAll))).toMatchObject({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    });

    it('happy path, also from a restricted session', async () => {
      const org = await makeOrg(app);
      const r = await signIn(app, await makeUser(app, { org, roles: ['security_admin'], totp: false }));
      expect((await call(r, authRoutes.logoutAll)).json()).toEqual({ ended: 1 });
    });
  });
});
