import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, makeTree, makeUser, signIn } from './factories.ts';
import { createTestApp } from './harness.ts';

describe('regions (GB/T 2260)', () => {
  let t: Awaited<ReturnType<typeof createTestApp>>;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url });

  it('lists the provinces without signing in', async () => {
    const res = await get('/api/regions');
    expect(res.statusCode).toBe(200);
    const items = res.json<{ items: { code: string; name: string; level: string }[] }>().items;
    expect(items.length).toBe(31);
    expect(items).toContainEqual({ code: '610000', name: '陕西省', level: 'province', parentCode: null });
  });

  it('lists the cities of a province and the counties of a city', async () => {
    const cities = (await get('/api/regions?parent=610000')).json<{ items: { code: string }[] }>().items;
    expect(cities.map((c) => c.code)).toContain('610100');
    const counties = (await get('/api/regions?parent=610100')).json<{ items: { code: string; name: string }[] }>();
    expect(counties.items).toContainEqual({ code: '610113', name: '雁塔区', level: 'county', parentCode: '610100' });
  });

  it('answers 404 for an unknown parent and names the field for a malformed one', async () => {
    expect((await get('/api/regions?parent=999999')).statusCode).toBe(404);
    const bad = await get('/api/regions?parent=61');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { fields: { field: string }[] } }>().error.fields[0]!.field).toBe('query.parent');
  });

  it('refuses an organization with a region code that does not exist', async () => {
    const tree = await makeTree(t.app);
    const cadre = await signIn(t.app, await makeUser(t.app, { org: tree.county, roles: ['federation_cadre'] }));
    const body = { parentId: tree.county.id, name: '新建工会', type: 'grassroots' };
    const refused = await cadre.post('/api/orgs', { ...body, regionCode: '610199' });
    expect(errorOf(refused)).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.regionCode'] });
    const made = await cadre.post('/api/orgs', { ...body, regionCode: '610113' });
    expect(made.status).toBe(201);
  });
});
