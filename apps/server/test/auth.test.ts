import * as argon2 from '@node-rs/argon2';
import { authRoutes, type RouteContract } from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  agent,
  type Agent,
  errorOf,
  lastSmsCode,
  makeOrg,
  makeUser,
  randomPhone,
  signIn,
  signInBySms,
  TEST_PASSWORD,
  type TestUser,
  totpCode,
  unique,
  withoutRequestId,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

// A pass-through spy on argon2: every verification still runs for real, and the tests can
// count them to prove an unknown account costs one, like a wrong password does.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof argon2>();
  return { ...real, verify: vi.fn(real.verify) };
});

const MINUTE = 60_000;
const DAY = 86_400_000;
/** The per-address limits would otherwise trip over a whole file's sign-ins. */
const NO_IP_LIMITS = { LOGIN_IP_LIMIT_PER_MINUTE: '100000', SMS_IP_LIMIT_PER_HOUR: '100000' };

type TestApp = Awaited<ReturnType<typeof createTestApp>>;

function url(route: RouteContract, params: Record<string, string> = {}): string {
  return route.path.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(params[k] ?? 'missing'));
}

function call(a: Agent, route: RouteContract, opts: { params?: Record<string, string>; body?: unknown } = {}) {
  const withBody = route.method !== 'GET' && route.method !== 'DELETE';
  return a.request(route.method, url(route, opts.params), withBody ? (opts.body ?? {}) : undefined);
}

/** A request from a given client address (the per-address limits key on it). */
async function fromAddress(app: FastifyInstance, ip: string, method: 'POST', path: string, body: object) {
  const res = await app.inject({ method, url: path, payload: body, remoteAddress: ip });
  return { status: res.statusCode, body: res.json() as unknown, json: () => res.json(), headers: res.headers };
}

const login = (a: Agent, who: TestUser, extra: Record<string, unknown> = {}) =>
  a.post('/api/auth/login', {
    account: who.username ?? who.phone,
    password: who.password,
    kind: who.user.kind,
    ...extra,
  });

/** A 6-digit code that is not `code`. */
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

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

