import { type ErrorBody, type ErrorCode, messageOf, accessRoutes } from '@zhgh/contracts';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMobileEnd, type SessionView } from './mobile-session.ts';

function view(kind: SessionView['user']['kind'], csrfToken = 'token-1'): SessionView {
  return {
    user: {
      id: 'u1',
      kind,
      displayName: '王芳',
      username: null,
      phone: '138****8000',
      totpEnabled: false,
      hasPassword: false,
    },
    grants: [],
    permissions: [],
    csrfToken,
    restriction: null,
    expiresAt: '2030-01-01T00:00:00.000Z',
    idleTimeoutSeconds: 1800,
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

/** Answers by "METHOD path"; records the headers each call carried. */
function fakeServer(routes: Record<string, { status: number; body?: unknown } | 'offline'>) {
  const sent: { key: string; headers: Record<string, string> }[] = [];
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const key = `${init.method} ${url.split('?')[0]}`;
    sent.push({ key, headers: init.headers as Record<string, string> });
    const answer = routes[key];
    if (!answer) throw new Error(`unexpected ${key}`);
    if (answer === 'offline') throw new TypeError('Failed to fetch');
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { sent, fetch };
}

const locale = () => 'zh-CN' as const;

describe('createMobileEnd', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('accepts a session of its own kind and sends its CSRF token on later calls', async () => {
    const server = fakeServer({
      'GET /api/auth/session': { status: 200, body: view('member', 'csrf-7') },
      'POST /api/auth/logout-all': { status: 200, body: { ended: 2 } },
    });
    const end = createMobileEnd('member', locale, { fetch: server.fetch });
    const store = end.useSessionStore();
    await store.ensureLoaded();
    expect(store.status).toBe('signedIn');
    expect(await store.signOutEverywhere()).toBe(2);
    expect(server.sent.at(-1)!.headers['x-csrf-token']).toBe('csrf-7');
    expect(store.status).toBe('signedOut');
  });

  it("treats another end's account as signed out and says whose it is", async () => {
    const server = fakeServer({ 'GET /api/auth/session': { status: 200, body: view('merchant') } });
    const store = createMobileEnd('member', locale, { fetch: server.fetch }).useSessionStore();
    await store.ensureLoaded();
    expect(store.status).toBe('signedOut');
    expect(store.otherKind).toBe('merchant');
    expect(store.user).toBeNull();
  });

  it('keeps the shell when the server cannot be reached', async () => {
    const server = fakeServer({ 'GET /api/auth/session': 'offline' });
    const store = createMobileEnd('merchant', locale, { fetch: server.fetch }).useSessionStore();
    await store.ensureLoaded();
    expect(store.status).toBe('offline');
  });

  it('reports a session found gone on a call, but not on the probe that expects it', async () => {
    const server = fakeServer({
      'GET /api/auth/session': { status: 401, body: errorBody('UNAUTHENTICATED') },
      'GET /api/permissions': { status: 401, body: errorBody('SESSION_EXPIRED') },
    });
    const end = createMobileEnd('member', locale, { fetch: server.fetch });
    const lost: ErrorCode[] = [];
    end.onSessionLost((code) => lost.push(code));
    await end.useSessionStore().ensureLoaded();
    expect(lost).toEqual([]);
    await expect(end.api.call(accessRoutes.permissions)).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    expect(lost).toEqual(['SESSION_EXPIRED']);
  });
});
