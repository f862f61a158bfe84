/**
 * Build the benchmark federation: the Shaanxi-like tree of apps/server/src/cli/demo with 5
 * million members in about 60,000 unions (BENCH_MEMBERS to change the size), into the SQLite
 * file BENCH_DB_FILE (default: the temp folder) or the PostgreSQL database DATABASE_URL.
 * Built once and kept: a second run finds it and returns at once. Persons are sealed with the
 * benchmark keys (bench-db.ts) exactly as the members service seals them.
 *
 * As fast as the engines allow: secondary indexes are dropped and rebuilt after the load
 * (one sort instead of millions of random B-tree inserts), SQLite takes prepared statements
 * in large transactions without a journal, PostgreSQL takes server-side COPY from files in
 * the temp folder. Then the statistics counters are rebuilt, as after any bulk load.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import {
  BENCH_FEDERATION,
  type FederationPlan,
  type FederationSize,
  generateMembers,
  IdSource,
  planFederation,
} from '../apps/server/src/cli/demo/federation.ts';
import { Random } from '../apps/server/src/cli/demo/random.ts';
import { memberRows, workUnitRow } from '../apps/server/src/cli/demo/rows.ts';
import { localDate } from '../apps/server/src/core/calendar.ts';
import { type Database, migrateToLatest, openDatabase, type Target } from '../apps/server/src/db/database.ts';
import { analyze, forbidSkipScans } from '../apps/server/src/db/planner-statistics.ts';
import type { MembershipTable, PersonTable } from '../apps/server/src/db/schema.ts';
import { formatMemberNumber } from '../apps/server/src/modules/members/members.policy.ts';
import { rebuildStatCounters } from '../apps/server/src/modules/stats/stats.counters.ts';
import { benchCore, federationMembers, federationTarget } from './bench-db.ts';

const LOADED_TABLES = ['organization', 'work_unit', 'person', 'membership'];
const BATCH = 50_000;

/** The federation of `members` members: the benchmark's shape, scaled. */
export function benchSize(members: number): FederationSize {
  const unions = Math.max(200, Math.round((BENCH_FEDERATION.unions * members) / BENCH_FEDERATION.members));
  return { seed: BENCH_FEDERATION.seed, members, unions };
}

type Row = Record<string, unknown>;

interface Loader {
  rows(table: string, rows: readonly Row[]): Promise<void>;
  finish(): Promise<void>;
}

const secs = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

/** Feed the plan and its members to a loader; returns the count of members. */
async function feed(plan: FederationPlan, loader: Loader, database: Database, today: string, now: string) {
  const core = benchCore(database, plan.size.seed);
  await loader.rows('organization', plan.orgs as unknown as Row[]);
  await loader.rows(
    'work_unit',
    plan.workUnits.map((u) => workUnitRow(u, core) as unknown as Row),
  );
  const ids = new IdSource(new Random(plan.size.seed).fork(3), Date.parse(now));
  const year = Number(today.slice(0, 4));
  let n = 0;
  const t0 = performance.now();
  for (const batch of generateMembers(plan, today, BATCH)) {
    const persons: PersonTable[] = [];
    const memberships: MembershipTable[] = [];
    for (const m of batch) {
      const r = memberRows(m, core, ids, formatMemberNumber(year, ++n), now);
      persons.push(r.person);
      memberships.push(r.membership);
    }
    await loader.rows('person', persons as unknown as Row[]);
    await loader.rows('membership', memberships as unknown as Row[]);
    if (n % 500_000 === 0) console.log(`  ${n.toLocaleString('en-US')} members (${secs(t0)} s)`);
  }
  await loader.finish();
  return n;
}

function sqliteLoader(file: string): Loader & { close(): void } {
  const db = new BetterSqlite(file);
  // Nothing to protect while building a benchmark file from scratch: no journal, no fsync.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('foreign_keys = OFF');
  db.pragma('cache_size = -1000000');
  db.pragma('temp_store = MEMORY');
  const indexes = db
    .prepare(
      `select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${LOADED_TABLES.map(() => '?').join(',')})`,
    )
    .all(...LOADED_TABLES) as { name: string; sql: string }[];
  for (const i of indexes) db.exec(`drop index "${i.name}"`);
  const statements = new Map<string, BetterSqlite.Statement>();
  return {
    async rows(table, rows) {
      if (rows.length === 0) return;
      const columns = Object.keys(rows[0]!);
      let stmt = statements.get(table);
      if (!stmt) {
        stmt = db.prepare(
          `insert into ${table} (${columns.join(',')}) values (${columns.map((c) => `@${c}`).join(',')})`,
        );
        statements.set(table, stmt);
      }
      const insert = stmt;
      db.transaction(() => {
        for (const r of rows) insert.run(r);
      })();
    },
    async finish() {
      const t0 = performance.now();
      for (const i of indexes) db.exec(i.sql);
      db.exec('analyze');
      console.log(`  indexes rebuilt and analyzed in ${secs(t0)} s`);
    },
    close() {
      db.pragma('journal_mode = WAL');
      db.close();
    },
  };
}

/** A CSV field as PostgreSQL's COPY reads it: unquoted empty is NULL. */
function csv(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) || s === '' ? `"${s.replaceAll('"', '""')}"` : s;
}

