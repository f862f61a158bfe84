import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MembershipTable, OrganizationTable, PersonTable, WorkUnitTable } from '../src/db/schema.ts';
import { rebuildStatCounters, statDay } from '../src/modules/stats/stats.counters.ts';
import { recountSubtree } from '../src/modules/stats/stats.recount.ts';
import { ageBandCutoffs, rateOf } from '../src/modules/stats/stats.service.ts';
import {
  errorOf,
  makeMember,
  makeOrg,
  makeTree,
  makeUser,
  makeWorkUnit,
  randomIdNumber,
  signIn,
  withoutRequestId,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

const clock = createTestClock(new Date('2026-11-23T08:00:00Z'));
let t: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  t = await createTestApp({}, { now: clock.now });
});
afterAll(async () => t.close());

type Seed = {
  at: number;
  status: MembershipTable['status'];
  gender: PersonTable['gender'];
  birthYear: number;
  employment: string;
  verified: boolean;
};
type UnitSeed = { at: number; employees: number; founded: boolean };

/**
 * Rows straight into the tables, as a bulk load would put them, then the counters rebuilt
 * from them: the statistics must count whatever is there. (stats-property.test.ts proves
 * the counters that the services keep as they write.)
 */
async function insert(orgs: OrganizationTable[], members: Seed[], units: UnitSeed[]) {
  const now = clock.now().toISOString();
  const db = t.app.core.db;
  for (const m of members) {
    const org = orgs[m.at % orgs.length]!;
    const personId = randomUUID();
    const index = randomUUID();
    await db
      .insertInto('person')
      .values({
        id: personId,
        name: '测试',
        name_initials: 'cs',
        id_number_cipher: 'x',
        id_number_index: index,
        gender: m.gender,
        birth_date: `${m.birthYear}-06-15`,
        ethnicity: null,
        political_status: null,
        education: null,
        household_type: null,
        household_region: null,
        phone_cipher: null,
        phone_index: null,
        bank_card_cipher: null,
        bank_card_index: null,
        employment_type: m.employment,
        new_form_group: null,
        work_unit_id: null,
        work_unit_name: null,
        real_name_verified: m.verified ? 1 : 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const closed = m.status === 'transferred_out' || m.status === 'withdrawn';
    await db
      .insertInto('membership')
      .values({
        id: randomUUID(),
        person_id: personId,
        id_number_index: index,
        org_id: org.id,
        org_path: org.path,
        province_root: org.province_root,
        name: '测试',
        name_initials: 'cs',
        status: m.status,
        started_on: '2020-01-01',
        ended_on: closed ? '2025-01-01' : null,
        end_reason: null,
        member_number: null,
        card_number: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
  for (const u of units) {
    const org = orgs[u.at % orgs.length]!;
    const row: WorkUnitTable = {
      id: randomUUID(),
      name: '单位',
      credit_code: null,
      unit_type: '170',
      industry: 'C',
      region_code: null,
      address: null,
      employee_count: u.employees,
      founded_on: null,
      chair_name: null,
      contact_name: null,
      contact_phone_cipher: null,
      union_org_id: u.founded ? org.id : null,
      org_id: org.id,
      org_path: org.path,
      province_root: org.province_root,
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('work_unit').values(row).execute();
  }
  await rebuildStatCounters(db, t.database.dialect, statDay(clock.now()));
}

function recount(top: OrganizationTable, orgs: OrganizationTable[], members: Seed[], units: UnitSeed[]) {
  const under = (o: OrganizationTable) => o.path.startsWith(top.path);
  const open = members.filter(
    (m) => under(orgs[m.at % orgs.length]!) && (m.status === 'active' || m.status === 'retained'),
  );
  const mine = units.filter((u) => under(orgs[u.at % orgs.length]!));
  const required = mine.filter((u) => u.employees >= 100);
  const employees = mine.filter((u) => u.founded).reduce((s, u) => s + u.employees, 0);
  const tally = (keys: string[]) => keys.reduce<Record<string, number>>((a, k) => ({ ...a, [k]: (a[k] ?? 0) + 1 }), {});
  const cut = ageBandCutoffs(clock.now());
  const band = (m: Seed) => cut.find((c) => c.bornAfter === null || `${m.birthYear}-06-15` > c.bornAfter)!.key;
  const bands = tally(open.map(band));
  // 入会率 sets against the employees only the active members of unions that cover a unit.
  const covering = new Set(units.filter((u) => u.founded).map((u) => orgs[u.at % orgs.length]!.id));
  const activeOfUnionized = open.filter((m) => m.status === 'active' && covering.has(orgs[m.at % orgs.length]!.id));
  return {
    members: open.length,
    activeMembers: open.filter((m) => m.status === 'active').length,
    activeMembersOfUnionizedUnits: activeOfUnionized.length,
    retainedMembers: open.filter((m) => m.status === 'retained').length,
    verifiedMembers: open.filter((m) => m.verified).length,
    workUnits: mine.length,
    unitsRequiringUnion: required.length,
    unitsRequiringUnionFounded: required.filter((u) => u.founded).length,
    employeesOfUnionizedUnits: employees,
    foundingRate: rateOf(required.filter((u) => u.founded).length, required.length),
    joiningRate: rateOf(activeOfUnionized.length, employees),
    realNameRate: rateOf(open.filter((m) => m.verified).length, open.length),
    byEmploymentType: tally(open.map((m) => m.employment)),
    byGender: tally(open.map((m) => m.gender)),
    byAgeBand: Object.fromEntries(cut.map((c) => [c.key, bands[c.key] ?? 0])),
  };
}

describe('statistics', () => {
  it('always equal a recount of the rows, for every node of a random tree', async () => {
    const seed = fc.record({
      at: fc.nat(),
      status: fc.constantFrom('active', 'retained', 'transferred_out', 'withdrawn'),
      gender: fc.constantFrom('male', 'female'),
      birthYear: fc.integer({ min: 1950, max: 2008 }),
      // 'legacy' stands for a value an old system left behind, outside today's code list.
      employment: fc.constantFrom('regular', 'migrant', 'new_form', 'dispatched', 'flexible', 'legacy'),
      verified: fc.boolean(),
    }) as fc.Arbitrary<Seed>;
    const unit = fc.record({ at: fc.nat(), employees: fc.integer({ min: 0, max: 400 }), founded: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(seed, { maxLength: 40 }), fc.array(unit, { maxLength: 15 }), async (members, units) => {
        const tree = await makeTree(t.app);
        const group = await makeOrg(t.app, { parent: tree.grassroots, type: 'group' });
        const orgs = [tree.city, tree.county, tree.grassroots, tree.sibling, group];
        await insert(orgs, members, units);
        const cadre = await signIn(t.app, await makeUser(t.app, { org: tree.province, roles: ['federation_cadre'] }));
        for (const top of [tree.province, tree.city, tree.county, tree.grassroots, tree.sibling]) {
          const res = await cadre.get(`/api/stats?orgId=${top.id}`);
          expect(res.status).toBe(200);
          const { total } = res.json<{ total: Record<string, unknown> }>();
          const { unionsByType: _u, orgId: _o, orgName: _n, ...numbers } = total;
          expect(numbers).toEqual(recount(top, orgs, members, units));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('sets against the employees only the members of unions that cover a unit, as unions gain and lose units and merge', async () => {
    const tree = await makeTree(t.app);
    // A company union covering its unit of 10 employees, with 3 members; a couriers' joint
    // union covering no unit, with 5: nobody employs them as far as the statistics know.
    await makeWorkUnit(t.app, { org: tree.grassroots, employeeCount: 10 });
    const couriers = await makeOrg(t.app, { parent: tree.county, type: 'joint', name: '快递员联合工会' });
    for (let i = 0; i < 3; i++) await makeMember(t.app, { org: tree.grassroots });
    for (let i = 0; i < 5; i++) await makeMember(t.app, { org: couriers });
    const cadre = await signIn(t.app, await makeUser(t.app, { org: tree.county, roles: ['federation_cadre'] }));
    const joining = async () => {
      const res = await cadre.get(`/api/stats?orgId=${tree.county.id}`);
      expect(res.status).toBe(200);
      const { activeMembers, activeMembersOfUnionizedUnits, employeesOfUnionizedUnits, joiningRate } = res.json<{
        total: Record<string, number>;
      }>().total;
      return { activeMembers, activeMembersOfUnionizedUnits, employeesOfUnionizedUnits, joiningRate };
    };
    // Counting all 8 members against 10 employees gave 80 %; three more couriers, over 100 %.
    expect(await joining()).toEqual({
      activeMembers: 8,
      activeMembersOfUnionizedUnits: 3,
      employeesOfUnionizedUnits: 10,
      joiningRate: 0.3,
    });

    // The joint union takes in a courier station of 20 employees: its members count from now.
    const station = await makeWorkUnit(t.app, { org: couriers, employeeCount: 20 });
    expect(await joining()).toEqual({
      activeMembers: 8,
      activeMembersOfUnionizedUnits: 8,
      employeesOfUnionizedUnits: 30,
      joiningRate: rateOf(8, 30),
    });
    // The station leaves it again: they stop counting.
    const left = await cadre.request('PATCH', `/api/work-units/${station.id}`, { unionOrgId: null });
    expect(left.status).toBe(200);
    expect(await joining()).toMatchObject({ activeMembersOfUnionizedUnits: 3, employeesOfUnionizedUnits: 10 });

    // Merged into the company union, the couriers belong to a union that covers a unit.
    const merged = await cadre.post(`/api/orgs/${couriers.id}/merge`, {
      targetId: tree.grassroots.id,
      reason: '并入公司工会',
    });
    expect(merged.status).toBe(200);
    expect(await joining()).toEqual({
      activeMembers: 8,
      activeMembersOfUnionizedUnits: 8,
      employeesOfUnionizedUnits: 10,
      joiningRate: 0.8,
    });
  });

  it('counts each member once when a union gains its first unit while members join it (PostgreSQL runs them at once)', async () => {
    const tree = await makeTree(t.app);
    const cadre = await signIn(t.app, await makeUser(t.app, { org: tree.county, roles: ['federation_cadre'] }));
    for (let round = 0; round < 6; round++) {
      const joint = await makeOrg(t.app, { parent: tree.county, type: 'joint' });
      await makeMember(t.app, { org: joint });
      // Each transaction sees the other's rows only once committed: whichever locks the
      // union's row later counts what the earlier one wrote.
      await Promise.all([
        makeMember(t.app, { org: joint }),
        makeWorkUnit(t.app, { org: joint, employeeCount: 5 }),
        makeMember(t.app, { org: joint }),
      ]);
    }
    const res = await cadre.get(`/api/stats?orgId=${tree.county.id}`);
    const org = (
      await t.database.db.selectFrom('organization').selectAll().where('id', '=', tree.county.id).execute()
    )[0]!;
    const { unionsByType: _u, ...fromCounters } = res.json<{ total: Record<string, unknown> }>().total;
    const { unionsByType: _r, ...recounted } = await recountSubtree(
      t.database.db,
      t.database.dialect,
      org,
      statDay(clock.now()),
    );
    expect(fromCounters).toEqual(recounted);
    expect(fromCounters).toMatchObject({ activeMembers: 18, activeMembersOfUnionizedUnits: 18 });
  });

  it('counts active unions by type and lists each child for the drill-down', async () => {
    const tree = await makeTree(t.app);
    const cadre = await signIn(t.app, await makeUser(t.app, { org: tree.city, roles: ['federation_cadre'] }));
    const res = await cadre.get(`/api/stats?orgId=${tree.city.id}`);
    const body = res.json<{ total: { unionsByType: Record<string, number> }; children: { orgId: string }[] }>();
    expect(body.total.unionsByType).toEqual({ federation: 3, grassroots: 1 });
    expect(body.children.map((c) => c.orgId).sort()).toEqual([tree.county.id, tree.sibling.id].sort());
  });

  it('moves a member to the next age band on their birthday, and back should the clock go back', async () => {
    const tree = await makeTree(t.app);
    const tomorrow = new Date(clock.now().getTime() + 86_400_000);
    const birthDate = ageBandCutoffs(tomorrow)[0]!.bornAfter!; // 25 years before tomorrow
    await makeMember(t.app, { org: tree.grassroots, idNumber: randomIdNumber({ birthDate }) });
    const user = await makeUser(t.app, { org: tree.county, roles: ['grassroots_cadre'] });
    // Signed in afresh each time: a day on the clock ends a session by idle timeout.
    const bands = async () => {
      const res = await (await signIn(t.app, user)).get(`/api/stats?orgId=${tree.county.id}`);
      expect(res.status).toBe(200);
      return res.json<{ total: { byAgeBand: Record<string, number> } }>().total.byAgeBand;
    };
    expect(await bands()).toMatchObject({ under25: 1, '25to34': 0 });
    clock.advance(86_400_000);
    try {
      expect(await bands()).toMatchObject({ under25: 0, '25to34': 1 });
    } finally {
      clock.advance(-86_400_000);
    }
    expect(await bands()).toMatchObject({ under25: 1, '25to34': 0 });
  });

  it('defaults to the top of the scope', async () => {
    const tree = await makeTree(t.app);
    const cadre = await signIn(t.app, await makeUser(t.app, { org: tree.county, roles: ['grassroots_cadre'] }));
    const res = await cadre.get('/api/stats');
    expect(res.json<{ total: { orgId: string } }>().total.orgId).toBe(tree.county.id);
  });

  it('requires a session, the permission, and an organization in scope', async () => {
    const tree = await makeTree(t.app);
    expect((await t.app.inject({ method: 'GET', url: '/api/stats' })).statusCode).toBe(401);
    const noGrant = await signIn(t.app, await makeUser(t.app, { org: tree.county }));
    expect(errorOf(await noGrant.get('/api/stats'))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    const cadre = await signIn(t.app, await makeUser(t.app, { org: tree.county, roles: ['grassroots_cadre'] }));
    const sibling = await cadre.get(`/api/stats?orgId=${tree.sibling.id}`);
    const missing = await cadre.get(`/api/stats?orgId=${randomUUID()}`);
    expect(sibling.status).toBe(404);
    expect(withoutRequestId(sibling)).toEqual(withoutRequestId(missing));
    const bad = await cadre.get(`/api/stats?orgId=${'x'.repeat(65)}`);
    expect(errorOf(bad)).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['query.orgId'] });
  });
});
