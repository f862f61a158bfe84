import fs from 'node:fs';
import { allRoutes } from '@zhgh/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE, renderOpenApi } from '../src/cli/openapi.ts';
import { createTestApp } from './harness.ts';

let t: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('OpenAPI', () => {
  it('the committed openapi.json is current (run `npm run openapi` after changing a contract)', () => {
    expect(fs.readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
  });

  it('documents every contract route with its permission', () => {
    const doc = JSON.parse(renderOpenApi()) as { paths: Record<string, Record<string, { 'x-permission': string }>> };
    for (const r of allRoutes) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(op!['x-permission']).toBe(r.permission);
    }
  });

  it('every field of every output has a doc line', () => {
    const doc = JSON.parse(renderOpenApi()) as { paths: Record<string, Record<string, unknown>> };
    const missing: string[] = [];
    const walk = (s: unknown, where: string): void => {
      if (!s || typeof s !== 'object') return;
      const o = s as { properties?: Record<string, { description?: string }>; items?: unknown };
      for (const [k, v] of Object.entries(o.properties ?? {})) {
        if (!v.description) missing.push(`${where}.${k}`);
        walk(v, `${where}.${k}`);
      }
      if (o.items) walk(o.items, `${where}[]`);
    };
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops)) walk(op, `${m.toUpperCase()} ${p}`);
    }
    expect(missing).toEqual([]);
  });

  it('serves the document and a UI', async () => {
    const json = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(json.statusCode).toBe(200);
    expect(json.json().openapi).toBe('3.1.0');
    const ui = await t.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });
});
