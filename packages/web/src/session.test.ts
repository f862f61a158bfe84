import { accessRoutes, type ErrorBody, type ErrorCode, messageOf } from '@zhgh/contracts';
import { describe, expect, it } from 'vitest';
import { useAbilities } from './abilities.ts';
import { ApiError } from './api.ts';
import { CSRF_HEADER, createSession, type SessionView } from './session.ts';

function view(overrides: Partial<SessionView> = {}, userId = 'u1'): SessionView {
  return {
    user: {
      id: userId,
      kind: 'cadre',
      displayName: '张三',
      username: 'zhangsan',
      phone: null,
      totpEnabled: true,
      hasPassword: true,
    },
    grants: [],
    permissions: ['org.read', 'user.read'],
    csrfToken: 'token-1',
    restriction: null,
    expiresAt: '2030-01-01T00:00:00.000Z',
    idleTimeoutSeconds: 900,
    ...overrides,
  };
}

function errorBody(code: ErrorCode): ErrorBody {
  return {
    error: {
      code,
      message: messageOf(code, 'en'),
      messages: { 'zh-CN': messageOf(code, 'zh-CN'), en: messageOf(code, 'en') },
    },
  };
}

type Answer = { status: number; body?: unknown };
type Handler = (init: RequestInit) => Answer;

/** A scripted server: each "METHOD path" answers from its queue, the last answer repeating. */
function fakeServer(routes: Record<string, Handler | Answer | Answer[]>) {
  const sent: { key: string; headers: Record<string, string>; body: unknown }[] = [];
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const key = `${init.method} ${url.split('?')[0]}`;
    const headers = init.headers as Record<string, string>;
    sent.push({ key, headers, body: init.body === undefined ? undefined : JSON.parse(String(init.body)) });
    const route = routes[key];
    if (!route) throw new Error(`unexpected ${key}`);
    let answer: Answer;
    if (typeof route === 'function') answer = route(init);
    else if (Array.isArray(route)) answer = (route.length > 1 ? route.shift() : route[0])!;
    else answer = route;
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { sent, fetch };
}

