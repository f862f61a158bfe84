import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS, DEMO_MEMBER, DEMO_PASSWORD, seedDemoData } from '../src/cli/seed.ts';
import { agent, signInBySms } from './factories.ts';
import { createTestApp } from './harness.ts';

describe('demo data', () => {
  let t: Awaited<ReturnType<typeof createTestApp>>;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('loads once into an empty database and never again', async () => {
    expect(await seedDemoData(t.app.services)).toBe(true);
    const orgs = await t.app.services.orgs.count();
    expect(orgs).toBeGreaterThanOrEqual(7);
    expect(await seedDemoData(t.app.services)).toBe(false);
    expect(await t.app.services.orgs.count()).toBe(orgs);
  });

  it('lets the county cadre sign in and see only the county subtree', async () => {
    const cadre = DEMO_ACCOUNTS.find((a) => a.username === 'yanta_cadre')!;
    const a = agent(t.app);
    const res = await a.post('/api/auth/login', { account: cadre.username, password: DEMO_PASSWORD, kind: 'cadre' });
    expect(res.status).toBe(200);
    a.csrf = res.json<{ csrfToken: string }>().csrfToken;
    const roots = await a.get('/api/orgs');
    expect(roots.json<{ items: { name: string }[] }>().items.map((o) => o.name)).toEqual(['雁塔区总工会']);
  });

  it('asks privileged administrators to enroll TOTP at first sign-in', async () => {
    const res = await agent(t.app).post('/api/auth/login', {
      account: 'sec_admin',
      password: DEMO_PASSWORD,
      kind: 'cadre',
    });
    expect(res.status).toBe(200);
    expect(res.json<{ restriction: string }>().restriction).toBe('totp_enrollment');
  });

  it('lets the demo member sign in by SMS code', async () => {
    const m = await signInBySms(t.app, DEMO_MEMBER.phone);
    expect(m.session?.user).toMatchObject({ displayName: DEMO_MEMBER.name, phone: '138****8000' });
  });
});