describe('SMS sign-in', () => {
  it('sends a 6-digit code, and the first sign-in with it creates a member account', async () => {
    const phone = randomPhone();
    const a = agent(app);
    const sent = await a.post('/api/auth/sms-codes', { phone });
    expect(sent.status).toBe(202);
    expect(sent.json()).toEqual({ sent: true, expiresInSeconds: 300, resendAfterSeconds: 60 });
    const code = lastSmsCode(app, phone);
    expect(code).toMatch(/^\d{6}$/);

    const res = await a.post('/api/auth/sms-login', { phone, code });
    expect(res.status).toBe(200);
    const session = res.json<{ user: Record<string, unknown>; restriction: unknown; idleTimeoutSeconds: number }>();
    expect(session.user).toMatchObject({ kind: 'member', hasPassword: false, totpEnabled: false, username: null });
    expect(session.user.phone).toBe(`${phone.slice(0, 3)}****${phone.slice(-4)}`);
    expect(session.restriction).toBeNull();
    expect(session.idleTimeoutSeconds).toBe(30 * 60);

    // The second sign-in finds the same account instead of making another.
    clock.advance(61_000);
    const again = await signInBySms(app, phone);
    expect((again.session!.user as { id: string }).id).toBe(session.user.id);
    const rows = await t.database.db
      .selectFrom('user_account')
      .select('id')
      .where('display_name', '=', `会员${phone.slice(-4)}`)
      .where('kind', '=', 'member')
      .execute();
    expect(rows.map((r) => r.id)).toContain(session.user.id);
  });

  it('a code is valid for 5 minutes, then SMS_CODE_EXPIRED', async () => {
    const phone = randomPhone();
    const a = agent(app);
    expect((await a.post('/api/auth/sms-codes', { phone })).status).toBe(202);
    const expired = lastSmsCode(app, phone);
    clock.advance(5 * MINUTE + 1000);
    const late = await a.post('/api/auth/sms-login', { phone, code: expired });
    expect(errorOf(late)).toMatchObject({ status: 400, code: 'SMS_CODE_EXPIRED' });

    expect((await a.post('/api/auth/sms-codes', { phone })).status).toBe(202);
    const fresh = lastSmsCode(app, phone);
    clock.advance(4 * MINUTE + 50_000);
    expect((await a.post('/api/auth/sms-login', { phone, code: fresh })).status).toBe(200);
  });

  it('a code is single use: SMS_CODE_USED the second time', async () => {
    const phone = randomPhone();
    await signInBySms(app, phone);
    const code = lastSmsCode(app, phone);
    const res = await agent(app).post('/api/auth/sms-login', { phone, code });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'SMS_CODE_USED' });
  });

  it('a wrong code gives SMS_CODE_WRONG; five wrong guesses burn the code', async () => {
    const phone = randomPhone();
    const a = agent(app);
    await a.post('/api/auth/sms-codes', { phone });
    const code = lastSmsCode(app, phone);
    for (let i = 0; i < 5; i++) {
      const res = await a.post('/api/auth/sms-login', { phone, code: otherCode(code) });
      expect(errorOf(res)).toMatchObject({ status: 400, code: 'SMS_CODE_WRONG' });
    }
    const burned = await a.post('/api/auth/sms-login', { phone, code });
    expect(errorOf(burned)).toMatchObject({ status: 400, code: 'SMS_CODE_USED' });
  });

  it('wrong, expired and used are three distinct codes', async () => {
    // Asserted above one by one; here the answers are set side by side.
    const phone = randomPhone();
    const a = agent(app);
    await a.post('/api/auth/sms-codes', { phone });
    const first = lastSmsCode(app, phone);
    const wrong = await a.post('/api/auth/sms-login', { phone, code: otherCode(first) });
    clock.advance(5 * MINUTE + 1000);
    const expired = await a.post('/api/auth/sms-login', { phone, code: first });
    await a.post('/api/auth/sms-codes', { phone });
    const second = lastSmsCode(app, phone);
    await a.post('/api/auth/sms-login', { phone, code: second });
    const used = await a.post('/api/auth/sms-login', { phone, code: second });
    expect(new Set([errorOf(wrong).code, errorOf(expired).code, errorOf(used).code])).toEqual(
      new Set(['SMS_CODE_WRONG', 'SMS_CODE_EXPIRED', 'SMS_CODE_USED']),
    );
  });

  it('at most one code a minute and five an hour per phone (SMS_RATE_LIMITED)', async () => {
    const phone = randomPhone();
    const a = agent(app);
    expect((await a.post('/api/auth/sms-codes', { phone })).status).toBe(202);
    const tooSoon = await a.post('/api/auth/sms-codes', { phone });
    expect(errorOf(tooSoon)).toMatchObject({ status: 429, code: 'SMS_RATE_LIMITED' });
    for (let i = 2; i <= 5; i++) {
      clock.advance(61_000);
      expect((await a.post('/api/auth/sms-codes', { phone })).status).toBe(202);
    }
    clock.advance(61_000);
    const sixth = await a.post('/api/auth/sms-codes', { phone });
    expect(errorOf(sixth)).toMatchObject({ status: 429, code: 'SMS_RATE_LIMITED' });
    // Another phone is not affected.
    expect((await a.post('/api/auth/sms-codes', { phone: randomPhone() })).status).toBe(202);
    clock.advance(60 * MINUTE);
    expect((await a.post('/api/auth/sms-codes', { phone })).status).toBe(202);
  });

  it('members set a password (length and common-password list, no composition rules), then sign in with it', async () => {
    const phone = randomPhone();
    const a = await signInBySms(app, phone);
    const short = await a.post('/api/auth/password', { newPassword: 'abc123' });
    expect(errorOf(short)).toMatchObject({ status: 400, code: 'PASSWORD_POLICY', fields: ['body.newPassword'] });
    const common = await a.post('/api/auth/password', { newPassword: 'password123' });
    expect(errorOf(common)).toMatchObject({ status: 400, code: 'PASSWORD_POLICY', fields: ['body.newPassword'] });
    // Lower-case letters only: fine for a member, who gets no composition rules.
    const password = 'quietriverstones';
    const ok = await a.post('/api/auth/password', { newPassword: password });
    expect(ok.status).toBe(200);
    expect((await a.get('/api/auth/session')).json<{ user: { hasPassword: boolean } }>().user.hasPassword).toBe(true);

    const byPassword = await agent(app).post('/api/auth/login', { account: phone, password, kind: 'member' });
    expect(byPassword.status).toBe(200);
    expect(byPassword.json<{ user: { id: string } }>().user.id).toBe((a.session!.user as { id: string }).id);
    const wrong = await agent(app).post('/api/auth/login', {
      account: phone,
      password: 'wrongpassword',
      kind: 'member',
    });
    expect(errorOf(wrong)).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });
    // Once a password is set, changing it needs the old one.
    const noOld = await a.post('/api/auth/password', { newPassword: 'anotherquietriver' });
    expect(errorOf(noOld)).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });
  });

  it('a phone that belongs to a cadre cannot sign in as a member by SMS', async () => {
    const cadre = await makeUser(app, { phone: randomPhone() });
    const a = agent(app);
    await a.post('/api/auth/sms-codes', { phone: cadre.phone });
    const res = await a.post('/api/auth/sms-login', { phone: cadre.phone, code: lastSmsCode(app, cadre.phone!) });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'SMS_CODE_WRONG' });
  });
});

