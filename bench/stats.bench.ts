/**
 * Statistics benchmark at scale. Uses the benchmark federation of seed-5m.ts (5 million
 * members in about 60,000 unions, built on first use and kept), then measures what
 * GET /api/stats answers, StatsService.ofSubtree with the drill-down children, at province,
 * city, county and grassroots level (p50 and p95 over repeated calls), beside the ceiling of
 * a naive query: one whole-table `GROUP BY` over the membership table in the same run.
 * SQLite by default (BENCH_DB_FILE); DATABASE_URL=postgres://… for PostgreSQL; BENCH_MEMBERS
 * for another size. Goal (issue #4): p95 ≤ 50 ms at 5 million members.
 */
import { migrateToLatest, openDatabase } from '../apps/server/src/db/database.ts';
import type { OrganizationTable } from '../apps/server/src/db/schema.ts';
import { BENCH_FEDERATION } from '../apps/server/src/cli/demo/federation.ts';
import { createStatsService } from '../apps/server/src/modules/stats/stats.service.ts';
import { benchCore, readerAt, timeCalls } from './bench-db.ts';
import { ensureBenchFederation } from './seed-5m.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
/** The naive query reads every membership: a few calls give its p95. */
const NAIVE_RUNS = 5;
const GOAL_MS = 50;
const fmt = (n: number) => n.toLocaleString('en-US');

async function main(): Promise<void> {
  const target = await ensureBenchFederation();
  const database = await openDatabase(target);
  await migrateToLatest(database);
  const db = database.db;
  const core = benchCore(database, BENCH_FEDERATION.seed);
  const stats = createStatsService(core);

  const members = Number(
    (
      await db
        .selectFrom('membership')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  const unions = Number(
    (
      await db
        .selectFrom('organization')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  const byRegion = async (code: string, type = 'federation') =>
    db
      .selectFrom('organization')
      .selectAll()
      .where('region_code', '=', code)
      .where('type', '=', type)
      .orderBy('depth')
      .executeTakeFirstOrThrow();
  const grassroots = await db
    .selectFrom('organization')
    .selectAll()
    .where('name', '=', '西安高新智造科技有限公司工会')
    .executeTakeFirstOrThrow();
  const levels: [string, OrganizationTable][] = [
    ['province 陕西省', await byRegion('610000')],
    ['city 西安市', await byRegion('610100')],
    ['county 雁塔区', await byRegion('610113')],
    ['grassroots', grassroots],
  ];

  console.log(
    `stats bench on ${database.dialect}: ${fmt(members)} memberships, ${fmt(unions)} unions, ${RUNS} calls each`,
  );
  const naive = await timeCalls(
    NAIVE_RUNS,
    () =>
      db
        .selectFrom('membership')
        .select(['status', (eb) => eb.fn.countAll().as('n')])
        .where('ended_on', 'is', null)
        .groupBy('status')
        .execute(),
    1,
  );
  console.log(
    `naive GROUP BY over the whole membership table: p50 ${naive.p50.toFixed(1)} ms, p95 ${naive.p95.toFixed(1)} ms`,
  );
  let worst = 0;
  for (const [label, org] of levels) {
    const ctx = readerAt(org);
    const children = (await stats.ofSubtree(ctx, org.id)).children.length;
    const r = await timeCalls(RUNS, () => stats.ofSubtree(ctx, org.id));
    worst = Math.max(worst, r.p95);
    console.log(
      `stats of ${label.padEnd(16)} (+${String(children).padStart(2)} children): p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms → p95 / naive p95 = ${(r.p95 / naive.p95).toFixed(3)}`,
    );
  }
  console.log(`worst p95 ${worst.toFixed(1)} ms: goal ≤ ${GOAL_MS} ms ${worst <= GOAL_MS ? 'met' : 'MISSED'}`);
  await database.close();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
