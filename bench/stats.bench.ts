/**
 * Statistics benchmark. Builds a province tree (cities → counties → grassroots unions), puts
 * N members in it with bare inserts, then measures the statistics service per level (p50 and
 * p95 over repeated calls) beside the ceiling: one naive `GROUP BY` count of the whole
 * membership table in the same run. SQLite by default; DATABASE_URL=postgres://… for
 * PostgreSQL. N from BENCH_STATS_N (default 200,000).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { SYSTEM_ACTOR } from '../apps/server/src/core/actor.ts';
import { createAuditLog } from '../apps/server/src/core/audit/audit.ts';
import type { CoreDeps } from '../apps/server/src/core/deps.ts';
import { createUnitOfWork } from '../apps/server/src/core/unit-of-work.ts';
import { migrateToLatest, openDatabase } from '../apps/server/src/db/database.ts';
import type { OrganizationTable } from '../apps/server/src/db/schema.ts';
import { createStatsService } from '../apps/server/src/modules/stats/stats.service.ts';
import { benchTarget } from './bench-db.ts';

const N = Number(process.env.BENCH_STATS_N ?? 200_000);
const CITIES = 10;
const COUNTIES = 8;
const GRASSROOTS = 40;
const RUNS = 20;
const fmt = (n: number) => n.toLocaleString('en-US');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const { target, cleanup } = await benchTarget();
  const database = await openDatabase(target);
  await migrateToLatest(database);
  const db = database.db;
  const now = new Date().toISOString();

  const orgs: OrganizationTable[] = [];
  const org = (parent: OrganizationTable | null, type: string, level: string | null): OrganizationTable => {
    const id = randomUUID();
    const path = `${parent?.path ?? '/'}${id}/`;
    const row: OrganizationTable = {
      id,
      parent_id: parent?.id ?? null,
      name: `${type}-${orgs.length}`,
      type,
      level,
      region_code: null,
      path,
      depth: (parent?.depth ?? -1) + 1,
      province_root: parent?.province_root ?? `/${id}/`,
      status: 'active',
      created_at: now,
      updated_at: now,
      dissolved_at: null,
      merged_into_id: null,
      status_reason: null,
    };
    orgs.push(row);
    return row;
  };
  const province = org(null, 'federation', 'province');
  const grassroots: OrganizationTable[] = [];
  let aCity: OrganizationTable = province;
  let aCounty: OrganizationTable = province;
  for (let c = 0; c < CITIES; c++) {
    const city = org(province, 'federation', 'city');
    aCity = city;
    for (let k = 0; k < COUNTIES; k++) {
      const county = org(city, 'federation', 'county');
      aCounty = county;
      for (let g = 0; g < GRASSROOTS; g++) grassroots.push(org(county, 'grassroots', null));
    }
  }
  for (let i = 0; i < orgs.length; i += 500)
    await db
      .insertInto('organization')
      .values(orgs.slice(i, i + 500))
      .execute();

  const started = performance.now();
  const BATCH = 5_000;
  for (let done = 0; done < N; done += BATCH) {
    await db.transaction().execute(async (trx) => {
      const persons = [];
      const memberships = [];
      for (let i = done; i < Math.min(N, done + BATCH); i++) {
        const at = grassroots[i % grassroots.length]!;
        const id = randomUUID();
        const index = randomUUID();
        persons.push({
          id,
          name: '职工',
          name_initials: 'zg',
          id_number_cipher: 'x',
          id_number_index: index,
          gender: i % 2 ? 'male' : 'female',
          birth_date: `${1960 + (i % 45)}-0${1 + (i % 9)}-15`,
          employment_type: ['regular', 'migrant', 'new_form', 'dispatched', 'flexible'][i % 5]!,
          real_name_verified: i % 10 ? 1 : 0,
          created_at: now,
          updated_at: now,
        } as const);
        memberships.push({
          id: randomUUID(),
          person_id: id,
          id_number_index: index,
          org_id: at.id,
          org_path: at.path,
          province_root: at.province_root,
          status: i % 20 ? 'active' : 'retained',
          started_on: '2020-01-01',
          created_at: now,
          updated_at: now,
        } as const);
      }
      // Chunks small enough for SQLite's bound-parameter limit.
      for (let i = 0; i < persons.length; i += 500) {
        await trx
          .insertInto('person')
          .values(persons.slice(i, i + 500))
          .execute();
        await trx
          .insertInto('membership')
          .values(memberships.slice(i, i + 500))
          .execute();
      }
    });
  }
  const loadSeconds = (performance.now() - started) / 1000;
  if (database.dialect === 'postgres') await sql`analyze`.execute(db);

  const keys = { auditKey: Buffer.alloc(32) };
  const deps = {
    db,
    dialect: database.dialect,
    write: createUnitOfWork(db, createAuditLog({ dialect: database.dialect, key: keys.auditKey })),
    now: () => new Date(),
  } as unknown as CoreDeps;
  const stats = createStatsService(deps);
  const ctx = (o: OrganizationTable) => ({
    actor: SYSTEM_ACTOR,
    principal: {
      userId: 'bench',
      userKind: 'cadre' as const,
      sessionId: 'bench',
      permissions: new Set(['member.read']),
      grants: [
        { id: 'g', roleId: 'r', roleCode: 'r', orgId: o.id, orgPath: o.path, permissions: new Set(['member.read']) },
      ],
    },
  });

  const time = async (fn: () => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await fn();
      ms.push(performance.now() - t0);
    }
    return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
  };
  const naive = await time(() =>
    db
      .selectFrom('membership')
      .select(['status', (eb) => eb.fn.countAll().as('n')])
      .groupBy('status')
      .execute(),
  );
  console.log(
    `stats bench on ${database.dialect}: ${fmt(N)} members, ${fmt(orgs.length)} unions (loaded in ${loadSeconds.toFixed(1)} s)`,
  );
  console.log(
    `naive GROUP BY over all members (ceiling): p50 ${naive.p50.toFixed(1)} ms, p95 ${naive.p95.toFixed(1)} ms`,
  );
  for (const [label, top] of [
    ['province', province],
    ['city', aCity],
    ['county', aCounty],
    ['grassroots', grassroots[0]!],
  ] as const) {
    const r = await time(() => stats.ofSubtree(ctx(top), top.id));
    console.log(
      `stats of a ${label.padEnd(10)}: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms  → p95 / naive p95 = ${(r.p95 / naive.p95).toFixed(2)}`,
    );
  }
  await database.close();
  await cleanup();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