describe('password sign-in', () => {
  it('cadres sign in with user name and password', async () => {
    const cadre = await makeUser(app, { roles: ['grassroots_cadre'] });
    const res = await login(agent(app), cadre);
    expect(res.status).toBe(200);
    const s = res.json<{ user: Record<string, unknown>; restriction: unknown; idleTimeoutSeconds: number }>();
    expect(s.user).toMatchObject({ id: cadre.user.id, kind: 'cadre', username: cadre.username, hasPassword: true });
    expect(s.restriction).toBeNull();
    expect(s.idleTimeoutSeconds).toBe(15 * 60);
  });

  it('merchants sign in with user name and password', async () => {
    const merchant = await makeUser(app, { kind: 'merchant' });
    const res = await login(agent(app), merchant);
    expect(res.status).toBe(200);
    expect(res.json<{ user: { kind: string } }>().user.kind).toBe('merchant');
  });

  it('the account must be of the kind the end signs in for', async () => {
    const cadre = await makeUser(app);
    const res = await agent(app).post('/api/auth/login', {
      account: cadre.username,
      password: cadre.password,
      kind: 'merchant',
    });
    expect(errorOf(res)).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });
  });
});

describe('cadre password policy on change', () => {
  let cadre: TestUser;
  let a: Agent;
  beforeAll(async () => {
    cadre = await makeUser(app);
    a = await signIn(app, cadre);
  });

  const change = (newPassword: string) => a.post('/api/auth/password', { oldPassword: cadre.password, newPassword });
  const rules = (res: Awaited<ReturnType<typeof change>>) =>
    (res.json<{ error: { fields: { field: string; rule: string }[] } }>().error.fields ?? []).map(
      (f) => `${f.field}:${f.rule}`,
    );

  it('at least 8 characters', async () => {
    const res = await change('Ab1!xyz');
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'PASSWORD_POLICY' });
    expect(rules(res)).toEqual(['body.newPassword:too_small']);
  });

  it('three of the four character classes', async () => {
    const res = await change('lowercase123456');
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'PASSWORD_POLICY' });
    expect(rules(res)).toEqual(['body.newPassword:format']);
  });

  it('not containing the user name', async () => {
    const res = await change(`X#1${cadre.username!.toUpperCase()}`);
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'PASSWORD_POLICY' });
    expect(rules(res)).toEqual(['body.newPassword:invalid']);
  });

  it('not a common password, even with three classes', async () => {
    const res = await change('Password1');
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'PASSWORD_POLICY' });
    expect(rules(res)).toEqual(['body.newPassword:invalid']);
  });

  it('several problems are all named', async () => {
    expect(rules(await change('abc'))).toEqual(['body.newPassword:too_small', 'body.newPassword:format']);
  });

  it('must differ from the old one', async () => {
    const res = await change(cadre.password);
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.newPassword'] });
  });

  it('a good password is accepted; the old one stops working', async () => {
    const next = 'Lantern#Bridge42';
    expect((await change(next)).status).toBe(200);
    expect(errorOf(await login(agent(app), cadre))).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });
    expect((await login(agent(app), { ...cadre, password: next })).status).toBe(200);
    cadre.password = next;
  });
});

describe('initial password from an administrator', () => {
  it('must be changed at first sign-in', async () => {
    const org = await makeOrg(app);
    const admin = await makeUser(app, { org, roles: ['system_admin'] });
    const adminA = await signIn(app, admin);
    const username = unique('newcadre');
    const initialPassword = 'Initial#Pass2026';
    const created = await adminA.post('/api/users', {
      kind: 'cadre',
      username,
      displayName: '新干部',
      orgId: org.id,
      initialPassword,
    });
    expect(created.status).toBe(201);

    const a = agent(app);
    const res = await a.post('/api/auth/login', { account: username, password: initialPassword, kind: 'cadre' });
    expect(res.status).toBe(200);
    expect(res.json().restriction).toBe('password_expired');
    a.csrf = String(res.json().csrfToken);
    expect(errorOf(await a.get('/api/auth/sessions'))).toMatchObject({ status: 403, code: 'PASSWORD_EXPIRED' });
    expect((await a.get('/api/auth/session')).status).toBe(200);
    const changed = await a.post('/api/auth/password', {
      oldPassword: initialPassword,
      newPassword: 'Chosen#ByMe2026',
    });
    expect(changed.status).toBe(200);
    expect((await a.get('/api/auth/session')).json().restriction).toBeNull();
    expect((await a.get('/api/auth/sessions')).status).toBe(200);
  });
});

