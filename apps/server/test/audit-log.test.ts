import { auditRoutes, PERMISSION_CODES } from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agent,
  type Agent,
  errorOf,
  lastSmsCode,
  makeRole,
  makeTree,
  makeUser,
  permissionsWithout,
  randomPhone,
  signIn,
  type TestUser,
  totpCode,
  unique,
  withoutRequestId,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

const NO_IP_LIMITS = { LOGIN_IP_LIMIT_PER_MINUTE: '100000', SMS_IP_LIMIT_PER_HOUR: '100000' };
const WRONG_PASSWORD = 'Wr0ng#Secret-Attempt';

interface AuditItem {
  seq: number;
  action: string;
  actorId: string | null;
  actorKind: string;
  subjectType: string;
  subjectId: string | null;
  orgPath: string | null;
  changes: { field: string; from?: unknown; to?: unknown; sensitive?: boolean }[] | null;
}

let t: Awaited<ReturnType<typeof createTestApp>>;
let app: FastifyInstance;
const clock = createTestClock();
let tree: Awaited<ReturnType<typeof makeTree>>;
/** Audit administrator at the province (a root): sees everything, unplaced events too. */
let rootAuditA: Agent;
/** Audit administrator at the county. */
let countyAuditA: Agent;

beforeAll(async () => {
  t = await createTestApp(NO_IP_LIMITS, { now: clock.now });
  app = t.app;
  tree = await makeTree(app);
  rootAuditA = await signIn(app, await makeUser(app, { org: tree.province, roles: ['audit_admin'] }));
  countyAuditA = await signIn(app, await makeUser(app, { org: tree.county, roles: ['audit_admin'] }));
});
afterAll(async () => {
  await t.close();
});