describe('createSession', () => {
  it('loads the session once, fills the abilities, and sends the CSRF token afterwards', async () => {
    const server = fakeServer({
      'GET /api/auth/session': { status: 200, body: view() },
      'PATCH /api/users/x': { status: 200, body: {} },
    });
    const session = createSession({ kind: 'cadre', fetch: server.fetch });
    expect(session.status.value).toBe('anonymous');
    expect(session.loaded.value).toBe(false);

    const [a, b] = await Promise.all([session.ensure(), session.ensure()]);
    expect(a).toEqual(b);
    await session.ensure();
    expect(server.sent.filter((s) => s.key === 'GET /api/auth/session')).toHaveLength(1);
    expect(session.status.value).toBe('active');
    expect(session.user.value?.displayName).toBe('张三');
    expect(useAbilities().can('user.read')).toBe(true);

    await session.api.call(accessRoutes.updateUser, { params: { id: 'x' }, body: { status: 'disabled' } });
    expect(server.sent.at(-1)?.headers[CSRF_HEADER]).toBe('token-1');
  });

  it('treats "not signed in" at start as anonymous, without reporting an expiry', async () => {
    const server = fakeServer({ 'GET /api/auth/session': { status: 401, body: errorBody('UNAUTHENTICATED') } });
    const session = createSession({ kind: 'cadre', fetch: server.fetch });
    let expired = 0;
    session.onExpired(() => expired++);
    await expect(session.ensure()).resolves.toBeNull();
    expect(session.loaded.value).toBe(true);
    expect(session.status.value).toBe('anonymous');
    expect(expired).toBe(0);
  });

  it('signs in with the end kind and takes the token from the answer', async () => {
    const server = fakeServer({
      'POST /api/auth/login': { status: 200, body: view({ csrfToken: 'fresh' }) },
      'POST /api/auth/logout': { status: 200, body: { ok: true } },
    });
    const session = createSession({ kind: 'cadre', fetch: server.fetch });
    await session.login({ account: 'zhangsan', password: 'pw', totp: '123456' });
    expect(server.sent[0]?.body).toEqual({ account: 'zhangsan', password: 'pw', totp: '123456', kind: 'cadre' });
    // No token exists before sign-in, so none is sent.
    expect(server.sent[0]?.headers[CSRF_HEADER]).toBeUndefined();
    await session.logout();
    expect(server.sent[1]?.headers[CSRF_HEADER]).toBe('fresh');
    expect(session.status.value).toBe('anonymous');
    expect(useAbilities().can('org.read')).toBe(false);
  });

  it('holds no abilities while restricted', async () => {
    const server = fakeServer({
      'POST /api/auth/login': { status: 200, body: view({ restriction: 'totp_enrollment' }) },
    });
    const session = createSession({ kind: 'cadre', fetch: server.fetch });
    await session.login({ account: 'a', password: 'b' });
    expect(session.status.value).toBe('restricted');
    expect(session.restriction.value).toBe('totp_enrollment');
    expect(useAbilities().can('org.read')).toBe(false);
  });

  it('drops a session the server lost and tells the listeners once', async () => {
    const server = fakeServer({
      'GET /api/auth/session': { status: 200, body: view() },
      'GET /api/users': { status: 401, body: errorBody('SESSION_EXPIRED') },
    });
    const session = createSession({ kind: 'cadre', fetch: server.fetch });
    const seen: string[] = [];
    const stop = session.onExpired((e) => seen.push(e.code));
    await session.ensure();
    const err = await session.api.call(accessRoutes.users).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(session.status.value).toBe('anonymous');
    expect(useAbilities().can('user.read')).toBe(false);
    // A second failure after the session is gone reports nothing new.
    await session.api.call(accessRoutes.users).catch(() => undefined);
    expect(seen).toEqual(['SESSION_EXPIRED']);
    stop();
  });

  it('fetches a new CSRF token and retries once when the old one was replaced', async () => {
    const server = fakeServer({
      'GET /api/auth/session': [
        { status: 200, body: view({ csrfToken: 'old' }) },
        { status: 200, body: view({ csrfToken: 'new' }) },
      ],
      'DELETE /api/grants/g1': (init) => {
        const token = (init.headers as Record<string, string>)[CSRF_HEADER];
        return token === 'new'
          ? { status: 200, body: { id: 'g1' } }
          : { status: 403, body: errorBody('CSRF_TOKEN_INVALID') };
      },
    });
    const session = createSession({ kind: 'cadre', fetch: server.fetch });
    await session.ensure();
    await expect(session.api.call(accessRoutes.revokeGrant, { params: { id: 'g1' } })).resolves.toEqual({ id: 'g1' });
    expect(server.sent.map((s) => s.key)).toEqual([
      'GET /api/auth/session',
      'DELETE /api/grants/g1',
      'GET /api/auth/session',
      'DELETE /api/grants/g1',
    ]);
  });

  it('does not retry as another user when someone else signed in meanwhile', async () => {
    const server = fakeServer({
      'GET /api/auth/session': [
        { status: 200, body: view({ csrfToken: 'old' }) },
        { status: 200, body: view({ csrfToken: 'new' }, 'u2') },
      ],
      'DELETE /api/grants/g1': { status: 403, body: errorBody('CSRF_TOKEN_INVALID') },
    });
    const session = createSession({ kind: 'cadre', fetch: server.fetch });
    await session.ensure();
    const err = (await session.api
      .call(accessRoutes.revokeGrant, { params: { id: 'g1' } })
      .catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('CSRF_TOKEN_INVALID');
    expect(server.sent.filter((s) => s.key === 'DELETE /api/grants/g1')).toHaveLength(1);
    expect(session.user.value?.id).toBe('u2');
  });

  it('re-reads the session when the server says it became restricted', async () => {
    const server = fakeServer({
      'GET /api/auth/session': [
        { status: 200, body: view() },
        { status: 200, body: view({ restriction: 'password_expired' }) },
      ],
      'GET /api/users': { status: 403, body: errorBody('PASSWORD_EXPIRED') },
    });
    const session = createSession({ kind: 'cadre', fetch: server.fetch });
    await session.ensure();
    await session.api.call(accessRoutes.users).catch(() => undefined);
    expect(session.restriction.value).toBe('password_expired');
  });

  it('signs out locally even when the server cannot be reached', async () => {
    let up = true;
    const server = fakeServer({ 'POST /api/auth/login': { status: 200, body: view() } });
    const session = createSession({
      kind: 'cadre',
      fetch: (url, init) => (up ? server.fetch(url, init) : Promise.reject(new TypeError('Failed to fetch'))),
    });
    await session.login({ account: 'a', password: 'b' });
    up = false;
    await session.logout();
    expect(session.status.value).toBe('anonymous');
  });

  it('ends every session with logoutAll and reports the count', async () => {
    const server = fakeServer({
      'GET /api/auth/session': { status: 200, body: view() },
      'POST /api/auth/logout-all': { status: 200, body: { ended: 3 } },
    });
    const session = createSession({ kind: 'cadre', fetch: server.fetch });
    let expired = 0;
    session.onExpired(() => expired++);
    await session.ensure();
    await expect(session.logoutAll()).resolves.toBe(3);
    expect(session.status.value).toBe('anonymous');
    expect(server.sent.at(-1)?.headers[CSRF_HEADER]).toBe('token-1');
    expect(expired).toBe(0);
  });

  it('keeps extra headers from the options', async () => {
    const server = fakeServer({ 'GET /api/auth/session': { status: 200, body: view() } });
    const session = createSession({ kind: 'member', fetch: server.fetch, headers: () => ({ 'x-app': 'portal' }) });
    await session.ensure();
    await session.refresh();
    expect(server.sent[1]?.headers['x-app']).toBe('portal');
    expect(server.sent[1]?.headers[CSRF_HEADER]).toBe('token-1');
  });
});