describe('password expiry', () => {
  let e: TestApp;
  const eclock = createTestClock();
  beforeAll(async () => {
    e = await createTestApp(NO_IP_LIMITS, { now: eclock.now });
  });
  afterAll(async () => {
    await e.close();
  });

  it(`a cadre's password older than PASSWORD_MAX_AGE_DAYS restricts the session until it is changed`, async () => {
    const org = await makeOrg(e.app);
    const cadre = await makeUser(e.app, { org, roles: ['federation_cadre'] });
    const merchant = await makeUser(e.app, { kind: 'merchant' });

    eclock.advance(89 * DAY);
    expect((await signIn(e.app, cadre)).session!.restriction).toBeNull();

    eclock.advance(2 * DAY);
    const a = await signIn(e.app, cadre);
    expect(a.session!.restriction).toBe('password_expired');
    expect(errorOf(await a.get(`/api/orgs/${org.id}`))).toMatchObject({ status: 403, code: 'PASSWORD_EXPIRED' });
    expect((await a.get('/api/auth/session')).json().restriction).toBe('password_expired');

    const changed = await a.post('/api/auth/password', {
      oldPassword: cadre.password,
      newPassword: 'Renewed#Pass2026',
    });
    expect(changed.status).toBe(200);
    expect((await a.get('/api/auth/session')).json().restriction).toBeNull();
    expect((await a.get(`/api/orgs/${org.id}`)).status).toBe(200);

    // Merchants' passwords do not expire.
    expect((await signIn(e.app, merchant)).session!.restriction).toBeNull();
  });
});

