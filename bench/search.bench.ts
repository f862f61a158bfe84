/**
 * Member search benchmark at scale. Uses the benchmark federation of seed-5m.ts (5 million
 * members, built on first use and kept) and measures what GET /api/members?q=… answers,
 * MembersService.list with the first page and its total, within a county cadre's scope
 * (雁塔区), a city cadre's (西安市) and the province's, by ID number (blind index), phone (blind index), name prefix
 * (the surname and first given character), pinyin initials, and the surname alone (the
 * shortest, commonest term: its count is the one that stops at 10,000). Beside each, the
 * ceiling: a bare lookup of the same term on its index, without scope, join, order or count. Terms are
 * real members of the county, so every scope finds them. SQLite by default (BENCH_DB_FILE);
 * DATABASE_URL=postgres://… for PostgreSQL. Goal (issue #4): p95 ≤ 20 ms at 5 million members.
 */
import { BENCH_FEDERATION } from '../apps/server/src/cli/demo/federation.ts';
import { migrateToLatest, openDatabase } from '../apps/server/src/db/database.ts';
import { PERSON_FIELD_CONTEXTS as C } from '../apps/server/src/modules/members/members.policy.ts';
import { createMembersService } from '../apps/server/src/modules/members/members.service.ts';
import { createRegionsService } from '../apps/server/src/modules/regions/regions.service.ts';
import { benchCore, readerAt, timeCalls } from './bench-db.ts';
import { ensureBenchFederation } from './seed-5m.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const SAMPLES = 50;
const GOAL_MS = 20;
const fmt = (n: number) => n.toLocaleString('en-US');

async function main(): Promise<void> {
  const target = await ensureBenchFederation();
  const database = await openDatabase(target);
  await migrateToLatest(database);
  const db = database.db;
  const core = benchCore(database, BENCH_FEDERATION.seed);
  const members = createMembersService(core, createRegionsService());

  const federation = (code: string) =>
    db
      .selectFrom('organization')
      .selectAll()
      .where('region_code', '=', code)
      .where('type', '=', 'federation')
      .orderBy('depth')
      .executeTakeFirstOrThrow();
  const province = await federation('610000');
  const city = await federation('610100');
  const county = await federation('610113');

  // Members of the county, spread over it: every 97th open membership, up to SAMPLES.
  const rows = await db
    .selectFrom('membership')
    .innerJoin('person', 'person.id', 'membership.person_id')
    .select(['person.name', 'person.name_initials', 'person.id_number_cipher', 'person.phone_cipher'])
    .where('membership.org_path', '>=', county.path)
    .where('membership.org_path', '<', county.path.slice(0, -1) + '0')
    .where('membership.ended_on', 'is', null)
    .where('person.phone_cipher', 'is not', null)
    .limit(SAMPLES * 97)
    .execute();
  const sample = rows.filter((_, i) => i % 97 === 0).slice(0, SAMPLES);
  const terms = {
    'ID number': sample.map((r) => core.cipher.decrypt(r.id_number_cipher, C.idNumber)),
    phone: sample.map((r) => core.cipher.decrypt(r.phone_cipher!, C.phone)),
    'name prefix': sample.map((r) => [...r.name].slice(0, 2).join('')),
    'pinyin initials': sample.map((r) => r.name_initials),
    surname: sample.map((r) => [...r.name][0]!),
  };
  const total = Number(
    (
      await db
        .selectFrom('membership')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  console.log(
    `search bench on ${database.dialect}: ${fmt(total)} memberships, ${sample.length} sample members of 雁塔区, ${RUNS} calls each`,
  );

  const namePrefix = (t: string) =>
    db
      .selectFrom('membership')
      .select('id')
      .where('ended_on', 'is', null)
      .where('name', '>=', t)
      .where('name', '<', t + '\u{10FFFF}')
      .limit(20)
      .execute();
  /** The ceiling: the term's own (open-membership search) index, nothing else. */
  const bare: Record<keyof typeof terms, (term: string) => Promise<unknown>> = {
    'ID number': (t) =>
      db.selectFrom('person').select('id').where('id_number_index', '=', core.blind.index(t, C.idNumber)).execute(),
    phone: (t) =>
      db.selectFrom('person').select('id').where('phone_index', '=', core.blind.index(t, C.phone)).execute(),
    'name prefix': (t) => namePrefix(t),
    'pinyin initials': (t) =>
      db
        .selectFrom('membership')
        .select('id')
        .where('ended_on', 'is', null)
        .where('name_initials', '>=', t)
        .where('name_initials', '<', t + '\u007f')
        .limit(20)
        .execute(),
    surname: (t) => namePrefix(t),
  };

  let worst = 0;
  for (const [kind, list] of Object.entries(terms) as [keyof typeof terms, string[]][]) {
    const ceiling = await timeCalls(RUNS, (i) => bare[kind](list[i % list.length]!));
    console.log(
      `${kind.padEnd(15)} bare indexed lookup (ceiling): p50 ${ceiling.p50.toFixed(2)} ms, p95 ${ceiling.p95.toFixed(2)} ms`,
    );
    for (const [scopeName, org] of [
      ['county cadre', county],
      ['city cadre', city],
      ['province', province],
    ] as const) {
      const ctx = readerAt(org);
      let found = 0;
      let capped = 0;
      const r = await timeCalls(RUNS, async (i) => {
        const page = await members.list(ctx, { page: 1, pageSize: 20, status: 'open', q: list[i % list.length]! });
        found += page.total;
        if (page.totalCapped) capped++;
      });
      worst = Math.max(worst, r.p95);
      console.log(
        `${kind.padEnd(15)} ${scopeName.padEnd(12)} search: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms → p95 / ceiling p95 = ${(r.p95 / ceiling.p95).toFixed(1)}  (mean total ${fmt(Math.round(found / (RUNS + 3)))}${capped ? `, ${capped}/${RUNS + 3} calls at "10,000+"` : ''})`,
      );
    }
  }
  console.log(`worst p95 ${worst.toFixed(1)} ms: goal ≤ ${GOAL_MS} ms ${worst <= GOAL_MS ? 'met' : 'MISSED'}`);

  // Not a search, but what every cadre sees first: the list's first page with its total.
  const grassroots = await db
    .selectFrom('organization')
    .selectAll()
    .where('type', '=', 'grassroots')
    .where('path', '>=', county.path)
    .where('path', '<', county.path.slice(0, -1) + '0')
    .orderBy('path')
    .executeTakeFirstOrThrow();
  const ceiling = await timeCalls(RUNS, () =>
    db.selectFrom('membership').select('id').where('ended_on', 'is', null).orderBy('name_initials').limit(20).execute(),
  );
  console.log(
    `list, no term   bare first page in initials order (ceiling): p50 ${ceiling.p50.toFixed(2)} ms, p95 ${ceiling.p95.toFixed(2)} ms`,
  );
  for (const [scopeName, org] of [
    ['grassroots', grassroots],
    ['county cadre', county],
    ['province', province],
  ] as const) {
    let total = 0;
    const r = await timeCalls(RUNS, async () => {
      total = (await members.list(readerAt(org), { page: 1, pageSize: 20, status: 'open' })).total;
    });
    console.log(
      `list, no term   ${scopeName.padEnd(12)} first page: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms  (total ${fmt(total)})`,
    );
  }
  await database.close();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
