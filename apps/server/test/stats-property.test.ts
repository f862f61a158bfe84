import { ALLOWED_CHILD_TYPES, EMPLOYMENT_TYPES, type OrgType, PERMISSION_CODES, ROSTER_FIELDS } from '@zhgh/contracts';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../src/core/actor.ts';
import { AppError } from '../src/core/app-error.ts';
import type { OrganizationTable, PersonTable } from '../src/db/schema.ts';
import { applyCounterDeltas, CounterDeltas, readCounters, statDay } from '../src/modules/stats/stats.counters.ts';
import { recountSubtree } from '../src/modules/stats/stats.recount.ts';
import { presentCounters } from '../src/modules/stats/stats.service.ts';
import { makeOrg, memberBody, randomCreditCode, randomIdNumber } from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';
import { csvBytes, makeIdNumber, TEMPLATE_HEADERS, tempDir, validRosterRow } from './import-files.ts';
import { prng } from './prng.ts';

/**
 * The subtree counters against the truth (decision 0009): thousands of random operations
 * through the services, the clock moved across birthdays, and after every batch every
 * organization's counters compared with a live recount of the rows. Seeded: a failure
 * prints the seed, and STATS_SEED=<seed> replays it. STATS_OPS sets the length.
 */

const SEED = Number(process.env.STATS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const OPS = Number(process.env.STATS_OPS ?? 1_000);
const BATCH = 100;
const DAY = 86_400_000;

const clock = createTestClock(new Date('2026-11-23T08:00:00Z'));
let t: Awaited<ReturnType<typeof createTestApp>>;
const tmp = tempDir();
beforeAll(async () => {
  // Small chunks: an import of a dozen rows writes (and counts) in several transactions.
  t = await createTestApp({ IMPORT_CHUNK_ROWS: '4' }, { now: clock.now });
  // Imports run when the test drains the queue, between two checks, not behind them.
  await t.app.core.jobs.stop();
});
afterAll(async () => {
  await t.close();
  tmp.remove();
});

const EMPLOYMENT = ['regular', 'migrant', 'dispatched', 'flexible', 'new_form'] as const;

describe('subtree counters', () => {
  it(`equal a recount of every node after random operations (seed ${SEED})`, async () => {
    const r = prng(SEED);
    const s = t.app.services;
    const db = t.database.db;
    const dialect = t.database.dialect;
    const root = await makeOrg(t.app, { name: '属性测试省总工会' });
    const ctx: RequestContext = {
      actor: { kind: 'system', id: null, label: 'stats property test' },
      principal: {
        userId: 'tester',
        userKind: 'cadre',
        sessionId: 'tester',
        permissions: new Set(PERMISSION_CODES),
        grants: [
          {
            id: 'g',
            roleId: 'r',
            roleCode: 'all',
            orgId: root.id,
            orgPath: root.path,
            permissions: new Set(PERMISSION_CODES),
          },
        ],
      },
    };
    const today = () => statDay(clock.now());
    let rosterRow = 100_000 + (SEED % 1000) * 1000;
    const orgs = async () =>
      db.selectFrom('organization').selectAll().where('path', 'like', `${root.path}%`).orderBy('path').execute();
    const active = async (types?: readonly string[]) =>
      (await orgs()).filter((o) => o.status === 'active' && (!types || types.includes(o.type)));
    const persons = async () =>
      db
        .selectFrom('membership')
        .innerJoin('person', 'person.id', 'membership.person_id')
        .selectAll('person')
        .select(['membership.org_path', 'membership.status'])
        .where('membership.ended_on', 'is', null)
        .where('membership.org_path', 'like', `${root.path}%`)
        .orderBy('person.id')
        .execute();
    const units = async () =>
      db.selectFrom('work_unit').selectAll().where('org_path', 'like', `${root.path}%`).orderBy('id').execute();

    /** A birth date for an adult, often within days of a band boundary as of today. */
    const birthDate = () => {
      const now = clock.now();
      if (r.chance(0.5)) {
        const years = r.pick([25, 35, 45, 55]);
        const d = new Date(Date.UTC(now.getUTCFullYear() - years, now.getUTCMonth(), now.getUTCDate()));
        return new Date(d.getTime() - r.int(-40, 40) * DAY).toISOString().slice(0, 10);
      }
      return new Date(Date.UTC(now.getUTCFullYear() - r.int(19, 70), r.int(0, 11), r.int(1, 28)))
        .toISOString()
        .slice(0, 10);
    };

    const employment = () => {
      const type = r.pick(EMPLOYMENT);
      return type === 'new_form'
        ? { employmentType: type, newFormGroup: 'courier' as const }
        : { employmentType: type, newFormGroup: null };
    };

    const ops: Record<string, () => Promise<unknown>> = {
      async createOrg() {
        const parent = r.pick(await active());
        const allowed = ALLOWED_CHILD_TYPES[parent.type as OrgType];
        if (allowed.length === 0) return;
        return s.orgs.create(ctx, {
          parentId: parent.id,
          name: `工会${r.int(1, 1e6)}`,
          type: r.pick(allowed),
          level: null,
        } as Parameters<typeof s.orgs.create>[1]);
      },
      async register() {
        const union = r.pick(await active(['grassroots', 'joint', 'township', 'industry', 'group']));
        if (!union) return;
        return s.members.register(ctx, {
          ...memberBody(union.id),
          idNumber: randomIdNumber({ birthDate: birthDate(), gender: r.pick(['male', 'female']) }),
          joinDate: today(),
          ...employment(),
        } as Parameters<typeof s.members.register>[1]);
      },
      async updateMember() {
        const p = r.pick(await persons());
        if (!p) return;
        return s.members.update(
          ctx,
          p.id,
          r.chance(0.3) ? { name: r.pick(['王小明', '李四', '张三丰']) } : { ...employment(), workUnitName: '某公司' },
        );
      },
      /** Membership changes (decision 0017): an expulsion closes an open membership through the counters. */
      async expel() {
        const p = r.pick(await persons());
        if (!p) return;
        return s.memberships.expel(ctx, { personId: p.id, reason: '属性测试：除名' });
      },
      /** No service verifies real names yet: what one will do, through the same counters. */
      async verify() {
        const p = r.pick((await persons()).filter((x) => x.real_name_verified === 0));
        if (!p) return;
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('person').set({ real_name_verified: 1 }).where('id', '=', p.id).execute();
          const deltas = new CounterDeltas();
          const status = p.status as 'active' | 'retained';
          deltas.member(p.org_path, p as PersonTable, status, -1);
          deltas.member(p.org_path, { ...(p as PersonTable), real_name_verified: 1 }, status, 1);
          await applyCounterDeltas(trx, dialect, deltas);
        });
      },
      async createUnit() {
        const org = r.pick(await active());
        const union = r.chance(0.6) ? r.pick(await active(['grassroots', 'joint'])) : undefined;
        return s.workUnits.create(ctx, {
          name: `单位${r.int(1, 1e6)}`,
          creditCode: randomCreditCode(),
          unitType: '170',
          industry: 'C',
          regionCode: '610113',
          employeeCount: r.pick([0, 5, 99, 100, 101, 250, r.int(0, 400)]),
          orgId: org.id,
          unionOrgId: union?.id ?? null,
        } as Parameters<typeof s.workUnits.create>[1]);
      },
      async updateUnit() {
        const unit = r.pick(await units());
        if (!unit) return;
        const change = r.int(0, 2);
        if (change === 0) return s.workUnits.update(ctx, unit.id, { employeeCount: r.int(0, 300) });
        if (change === 1) {
          const union = r.chance(0.7) ? r.pick(await active(['grassroots', 'joint'])) : undefined;
          return s.workUnits.update(ctx, unit.id, { unionOrgId: union?.id ?? null });
        }
        return s.workUnits.update(ctx, unit.id, { orgId: r.pick(await active()).id });
      },
      async retype() {
        const org = r.pick(await active(['grassroots', 'joint']));
        if (!org) return;
        return s.orgs.update(ctx, org.id, { type: org.type === 'grassroots' ? 'joint' : 'grassroots' });
      },
      async move() {
        const all = await active();
        const node = r.pick(all.filter((o) => o.parent_id !== null));
        if (!node) return;
        return s.orgs.move(ctx, node.id, r.pick(all).id);
      },
      async dissolve() {
        // Mostly empty leaves, which may be dissolved; sometimes any node, which is refused.
        const all = (await active()).filter((o) => o.parent_id !== null);
        const occupied = new Set((await persons()).map((p) => p.org_path));
        const empty = all.filter(
          (o) => !occupied.has(o.path) && !all.some((c) => c.parent_id === o.id) && r.chance(0.8),
        );
        const node = r.pick(empty.length > 0 ? empty : all);
        if (!node) return;
        return s.orgs.dissolve(ctx, node.id, '撤销');
      },
      async merge() {
        const all = await active();
        const source = r.pick(all.filter((o) => o.parent_id !== null));
        if (!source) return;
        const kin = all.filter((o) => o.id !== source.id && o.type === source.type);
        return s.orgs.merge(ctx, source.id, { targetId: r.pick(kin.length > 0 ? kin : all).id, reason: '合并' });
      },
      /** A roster import through the job (H1's write path), some rows refused as duplicates. */
      async importRoster() {
        const union = r.pick(await active(['grassroots', 'joint', 'township', 'industry', 'group']));
        if (!union) return;
        const matrix = [TEMPLATE_HEADERS];
        for (let k = r.int(1, 12); k > 0; k--) {
          const i = rosterRow++;
          const row = validRosterRow(i);
          const birth = birthDate();
          row.idNumber = makeIdNumber(birth, r.int(0, 999));
          row.birthDate = birth;
          row.gender = Number(row.idNumber[16]) % 2 === 1 ? '男' : '女';
          const type = r.pick(EMPLOYMENT_TYPES);
          row.employmentType = type.zh;
          row.newFormGroup = type.code === 'new_form' ? '外卖送餐员' : '';
          row.memberNumber = `P${SEED % 1000}-${i}`;
          matrix.push(ROSTER_FIELDS.map((f) => row[f]));
        }
        const file = tmp.file(`roster-${rosterRow}.csv`);
        fs.writeFileSync(file, csvBytes(matrix));
        await s.imports.importMembers(
          ctx,
          { orgId: union.id },
          { path: file, filename: '名册.csv', mimetype: 'text/csv', size: fs.statSync(file).size },
        );
        await t.app.core.jobs.drain();
      },
      async advanceClock() {
        clock.advance((r.chance(0.1) ? r.int(100, 800) : r.int(1, 20)) * DAY);
      },
    };
    const weights: [keyof typeof ops, number][] = [
      ['createOrg', 6],
      ['register', 30],
      ['updateMember', 10],
      ['verify', 6],
      ['createUnit', 10],
      ['updateUnit', 10],
      ['retype', 3],
      ['move', 5],
      ['dissolve', 4],
      ['merge', 4],
      ['importRoster', 4],
      ['advanceClock', 8],
      ['expel', 3],
    ];
    const totalWeight = weights.reduce((a, [, w]) => a + w, 0);
    const drawOp = () => {
      let x = r.next() * totalWeight;
      for (const [name, w] of weights) if ((x -= w) < 0) return name;
      return weights[0]![0];
    };

    /** Every node's counters (after a read has rolled the age bands to today) against a recount. */
    async function compareAll(after: number) {
      await s.stats.ofSubtree(ctx, root.id);
      const all = await orgs();
      const counters = await readCounters(
        db,
        all.map((o) => o.id),
      );
      for (const org of all) {
        const fromCounters = presentCounters(org, counters.get(org.id)!);
        const recounted = await recountSubtree(db, dialect, org as OrganizationTable, today());
        expect(fromCounters, `seed ${SEED}, after ${after} operations, ${org.status} ${org.type} ${org.path}`).toEqual(
          recounted,
        );
      }
      return all.length;
    }

    // A few unions to start from, so the first operations have somewhere to go.
    for (let i = 0; i < 8; i++) await ops.createOrg!();
    const done: Record<string, number> = {};
    const refused: Record<string, number> = {};
    let nodes = 0;
    let checking = 0;
    const spent: Record<string, number> = {};
    try {
      for (let i = 1; i <= OPS; i++) {
        const name = drawOp();
        const started = performance.now();
        try {
          await ops[name]!();
          done[name] = (done[name] ?? 0) + 1;
          spent[name] = (spent[name] ?? 0) + Math.round(performance.now() - started);
        } catch (err) {
          // A refusal by a business rule (moving under a grassroots union, dissolving one with
          // members …) is an outcome too: the counters must not have moved.
          if (!(err instanceof AppError)) throw err;
          refused[name] = (refused[name] ?? 0) + 1;
        }
        if (i % BATCH === 0 || i === OPS) {
          const started = performance.now();
          nodes = await compareAll(i);
          checking += performance.now() - started;
        }
      }
    } catch (err) {
      console.error(`stats property test failed with STATS_SEED=${SEED}`);
      throw err;
    }
    const imported = await db
      .selectFrom('membership')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('member_number', 'like', `P${SEED % 1000}-%`)
      .executeTakeFirstOrThrow();
    console.info(
      `stats property test (${dialect}) seed ${SEED}: ${OPS} operations, ${nodes} organizations, ` +
        `${Number(imported.n)} members imported, ${Math.round(checking)} ms comparing`,
      { done, refused, spent },
    );
    expect(Number(imported.n)).toBeGreaterThan(0);
    // The run exercised what it claims to.
    for (const name of [
      'register',
      'importRoster',
      'updateMember',
      'createUnit',
      'updateUnit',
      'move',
      'dissolve',
      'merge',
      'advanceClock',
    ]) {
      expect(done[name] ?? 0, name).toBeGreaterThan(0);
    }
  }, 120_000);
});