describe('lockout', () => {
  it('5 consecutive failures lock the account for 15 minutes (ACCOUNT_LOCKED)', async () => {
    const cadre = await makeUser(app);
    const wrong = { ...cadre, password: 'Wrong#Pass2026' };
    for (let i = 1; i <= 4; i++) {
      expect(errorOf(await login(agent(app), wrong))).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });
    }
    expect(errorOf(await login(agent(app), wrong))).toMatchObject({ status: 423, code: 'ACCOUNT_LOCKED' });
    // Even the right password is refused while locked.
    expect(errorOf(await login(agent(app), cadre))).toMatchObject({ status: 423, code: 'ACCOUNT_LOCKED' });
    clock.advance(14 * MINUTE);
    expect(errorOf(await login(agent(app), cadre))).toMatchObject({ status: 423, code: 'ACCOUNT_LOCKED' });
    clock.advance(MINUTE + 1000);
    expect((await login(agent(app), cadre)).status).toBe(200);
  });

  it('a successful sign-in resets the count of failures', async () => {
    const cadre = await makeUser(app);
    const wrong = { ...cadre, password: 'Wrong#Pass2026' };
    for (let i = 0; i < 4; i++) await login(agent(app), wrong);
    expect((await login(agent(app), cadre)).status).toBe(200);
    for (let i = 0; i < 4; i++) {
      expect(errorOf(await login(agent(app), wrong))).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });
    }
  });

  it('wrong TOTP codes count as failures too', async () => {
    const cadre = await makeUser(app, { totp: true });
    for (let i = 0; i < 4; i++) {
      expect(errorOf(await login(agent(app), cadre, { totp: '000000' }))).toMatchObject({ code: 'TOTP_INVALID' });
    }
    expect(errorOf(await login(agent(app), cadre, { totp: '000000' }))).toMatchObject({
      status: 423,
      code: 'ACCOUNT_LOCKED',
    });
  });

  it('an administrator can lift a lockout (unlockUser)', async () => {
    const org = await makeOrg(app);
    const cadre = await makeUser(app, { org });
    const admin = await makeUser(app, { org, roles: ['system_admin'] });
    for (let i = 0; i < 5; i++) await login(agent(app), { ...cadre, password: 'Wrong#Pass2026' });
    expect(errorOf(await login(agent(app), cadre))).toMatchObject({ code: 'ACCOUNT_LOCKED' });

    const adminA = await signIn(app, admin);
    const seen = await adminA.get(`/api/users/${cadre.user.id}`);
    expect(seen.json().lockedUntil).not.toBeNull();
    const unlocked = await adminA.post(`/api/users/${cadre.user.id}/unlock`);
    expect(unlocked.status).toBe(200);
    expect(unlocked.json().lockedUntil).toBeNull();
    expect((await login(agent(app), cadre)).status).toBe(200);
  });

  it('threshold and duration are configurable (LOCKOUT_THRESHOLD, LOCKOUT_MINUTES)', async () => {
    const lclock = createTestClock();
    const l = await createTestApp(
      { ...NO_IP_LIMITS, LOCKOUT_THRESHOLD: '3', LOCKOUT_MINUTES: '2' },
      { now: lclock.now },
    );
    try {
      const cadre = await makeUser(l.app);
      const wrong = { ...cadre, password: 'Wrong#Pass2026' };
      expect(errorOf(await login(agent(l.app), wrong)).code).toBe('AUTH_INVALID_CREDENTIALS');
      expect(errorOf(await login(agent(l.app), wrong)).code).toBe('AUTH_INVALID_CREDENTIALS');
      expect(errorOf(await login(agent(l.app), wrong)).code).toBe('ACCOUNT_LOCKED');
      lclock.advance(MINUTE);
      expect(errorOf(await login(agent(l.app), cadre)).code).toBe('ACCOUNT_LOCKED');
      lclock.advance(MINUTE + 1000);
      expect((await login(agent(l.app), cadre)).status).toBe(200);
    } finally {
      await l.close();
    }
  });

  it('an unknown account and a wrong password get the same status and body', async () => {
    const cadre = await makeUser(app);
    const unknown = await agent(app).post('/api/auth/login', {
      account: unique('nobody'),
      password: 'Wrong#Pass2026',
      kind: 'cadre',
    });
    const wrong = await login(agent(app), { ...cadre, password: 'Wrong#Pass2026' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(withoutRequestId(unknown)).toEqual(withoutRequestId(wrong));
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(wrong.headers).sort());
  });

  describe('timing', () => {
    const verify = vi.mocked(argon2.verify);
    beforeEach(() => {
      verify.mockClear();
    });

    it('an unknown account spends one argon2 verification, as a wrong password does', async () => {
      const cadre = await makeUser(app);
      const unknownAttempt = () =>
        agent(app).post('/api/auth/login', { account: unique('nobody'), password: 'Wrong#Pass2026', kind: 'cadre' });
      const wrongAttempt = () => login(agent(app), { ...cadre, password: 'Wrong#Pass2026' });
      await unknownAttempt(); // warm-up: the dummy hash is made once per process

      verify.mockClear();
      await unknownAttempt();
      expect(verify).toHaveBeenCalledTimes(1);
      verify.mockClear();
      await wrongAttempt();
      expect(verify).toHaveBeenCalledTimes(1);

      // And the durations are alike: medians within a generous factor, so load cannot flake it.
      const time = async (f: () => Promise<unknown>) => {
        const start = performance.now();
        await f();
        return performance.now() - start;
      };
      const unknownMs: number[] = [];
      const wrongMs: number[] = [];
      for (let i = 0; i < 3; i++) {
        unknownMs.push(await time(unknownAttempt));
        wrongMs.push(await time(wrongAttempt));
      }
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      // Only the leaking direction is asserted: an unknown account answering much faster than a
      // known one. Slower is harmless, and on a loaded CI machine it happens.
      expect(median(unknownMs)).toBeGreaterThan(median(wrongMs) / 5);
    });
  });
});

