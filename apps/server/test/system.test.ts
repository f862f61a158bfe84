import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from './harness.ts';

let t: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('system routes', () => {
  it('answers liveness', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('is ready once migrations are applied, naming the engine', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('ready');
    expect(res.json().database).toBe(process.env.DATABASE_URL ? 'postgres' : 'sqlite');
  });

  it('serves meta in Chinese first', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/meta' });
    expect(res.json().locales[0]).toBe('zh-CN');
    expect(res.json().name).toBe('智慧工会');
    // The outbox adapter is the only one so far: front ends may point demo users at the file.
    expect(res.json().smsOutbox).toBe(true);
  });
});

describe('standard error shape', () => {
  it('unknown route: 404 ROUTE_NOT_FOUND in Chinese by default', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/no-such-thing' });
    expect(res.statusCode).toBe(404);
    const body = res.json();
    expect(body.error.code).toBe('ROUTE_NOT_FOUND');
    expect(body.error.message).toBe('没有这个接口');
    expect(body.error.messages.en).toBe('No such endpoint');
    expect(body.error.requestId).toBeTruthy();
  });

  it('wrong method: 405 METHOD_NOT_ALLOWED with Allow header', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/healthz' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toContain('GET');
    expect(res.json().error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('English when asked first', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope', headers: { 'accept-language': 'en-US,en;q=0.9' } });
    expect(res.json().error.message).toBe('No such endpoint');
  });
});

describe('logging', () => {
  it('never logs query values, headers or cookies', async () => {
    await t.app.inject({
      method: 'GET',
      url: '/api/meta?phone=13812345678&idNumber=610102199001011234',
      headers: { cookie: 'sid=secret-session-token', authorization: 'Bearer abc.def' },
    });
    const all = t.logs.join('\n');
    expect(all).toContain('/api/meta');
    expect(all).not.toContain('13812345678');
    expect(all).not.toContain('610102199001011234');
    expect(all).not.toContain('secret-session-token');
    expect(all).not.toContain('abc.def');
  });
});
