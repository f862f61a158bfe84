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
    const doc = JSON.parse(renderOpenApi()) as { paths: Record<string, Record<string, { responses?: unknown }>> };
    const missing: string[] = [];
    let visited = 0;
    // Walks everything under the responses (content, schemas, items, unions, records), so a
    // field nested at any depth is checked; `visited` proves the walk reached the fields.
    const walk = (s: unknown, where: string): void => {
      if (Array.isArray(s)) {
        for (const x of s) walk(x, where);
        return;
      }
      if (!s || typeof s !== 'object') return;
      const o = s as Record<string, unknown>;
      const props = o.properties as Record<string, { description?: string }> | undefined;
      for (const [k, v] of Object.entries(props ?? {})) {
        visited++;
        if (!v.description) missing.push(`${where}.${k}`);
        walk(v, `${where}.${k}`);
      }
      for (const [k, v] of Object.entries(o)) if (k !== 'properties') walk(v, where);
    };
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops)) walk(op.responses, `${m.toUpperCase()} ${p}`);
    }
    expect(visited).toBeGreaterThan(500);
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