describe('TOTP', () => {
  it('a privileged role requires enrollment: the session is restricted until an authenticator is enabled', async () => {
    const org = await makeOrg(app);
    const admin = await makeUser(app, { org, roles: ['security_admin'], totp: false });
    const a = await signIn(app, admin);
    expect(a.session!.restriction).toBe('totp_enrollment');
    expect(errorOf(await a.get('/api/roles'))).toMatchObject({ status: 403, code: 'TOTP_ENROLLMENT_REQUIRED' });
    expect(errorOf(await a.get('/api/auth/sessions'))).toMatchObject({
      status: 403,
      code: 'TOTP_ENROLLMENT_REQUIRED',
    });
    expect((await a.get('/api/auth/session')).status).toBe(200);

    const setup = await a.post('/api/auth/totp/setup');
    expect(setup.status).toBe(200);
    const { secret, otpauthUrl, qrSvg } = setup.json<{ secret: string; otpauthUrl: string; qrSvg: string }>();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\//);
    expect(otpauthUrl).toContain(`secret=${secret}`);
    expect(qrSvg).toContain('<svg');

    const wrong = await a.post('/api/auth/totp/enable', { code: otherCode(totpCode(secret, clock.now())) });
    expect(errorOf(wrong)).toMatchObject({ status: 401, code: 'TOTP_INVALID' });
    const code = totpCode(secret, clock.now());
    expect((await a.post('/api/auth/totp/enable', { code })).status).toBe(200);
    const after = (await a.get('/api/auth/session')).json<{ restriction: unknown; user: { totpEnabled: boolean } }>();
    expect(after.restriction).toBeNull();
    expect(after.user.totpEnabled).toBe(true);
    expect((await a.get('/api/roles')).status).toBe(200);

    // From now on sign-in asks for the code: missing, wrong, and replayed are refused.
    expect(errorOf(await login(agent(app), admin))).toMatchObject({ status: 401, code: 'TOTP_REQUIRED' });
    expect(errorOf(await login(agent(app), admin, { totp: otherCode(code) }))).toMatchObject({
      status: 401,
      code: 'TOTP_INVALID',
    });
    // The code that enabled the authenticator was used once already.
    expect(errorOf(await login(agent(app), admin, { totp: code }))).toMatchObject({
      status: 401,
      code: 'TOTP_INVALID',
    });
    clock.advance(30_000);
    const next = totpCode(secret, clock.now());
    expect((await login(agent(app), admin, { totp: next })).status).toBe(200);
    expect(errorOf(await login(agent(app), admin, { totp: next }))).toMatchObject({
      status: 401,
      code: 'TOTP_INVALID',
    });
  });

  it('roles without privileged permissions do not require TOTP', async () => {
    const cadre = await makeUser(app, { roles: ['federation_cadre'] });
    const a = await signIn(app, cadre);
    expect(a.session!.restriction).toBeNull();
  });

  it('recovery: the user asks, a security administrator approves, the user enrolls again', async () => {
    const tree = { county: await makeOrg(app) };
    const grassroots = await makeOrg(app, { parent: tree.county, type: 'grassroots' });
    const user = await makeUser(app, { org: grassroots, roles: ['finance_officer'] });
    const approver = await makeUser(app, { org: tree.county, roles: ['security_admin'] });
    const before = await signIn(app, user);

    const bad = await agent(app).post('/api/auth/totp/recovery-requests', {
      account: user.username,
      password: 'Wrong#Pass2026',
      reason: '手机丢失',
    });
    expect(errorOf(bad)).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });
    const asked = await agent(app).post('/api/auth/totp/recovery-requests', {
      account: user.username,
      password: user.password,
      reason: '手机丢失，无法使用动态口令',
    });
    expect(asked.status).toBe(202);
    expect(asked.json()).toEqual({ requested: true });

    const approverA = await signIn(app, approver);
    const list = await approverA.get('/api/totp-recovery-requests');
    const mine = list.json<{ items: { id: string; userId: string; status: string; username: string }[] }>().items;
    const request = mine.find((r) => r.userId === user.user.id)!;
    expect(request).toMatchObject({ status: 'pending', username: user.username });
    const decided = await approverA.post(`/api/totp-recovery-requests/${request.id}/decision`, { approve: true });
    expect(decided.status).toBe(200);
    expect(decided.json()).toMatchObject({ status: 'approved' });

    // The old sessions ended; the password alone now opens an enrollment-only session.
    expect(errorOf(await before.get('/api/auth/session'))).toMatchObject({ status: 401 });
    const a = await signIn(app, { ...user, totpSecret: null });
    expect(a.session!.restriction).toBe('totp_enrollment');
    expect((a.session!.user as { totpEnabled: boolean }).totpEnabled).toBe(false);
    const { secret } = (await a.post('/api/auth/totp/setup')).json<{ secret: string }>();
    expect(secret).not.toBe(user.totpSecret);
    expect((await a.post('/api/auth/totp/enable', { code: totpCode(secret, clock.now()) })).status).toBe(200);
    expect((await a.get('/api/auth/session')).json().restriction).toBeNull();
  });

  it('the requester cannot approve their own recovery request', async () => {
    const org = await makeOrg(app);
    const admin = await makeUser(app, { org, roles: ['security_admin'] });
    const a = await signIn(app, admin);
    const asked = await agent(app).post('/api/auth/totp/recovery-requests', {
      account: admin.username,
      password: admin.password,
      reason: '换了新手机',
    });
    expect(asked.status).toBe(202);
    const items = (await a.get('/api/totp-recovery-requests')).json<{ items: { id: string; userId: string }[] }>()
      .items;
    const own = items.find((r) => r.userId === admin.user.id)!;
    const res = await a.post(`/api/totp-recovery-requests/${own.id}/decision`, { approve: true });
    expect(errorOf(res)).toMatchObject({ status: 403, code: 'SELF_GRANT' });
  });
});