async function postgresLoader(url: string): Promise<Loader & { close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Foreign keys hold by construction; skipping their per-row triggers during the load.
  await client.query('set session_replication_role = replica');
  const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
    `select indexname, indexdef from pg_indexes
      where schemaname = current_schema() and tablename = any($1)
        and indexname not in (select conname from pg_constraint)`,
    [LOADED_TABLES],
  );
  for (const i of indexes) await client.query(`drop index "${i.indexname}"`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-seed-'));
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, 'rows.csv');
  return {
    async rows(table, rows) {
      if (rows.length === 0) return;
      const columns = Object.keys(rows[0]!);
      const lines = rows.map((r) => columns.map((c) => csv(r[c])).join(','));
      fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o644 });
      // Server-side COPY: the server reads the file itself, no row passes the wire protocol.
      await client.query(`copy ${table} (${columns.join(',')}) from '${file}' with (format csv)`);
    },
    async finish() {
      const t0 = performance.now();
      await client.query('set maintenance_work_mem = $$512MB$$');
      for (const i of indexes) await client.query(i.indexdef);
      // VACUUM as well: it sets the visibility map that index-only scans (the search indexes)
      // need to skip the table; autovacuum would get there later on a live database.
      await client.query('vacuum (analyze)');
      console.log(`  indexes rebuilt, vacuumed and analyzed in ${secs(t0)} s`);
    },
    async close() {
      await client.end();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether the target already holds the federation of `members` (a finished build). */
async function built(target: Target, members: number): Promise<boolean> {
  if (target.kind === 'sqlite') {
    const marker = `${target.file}.built.json`;
    if (fs.existsSync(marker))
      return (JSON.parse(fs.readFileSync(marker, 'utf8')) as { members: number }).members === members;
    // A file without its marker is an interrupted build: start over.
    for (const f of [target.file, `${target.file}-wal`, `${target.file}-shm`]) fs.rmSync(f, { force: true });
    return false;
  }
  const c = new pg.Client({ connectionString: target.url });
  await c.connect();
  try {
    const marker = await c.query<{ members: number }>(`select members from bench_federation`).catch(() => null);
    if (marker?.rows[0]) return Number(marker.rows[0].members) === members;
    const orgs = await c.query(`select 1 from organization limit 1`).catch(() => null);
    if (orgs && orgs.rowCount) {
      throw new Error(
        'the PostgreSQL database holds data but no finished benchmark federation: give an empty database',
      );
    }
    return false;
  } finally {
    await c.end();
  }
}

/** Build the benchmark federation unless it is there; returns the target. */
export async function ensureBenchFederation(members = federationMembers()): Promise<Target> {
  const target = federationTarget();
  const where = target.kind === 'sqlite' ? target.file : 'PostgreSQL';
  if (await built(target, members)) {
    console.log(`benchmark federation of ${members.toLocaleString('en-US')} members found in ${where}`);
    return target;
  }
  console.log(`building the benchmark federation of ${members.toLocaleString('en-US')} members in ${where} …`);
  const t0 = performance.now();
  const database = await openDatabase(target);
  await migrateToLatest(database);
  const nowDate = new Date();
  const now = nowDate.toISOString();
  const today = localDate(nowDate);
  const plan = planFederation(benchSize(members), now);
  console.log(
    `  plan: ${plan.orgs.length.toLocaleString('en-US')} organizations, ${plan.workUnits.length.toLocaleString('en-US')} work units (${secs(t0)} s)`,
  );

  let n: number;
  if (target.kind === 'sqlite') {
    // The raw connection writes while Kysely's sits idle; both are closed before the recount.
    await database.close();
    const loader = sqliteLoader(target.file);
    n = await feed(plan, loader, database, today, now);
    loader.close();
  } else {
    const loader = await postgresLoader(target.url);
    n = await feed(plan, loader, database, today, now);
    await loader.close();
    await database.close();
  }
  const loaded = secs(t0);

  const t1 = performance.now();
  const db2 = await openDatabase(target);
  // The raw connection's ANALYZE dropped the marks that keep the planner off skip-scans.
  if (target.kind === 'sqlite') await forbidSkipScans(db2.db);
  const year = Number(today.slice(0, 4));
  await db2.db
    .insertInto('member_number_sequence')
    .values({ year, last_value: n })
    .onConflict((oc) => oc.column('year').doUpdateSet({ last_value: n }))
    .execute();
  await db2.db.transaction().execute((trx) => rebuildStatCounters(trx, db2.dialect, today));
  const recounted = secs(t1);
  const seconds = (performance.now() - t0) / 1000;
  if (target.kind === 'postgres') {
    await analyze(db2.db, db2.dialect);
    await sql`create table bench_federation (members integer not null, seconds real not null)`.execute(db2.db);
    await sql`insert into bench_federation values (${n}, ${seconds})`.execute(db2.db);
  } else {
    fs.writeFileSync(`${target.file}.built.json`, JSON.stringify({ members: n, seconds, builtAt: now }));
  }
  await db2.close();
  console.log(
    `built in ${seconds.toFixed(1)} s: ${n.toLocaleString('en-US')} members, ${plan.orgs.length.toLocaleString('en-US')} unions (load ${loaded} s, counters rebuilt in ${recounted} s)`,
  );
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void ensureBenchFederation().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
