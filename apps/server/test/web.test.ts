import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandling } from '../src/http/errors.ts';
import { registerWeb, type WebServing } from '../src/http/web.ts';

/** The three ends served from one port, over a stand-in of their built dist folders. */
describe('serving the front ends', () => {
  let app: FastifyInstance;
  let root: string;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-web-'));
    for (const name of ['console', 'portal', 'merchant']) {
      fs.mkdirSync(path.join(root, name, 'dist', 'assets'), { recursive: true });
      fs.writeFileSync(path.join(root, name, 'dist', 'index.html'), `<title>${name}</title>`);
      fs.writeFileSync(path.join(root, name, 'dist', 'assets', 'app-1234.js'), `// ${name}`);
    }
    app = Fastify();
    let web: WebServing | null = null;
    installErrorHandling(
      app,
      () => new Map([['/api/meta', new Set(['GET'])]]),
      (request, reply) => web?.spaFallback(request, reply) ?? false,
    );
    web = await registerWeb(app, root);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const html = (url: string) => app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });

  it('answers each app’s root with its index page, never cached', async () => {
    for (const [url, name] of [
      ['/', 'console'],
      ['/m/', 'portal'],
      ['/merchant/', 'merchant'],
    ] as const) {
      const res = await html(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain(`<title>${name}</title>`);
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
  });

  it('sends the app roots without a trailing slash to the app', async () => {
    const res = await html('/m');
    expect([200, 301, 302]).toContain(res.statusCode);
    if (res.statusCode !== 200) expect(res.headers.location).toBe('/m/');
  });

  it('answers client-side routes with the app’s index page', async () => {
    expect((await html('/m/me/sessions')).body).toContain('<title>portal</title>');
    expect((await html('/merchant/verify')).body).toContain('<title>merchant</title>');
    expect((await html('/users/123')).body).toContain('<title>console</title>');
  });

  it('serves hashed assets with a long cache', async () => {
    const res = await app.inject({ method: 'GET', url: '/m/assets/app-1234.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('immutable');
  });

  it('keeps unknown API paths and missing assets as JSON errors', async () => {
    const api = await html('/api/nothing');
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
    const asset = await app.inject({ method: 'GET', url: '/m/assets/missing.js' });
    expect(asset.statusCode).toBe(404);
  });
});