describe('per-address limits', () => {
  let lim: TestApp;
  beforeAll(async () => {
    lim = await createTestApp({ SMS_IP_LIMIT_PER_HOUR: '2', LOGIN_IP_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await lim.close();
  });

  it('SMS codes requested from one address are limited per hour (SMS_IP_LIMIT_PER_HOUR)', async () => {
    const send = (ip: string) => fromAddress(lim.app, ip, 'POST', '/api/auth/sms-codes', { phone: randomPhone() });
    expect((await send('10.0.0.1')).status).toBe(202);
    expect((await send('10.0.0.1')).status).toBe(202);
    expect(errorOf(await send('10.0.0.1'))).toMatchObject({ status: 429, code: 'SMS_RATE_LIMITED' });
    expect((await send('10.0.0.2')).status).toBe(202);
  });

  it('sign-in attempts from one address are limited per minute (RATE_LIMITED)', async () => {
    const attempt = (ip: string) =>
      fromAddress(lim.app, ip, 'POST', '/api/auth/login', {
        account: unique('nobody'),
        password: 'Wrong#Pass2026',
        kind: 'cadre',
      });
    for (let i = 0; i < 3; i++) expect((await attempt('10.0.1.1')).status).toBe(401);
    expect(errorOf(await attempt('10.0.1.1'))).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect((await attempt('10.0.1.2')).status).toBe(401);
  });
});

// ---- Every auth endpoint of this file: authentication, input, happy path ----

describe(`${authRoutes.login.id} (POST /api/auth/login)`, () => {
  it('bad input names the field', async () => {
    const a = agent(app);
    const missing = await call(a, authRoutes.login, { body: { password: 'x', kind: 'cadre' } });
    expect(errorOf(missing)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.account'] });
    const kind = await call(a, authRoutes.login, { body: { account: 'a', password: 'x', kind: 'boss' } });
    expect(errorOf(kind)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.kind'] });
    const totp = await call(a, authRoutes.login, { body: { account: 'a', password: 'x', kind: 'cadre', totp: '12' } });
    expect(errorOf(totp)).toMatchObject({ status: 400, fields: ['body.totp'] });
    const extra = await call(a, authRoutes.login, {
      body: { account: 'a', password: 'x', kind: 'cadre', role: 'admin' },
    });
    expect(errorOf(extra)).toMatchObject({ status: 400, fields: ['body.role'] });
  });

  it('happy path: a session with the CSRF token and an httpOnly cookie', async () => {
    const cadre = await makeUser(app);
    const a = agent(app);
    const res = await call(a, authRoutes.login, {
      body: { account: cadre.username, password: TEST_PASSWORD, kind: 'cadre' },
    });
    expect(res.status).toBe(200);
    expect(res.json().csrfToken).toEqual(expect.any(String));
    expect(String(res.headers['set-cookie'])).toMatch(/HttpOnly/);
    expect(a.cookie).toBeTruthy();
  });
});

describe(`${authRoutes.smsSend.id} (POST /api/auth/sms-codes)`, () => {
  it('bad input names the field', async () => {
    for (const phone of ['12345', '23800138000', '138001380001']) {
      const res = await call(agent(app), authRoutes.smsSend, { body: { phone } });
      expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.phone'] });
    }
  });

  it('happy path: 202', async () => {
    expect((await call(agent(app), authRoutes.smsSend, { body: { phone: randomPhone() } })).status).toBe(202);
  });
});

describe(`${authRoutes.smsLogin.id} (POST /api/auth/sms-login)`, () => {
  it('bad input names the field', async () => {
    const res = await call(agent(app), authRoutes.smsLogin, { body: { phone: randomPhone(), code: '12ab56' } });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.code'] });
  });

  it('happy path: a member session', async () => {
    const a = await signInBySms(app, randomPhone());
    expect((a.session!.user as { kind: string }).kind).toBe('member');
  });
});

describe(`${authRoutes.changePassword.id} (POST /api/auth/password)`, () => {
  let a: Agent;
  let cadre: TestUser;
  beforeAll(async () => {
    cadre = await makeUser(app);
    a = await signIn(app, cadre);
  });

  it('requires authentication', async () => {
    const res = await call(agent(app), authRoutes.changePassword, { body: { newPassword: 'x' } });
    expect(errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('bad input names the field', async () => {
    const res = await call(a, authRoutes.changePassword, { body: { oldPassword: cadre.password } });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.newPassword'] });
  });

  it('a wrong old password is AUTH_INVALID_CREDENTIALS', async () => {
    const res = await call(a, authRoutes.changePassword, {
      body: { oldPassword: 'Wrong#Pass2026', newPassword: 'Other#Pass2026' },
    });
    expect(errorOf(res)).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });
  });

  it('happy path: the password changes and other sessions end', async () => {
    clock.advance(1000);
    const other = await signIn(app, cadre);
    const res = await call(a, authRoutes.changePassword, {
      body: { oldPassword: cadre.password, newPassword: 'Other#Pass2026' },
    });
    expect(res.json()).toEqual({ ok: true });
    expect((await a.get('/api/auth/session')).status).toBe(200);
    expect(errorOf(await other.get('/api/auth/session'))).toMatchObject({ status: 401 });
  });
});

describe(`${authRoutes.totpSetup.id} (POST /api/auth/totp/setup)`, () => {
  it('requires authentication', async () => {
    expect(errorOf(await call(agent(app), authRoutes.totpSetup))).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });

  it('happy path for any account; refused once enabled (TOTP_ALREADY_ENABLED)', async () => {
    const a = await signIn(app, await makeUser(app));
    expect((await call(a, authRoutes.totpSetup)).status).toBe(200);
    const enrolled = await signIn(app, await makeUser(app, { totp: true }));
    expect(errorOf(await call(enrolled, authRoutes.totpSetup))).toMatchObject({
      status: 409,
      code: 'TOTP_ALREADY_ENABLED',
    });
  });
});

describe(`${authRoutes.totpEnable.id} (POST /api/auth/totp/enable)`, () => {
  it('requires authentication', async () => {
    const res = await call(agent(app), authRoutes.totpEnable, { body: { code: '123456' } });
    expect(errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('bad input names the field', async () => {
    const a = await signIn(app, await makeUser(app));
    const res = await call(a, authRoutes.totpEnable, { body: { code: '1234567' } });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.code'] });
  });

  it('without a setup first, any code is TOTP_INVALID', async () => {
    const a = await signIn(app, await makeUser(app));
    const res = await call(a, authRoutes.totpEnable, { body: { code: '123456' } });
    expect(errorOf(res)).toMatchObject({ status: 401, code: 'TOTP_INVALID' });
  });

  it('happy path; enabling twice is TOTP_ALREADY_ENABLED', async () => {
    const a = await signIn(app, await makeUser(app));
    const { secret } = (await call(a, authRoutes.totpSetup)).json<{ secret: string }>();
    const res = await call(a, authRoutes.totpEnable, { body: { code: totpCode(secret, clock.now()) } });
    expect(res.json()).toEqual({ ok: true });
    const again = await call(a, authRoutes.totpEnable, { body: { code: totpCode(secret, clock.now()) } });
    expect(errorOf(again)).toMatchObject({ status: 409, code: 'TOTP_ALREADY_ENABLED' });
  });
});

describe(`${authRoutes.totpRecoveryRequest.id} (POST /api/auth/totp/recovery-requests)`, () => {
  it('bad input names the field', async () => {
    const res = await call(agent(app), authRoutes.totpRecoveryRequest, {
      body: { account: 'someone', password: 'x', reason: 'no' },
    });
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.reason'] });
  });

  it('an unknown account and a wrong password answer alike', async () => {
    const user = await makeUser(app);
    const unknown = await call(agent(app), authRoutes.totpRecoveryRequest, {
      body: { account: unique('nobody'), password: 'Wrong#Pass2026', reason: '手机丢失' },
    });
    const wrong = await call(agent(app), authRoutes.totpRecoveryRequest, {
      body: { account: user.username, password: 'Wrong#Pass2026', reason: '手机丢失' },
    });
    expect(errorOf(unknown)).toMatchObject({ status: 401, code: 'AUTH_INVALID_CREDENTIALS' });
    expect(withoutRequestId(unknown)).toEqual(withoutRequestId(wrong));
  });

  it('happy path: 202', async () => {
    const user = await makeUser(app, { totp: true });
    const res = await call(agent(app), authRoutes.totpRecoveryRequest, {
      body: { account: user.username, password: user.password, reason: '手机丢失' },
    });
    expect(res.status).toBe(202);
  });
});
