import { parseCreditCode, parseIdNumber } from '@zhgh/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMembers, planFederation, SMALL_FEDERATION } from '../src/cli/demo/federation.ts';
import { regionsRepository } from '../src/modules/regions/regions.repository.ts';
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
    expect(await seedDemoData(t.app)).toBe(true);
    const orgs = await t.app.services.orgs.count();
    expect(orgs).toBeGreaterThanOrEqual(7);
    expect(await seedDemoData(t.app)).toBe(false);
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

  it('gives the city cadre a registry of model workers, one revoked, a farmer over 60', async () => {
    const a = agent(t.app);
    const res = await a.post('/api/auth/login', { account: 'xian_cadre', password: DEMO_PASSWORD, kind: 'cadre' });
    expect(res.status).toBe(200);
    const list = await a.get('/api/model-workers?pageSize=50');
    const rows = list.json<{ items: { level: string; honorStatus: string; farmer: boolean; age: number }[] }>().items;
    expect(new Set(rows.map((r) => r.level))).toEqual(new Set(['national', 'provincial', 'city']));
    expect(rows.filter((r) => r.honorStatus === 'revoked')).toHaveLength(1);
    expect(rows.some((r) => r.farmer && r.age > 60)).toBe(true);
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

describe('demo federation generator', () => {
  const now = '2026-06-01T00:00:00.000Z';
  const plan = planFederation(SMALL_FEDERATION, now);
  const members = [...generateMembers(plan, '2026-06-01')].flat();

  it('builds the province, its 10 real cities and their real counties', () => {
    const federations = plan.orgs.filter((o) => o.type === 'federation');
    expect(federations.filter((o) => o.level === 'city').map((o) => o.region_code)).toHaveLength(10);
    for (const o of federations.filter((o) => o.level === 'county')) {
      expect(regionsRepository.findByCode(o.region_code!)?.level).toBe('county');
    }
    expect(plan.orgs.map((o) => o.name)).toEqual(
      expect.arrayContaining(['陕西省总工会', '西安市总工会', '雁塔区总工会', '西安高新智造科技有限公司工会']),
    );
  });

  it('gives valid, unique ID numbers matching gender and birth date, and unique phones', () => {
    expect(members).toHaveLength(SMALL_FEDERATION.members);
    const today = new Date('2026-06-01T00:00:00Z');
    for (const m of members) {
      const id = parseIdNumber(m.idNumber, today);
      expect(id.ok && id.gender === m.gender && id.birthDate === m.birthDate).toBe(true);
      expect(regionsRepository.findByCode(m.idNumber.slice(0, 6))?.level).toBe('county');
      expect(m.birthDate >= '1960-01-01' && m.birthDate <= '2008-12-31').toBe(true);
      expect(m.employmentType === 'new_form').toBe(m.newFormGroup !== null);
    }
    expect(new Set(members.map((m) => m.idNumber)).size).toBe(members.length);
    const phones = members.flatMap((m) => (m.phone ? [m.phone] : []));
    expect(new Set(phones).size).toBe(phones.length);
    expect(new Set(members.map((m) => m.status))).toEqual(new Set(['active', 'retained']));
  });

  it('gives every work unit a valid unique credit code', () => {
    const codes = plan.workUnits.map((u) => u.row.credit_code!);
    for (const c of codes) expect(parseCreditCode(c).ok).toBe(true);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('is deterministic from the seed', () => {
    const again = planFederation(SMALL_FEDERATION, now);
    expect(again.orgs.map((o) => [o.id, o.name])).toEqual(plan.orgs.map((o) => [o.id, o.name]));
    const first = [...generateMembers(again, '2026-06-01')].flat().slice(0, 50);
    expect(first.map((m) => [m.name, m.idNumber, m.phone])).toEqual(
      members.slice(0, 50).map((m) => [m.name, m.idNumber, m.phone]),
    );
  });
});