async function events(a: Agent, query: Record<string, string> = {}): Promise<AuditItem[]> {
  const res = await a.get(`/api/audit-events?${new URLSearchParams({ pageSize: '200', ...query }).toString()}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.json<{ items: AuditItem[] }>().items;
}

const login = (who: { username: string | null; password: string }, extra: Record<string, unknown> = {}) =>
  agent(app).post('/api/auth/login', { account: who.username, password: who.password, kind: 'cadre', ...extra });

describe('identity and access actions leave audit events, never their secrets', () => {
  /** Every secret the flows below handle: none may appear in the audit log or the logs. */
  const secrets: string[] = [WRONG_PASSWORD];
  let cadre: TestUser;
  let sec: TestUser;
  let secA: Agent;

  beforeAll(async () => {
    cadre = await makeUser(app, { org: tree.grassroots });
    sec = await makeUser(app, { org: tree.county, roles: ['security_admin'] });
    secA = await signIn(app, sec);
    secrets.push(cadre.password, sec.totpSecret!);
  });

  it('sign-in, failure, unknown account and lockout', async () => {
    const a = await signIn(app, cadre);
    secrets.push(String(a.csrf), String(a.cookie));
    await login({ ...cadre, password: WRONG_PASSWORD });
    await login({ username: unique('nobody'), password: WRONG_PASSWORD });
    const victim = await makeUser(app, { org: tree.grassroots });
    for (let i = 0; i < 5; i++) await login({ ...victim, password: WRONG_PASSWORD });
    await login(victim);

    const mine = await events(rootAuditA, { actorId: cadre.user.id });
    expect(mine.find((e) => e.action === 'auth.login')).toMatchObject({
      subjectType: 'session',
      orgPath: tree.grassroots.path,
    });
    const failed = await events(rootAuditA, { action: 'auth.login_failed' });
    expect(failed.find((e) => e.subjectId === cadre.user.id)!.changes).toEqual([
      { field: 'reason', to: 'wrong_password' },
    ]);
    expect(failed.some((e) => e.subjectId === null && e.changes?.[0]?.to === 'unknown_account')).toBe(true);
    expect((await events(rootAuditA, { action: 'auth.lockout' })).map((e) => e.subjectId)).toContain(victim.user.id);
    expect((await events(rootAuditA, { action: 'auth.login_refused_locked' })).map((e) => e.subjectId)).toContain(
      victim.user.id,
    );
  });

  it('SMS codes and SMS sign-in', async () => {
    const phone = randomPhone();
    const a = agent(app);
    await a.post('/api/auth/sms-codes', { phone });
    const code = lastSmsCode(app, phone);
    secrets.push(code, phone);
    const res = await a.post('/api/auth/sms-login', { phone, code });
    const userId = res.json<{ user: { id: string } }>().user.id;
    const all = await events(rootAuditA, { actorId: userId });
    expect(all.map((e) => e.action)).toEqual(expect.arrayContaining(['auth.login_sms']));
    const created = (await events(rootAuditA, { action: 'user.create' })).find((e) => e.subjectId === userId)!;
    expect(created.changes).toContainEqual({ field: 'phone', sensitive: true });
    expect((await events(rootAuditA, { action: 'auth.sms_code_sent' })).length).toBeGreaterThan(0);
  });

  it('password changes', async () => {
    const a = await signIn(app, cadre);
    const next = 'Fresh#Secret-2026';
    secrets.push(next);
    expect((await a.post('/api/auth/password', { oldPassword: cadre.password, newPassword: next })).status).toBe(200);
    cadre.password = next;
    const changed = (await events(rootAuditA, { action: 'auth.password_changed' })).find(
      (e) => e.subjectId === cadre.user.id,
    )!;
    expect(changed.changes).toContainEqual({ field: 'password', sensitive: true });
    expect(changed.orgPath).toBe(tree.grassroots.path);
  });

  it('TOTP enrollment, recovery request and reset', async () => {
    const admin = await makeUser(app, { org: tree.grassroots, roles: ['finance_officer'], totp: false });
    const a = await signIn(app, admin);
    const { secret } = (await a.post('/api/auth/totp/setup')).json<{ secret: string }>();
    const code = totpCode(secret, clock.now());
    secrets.push(secret);
    expect((await a.post('/api/auth/totp/enable', { code })).status).toBe(200);

    const reason = '手机丢失，无法使用动态口令';
    await agent(app).post('/api/auth/totp/recovery-requests', {
      account: admin.username,
      password: admin.password,
      reason,
    });
    const request = (await secA.get('/api/totp-recovery-requests'))
      .json<{ items: { id: string; userId: string }[] }>()
      .items.find((r) => r.userId === admin.user.id)!;
    expect((await secA.post(`/api/totp-recovery-requests/${request.id}/decision`, { approve: true })).status).toBe(200);

    const byAdmin = await events(rootAuditA, { actorId: admin.user.id });
    expect(byAdmin.map((e) => e.action)).toEqual(
      expect.arrayContaining(['auth.totp_setup_started', 'auth.totp_enabled', 'auth.totp_recovery_requested']),
    );
    const reset = (await events(rootAuditA, { action: 'auth.totp_reset_approved' })).find(
      (e) => e.subjectId === request.id,
    )!;
    expect(reset).toMatchObject({ actorId: sec.user.id, orgPath: tree.grassroots.path });
  });

  it('grants and their revocation', async () => {
    const holder = await makeUser(app, { org: tree.grassroots });
    const roles = (await secA.get('/api/roles')).json<{ items: { id: string; code: string }[] }>().items;
    const granted = await secA.post('/api/grants', {
      userId: holder.user.id,
      roleId: roles.find((r) => r.code === 'grassroots_cadre')!.id,
      orgId: tree.grassroots.id,
    });
    const grantId = granted.json<{ id: string }>().id;
    await secA.delete(`/api/grants/${grantId}`);
    const bySec = await events(rootAuditA, { actorId: sec.user.id });
    expect(bySec.find((e) => e.action === 'grant.create' && e.subjectId === grantId)!.changes).toEqual(
      expect.arrayContaining([
        { field: 'userId', to: holder.user.id },
        { field: 'role', to: 'grassroots_cadre' },
      ]),
    );
    expect(bySec.find((e) => e.action === 'grant.revoke' && e.subjectId === grantId)).toMatchObject({
      orgPath: tree.grassroots.path,
    });
  });

  it('session revocations, logout and logout everywhere', async () => {
    clock.advance(1000);
    const a = await signIn(app, cadre);
    const b = await signIn(app, cadre);
    const bId = (await a.get('/api/auth/sessions'))
      .json<{ items: { id: string; current: boolean }[] }>()
      .items.find((s) => !s.current)!.id;
    await a.delete(`/api/auth/sessions/${bId}`);
    await a.post('/api/auth/logout');
    const c = await signIn(app, cadre);
    await c.post('/api/auth/logout-all');
    expect(errorOf(await b.get('/api/auth/session')).status).toBe(401);

    const byCadre = await events(rootAuditA, { actorId: cadre.user.id });
    expect(byCadre.find((e) => e.action === 'session.revoke')).toMatchObject({ subjectId: bId });
    expect(byCadre.map((e) => e.action)).toEqual(expect.arrayContaining(['auth.logout', 'auth.logout_all']));
    // They belong to the user's organization, so the county's audit administrator sees them too.
    const county = await events(countyAuditA, { actorId: cadre.user.id });
    expect(county.map((e) => e.action)).toEqual(
      expect.arrayContaining(['session.revoke', 'auth.logout', 'auth.logout_all']),
    );
  });

  it('no stored audit row and no log line holds a password, TOTP secret, SMS code or session token', async () => {
    const rows = await t.database.db.selectFrom('audit_event').selectAll().execute();
    expect(rows.length).toBeGreaterThan(20);
    const stored = JSON.stringify(rows);
    const logs = t.logs.join('\n');
    for (const secret of secrets) {
      expect(stored.includes(secret), `audit log holds ${secret}`).toBe(false);
      expect(logs.includes(secret), `logs hold ${secret}`).toBe(false);
    }
  });
});

// ---- The endpoint ----

describe(`${auditRoutes.list.id} (GET /api/audit-events)`, () => {
  let countyCadre: TestUser;
  let siblingCadre: TestUser;
  beforeAll(async () => {
    countyCadre = await makeUser(app, { org: tree.grassroots });
    siblingCadre = await makeUser(app, { org: tree.sibling });
    await login(countyCadre);
    await login(siblingCadre);
    await login({ username: unique('nobody'), password: WRONG_PASSWORD });
  });

  it('requires authentication', async () => {
    const res = await agent(app).get('/api/audit-events');
    expect(errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('requires permission', async () => {
    const role = await makeRole(app, permissionsWithout(PERMISSION_CODES, 'audit.read'));
    const a = await signIn(app, await makeUser(app, { org: tree.province, roles: [role.code] }));
    expect(errorOf(await a.get('/api/audit-events'))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('bad input names the field', async () => {
    const cases: [string, string][] = [
      ['pageSize=500', 'query.pageSize'],
      ['page=0', 'query.page'],
      ['page=first', 'query.page'],
      [`action=${'x'.repeat(101)}`, 'query.action'],
    ];
    for (const [query, field] of cases) {
      const res = await rootAuditA.get(`/api/audit-events?${query}`);
      expect(errorOf(res), query).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
  });

  it('an organization out of scope is 404, exactly like a missing one', async () => {
    const outOfScope = await countyAuditA.get(`/api/audit-events?orgId=${tree.sibling.id}`);
    const missing = await countyAuditA.get('/api/audit-events?orgId=no-such-org');
    expect(errorOf(outOfScope)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(withoutRequestId(outOfScope)).toEqual(withoutRequestId(missing));
    // Above the administrator's node is outside too.
    expect(errorOf(await countyAuditA.get(`/api/audit-events?orgId=${tree.city.id}`))).toMatchObject({ status: 404 });
  });

  it('scope: a county audit administrator sees the county and below, not the sibling county nor unplaced events', async () => {
    const seen = await events(countyAuditA, { action: 'auth.login' });
    const actors = seen.map((e) => e.actorId);
    expect(actors).toContain(countyCadre.user.id);
    expect(actors).not.toContain(siblingCadre.user.id);
    const all = await events(countyAuditA);
    expect(all.every((e) => e.orgPath !== null && e.orgPath.startsWith(tree.county.path))).toBe(true);

    const root = await events(rootAuditA, { action: 'auth.login' });
    expect(root.map((e) => e.actorId)).toEqual(expect.arrayContaining([countyCadre.user.id, siblingCadre.user.id]));
    const unplaced = await events(rootAuditA, { action: 'auth.login_failed' });
    expect(unplaced.some((e) => e.orgPath === null)).toBe(true);
  });

  it('filters by action, actor and organization; newest first; paged', async () => {
    const byActor = await events(rootAuditA, { actorId: countyCadre.user.id });
    expect(byActor.length).toBeGreaterThan(0);
    expect(byActor.every((e) => e.actorId === countyCadre.user.id)).toBe(true);

    const byAction = await events(rootAuditA, { action: 'auth.login' });
    expect(byAction.every((e) => e.action === 'auth.login')).toBe(true);

    const sibling = await events(rootAuditA, { orgId: tree.sibling.id });
    expect(sibling.length).toBeGreaterThan(0);
    expect(sibling.every((e) => e.orgPath!.startsWith(tree.sibling.path))).toBe(true);

    const seqs = byAction.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => y - x));

    const page = await rootAuditA.get('/api/audit-events?pageSize=2&page=2');
    const body = page.json<{ items: AuditItem[]; total: number; page: number; pageSize: number }>();
    expect(body).toMatchObject({ page: 2, pageSize: 2 });
    expect(body.items).toHaveLength(2);
    expect(body.total).toBeGreaterThan(4);
  });
});
