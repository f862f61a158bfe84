/**
 * Roster import WRITE benchmark: the whole import job end to end against the fastest bare
 * load of the same rows into the same database.
 *
 *  CSV:  the member.import job (file read, mapping, validation, blind indexes, encryption,
 *        duplicate checks, person + membership rows, counters, problems, audit event and
 *        checkpoint per chunk) on a fresh database, beside a bare load of the same rows
 *        into the same `person` table: on SQLite a prepared INSERT per row in one
 *        transaction (better-sqlite3, the file's own pragmas), on PostgreSQL a server-side
 *        `COPY person FROM '<file>' WITH (FORMAT csv)`. Goal: import ≥ 0.5 × bare. A second
 *        ceiling loads the same rows into both tables the import writes, each person with its
 *        membership (per-row INSERTs of both in 100k-row transactions on SQLite, COPY of both
 *        files on PostgreSQL): what the database alone costs for what the import stores.
 *  xlsx: the same job over the same rows as an xlsx beside exceljs's streaming
 *        WorkbookReader reading that file alone (every cell touched). Goal: ≥ 0.6 × exceljs,
 *        peak RSS ≤ 400 MB.
 *
 * Each phase runs in a fresh child process (its peak RSS is its own) over a fresh database
 * (SQLite file, or a fresh schema in DATABASE_URL's PostgreSQL). Rows are unique valid
 * people; every 1000th has a bad phone, so the problem path is exercised too.
 *
 *   npx tsx bench/import.bench.ts [rows=1000000] [--only csv|xlsx]
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/db npx tsx bench/import.bench.ts 20000
 *
 * IMPORT_CHUNK_ROWS sets the job's chunk size (default 5,000). BENCH_KEEP_FILES=1 keeps the
 * generated files and prints their folder, to profile one phase on its own:
 *   node --cpu-prof --import tsx bench/import.bench.ts --phase import-csv <dir>/roster.csv
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ROSTER_FIELDS, type RosterField } from '@zhgh/contracts';
import Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import pg from 'pg';
import { SYSTEM_ACTOR } from '../apps/server/src/core/actor.ts';
import { createInProcessJobQueue } from '../apps/server/src/core/jobs/jobs.ts';
import { createLedger } from '../apps/server/src/core/ledger/ledger.ts';
import { createWorkflowRegistry } from '../apps/server/src/core/workflow/definition.ts';
import { createWorkflowEngine } from '../apps/server/src/core/workflow/engine.ts';
import { migrateToLatest, openDatabase, type Target } from '../apps/server/src/db/database.ts';
import { MEMBERSHIP_COLUMNS } from '../apps/server/src/db/schema.ts';
import { PERSON_COLUMNS } from '../apps/server/src/modules/imports/imports.repository.ts';
import {
  createMemberImportHandler,
  estimateRows,
  MEMBER_IMPORT_JOB,
  type MemberImportPayload,
} from '../apps/server/src/modules/imports/member-import.job.ts';
import { createOrgsService } from '../apps/server/src/modules/orgs/orgs.service.ts';
import { createRegionsService } from '../apps/server/src/modules/regions/regions.service.ts';
import { makeBankCard, makeIdNumber, TEMPLATE_HEADERS } from '../apps/server/test/import-files.ts';
import { benchCore, benchTarget, phaseInChild } from './bench-db.ts';

const TODAY = '2026-06-01';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
// Decimal megabytes, the goal's unit (figures before 2026-11-24 were printed in MiB as "MB").
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** Row i of the roster: unique ID number (birth day × sequence), phone and member number. */
function rosterRow(i: number): Record<RosterField, string> {
  const day = i % 16_000;
  const birth = new Date(Date.UTC(1960, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
  const seq = Math.floor(i / 16_000) % 1000;
  const newForm = i % 4 === 0;
  return {
    name: `${'王李张刘陈杨赵黄'[i % 8]}${'伟芳娜敏静丽强磊'[(i >> 3) % 8]}${'军洋勇艳杰娟涛明'[(i >> 6) % 8]}`,
    idNumber: makeIdNumber(birth, seq),
    gender: '',
    birthDate: '',
    ethnicity: i % 9 === 0 ? '回族' : '汉族',
    politicalStatus: i % 3 === 0 ? '中共党员' : '群众',
    education: '本科',
    householdType: i % 2 === 0 ? '城镇户口' : '农村户口',
    householdRegion: '610113',
    phone: i % 1000 === 999 ? '1380000' : `1${String(3_000_000_000 + i)}`,
    workUnitName: '西安某某物流有限公司',
    employmentType: newForm ? '新就业形态劳动者' : '固定职工',
    newFormGroup: newForm ? '快递员' : '',
    joinDate: '2023-05-01',
    memberNumber: `M${String(i).padStart(9, '0')}`,
    cardNumber: '',
    bankCard: makeBankCard(i % 1_000_000_000),
  };
}

/** The same person as a `person` row for the bare load: values as they are, no crypto. */
function personLine(i: number, r: Record<RosterField, string>): string {
  const gender = Number(r.idNumber[16]) % 2 === 1 ? 'male' : 'female';
  const birth = `${r.idNumber.slice(6, 10)}-${r.idNumber.slice(10, 12)}-${r.idNumber.slice(12, 14)}`;
  const phone = r.phone.length === 11 ? r.phone : '';
  const values: Record<(typeof PERSON_COLUMNS)[number], string> = {
    id: `p${i}`,
    name: r.name,
    name_initials: 'x',
    id_number_cipher: r.idNumber,
    id_number_index: r.idNumber,
    gender,
    birth_date: birth,
    ethnicity: '01',
    political_status: 'masses',
    education: 'bachelor',
    household_type: 'urban',
    household_region: r.householdRegion,
    phone_cipher: phone,
    phone_index: phone || `none${i}`,
    bank_card_cipher: r.bankCard,
    bank_card_index: r.bankCard,
    employment_type: 'regular',
    new_form_group: '',
    work_unit_id: '',
    work_unit_name: r.workUnitName,
    real_name_verified: '0',
    created_at: '2026-06-01T00:00:00.000Z',
    updated_at: '2026-06-01T00:00:00.000Z',
  };
  return PERSON_COLUMNS.map((c) => values[c]).join(',');
}

/** The bare load's union, which every bare membership references. */
const BARE_ORG = { id: 'bench-org', path: '/bench-org/' };

/** Person i's membership row for the bare load of both tables. */
function membershipLine(i: number, r: Record<RosterField, string>): string {
  const values: Record<(typeof MEMBERSHIP_COLUMNS)[number], string> = {
    id: `m${i}`,
    person_id: `p${i}`,
    id_number_index: r.idNumber,
    org_id: BARE_ORG.id,
    org_path: BARE_ORG.path,
    province_root: BARE_ORG.path,
    name: r.name,
    name_initials: 'x',
    status: 'active',
    started_on: r.joinDate,
    ended_on: '',
    end_reason: '',
    member_number: r.memberNumber,
    card_number: '',
    created_at: '2026-06-01T00:00:00.000Z',
    updated_at: '2026-06-01T00:00:00.000Z',
  };
  return MEMBERSHIP_COLUMNS.map((c) => values[c]).join(',');
}

interface Files {
  csv: string;
  xlsx: string;
  person: string;
  membership: string;
}

/** The membership file that goes with a person file (same folder). */
const membershipFileOf = (personFile: string) => path.join(path.dirname(personFile), 'membership.csv');

async function writeFiles(dir: string, n: number): Promise<Files> {
  const csv = path.join(dir, 'roster.csv');
  const xlsx = path.join(dir, 'roster.xlsx');
  const person = path.join(dir, 'person.csv');
  const membership = membershipFileOf(person);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: xlsx, useSharedStrings: true, useStyles: false });
  const sheet = workbook.addWorksheet('名册');
  sheet.addRow(TEMPLATE_HEADERS).commit();
  const csvOut = fs.createWriteStream(csv);
  const personOut = fs.createWriteStream(person);
  const membershipOut = fs.createWriteStream(membership);
  const put = async (out: fs.WriteStream, text: string) => {
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  await put(csvOut, TEMPLATE_HEADERS.join(',') + '\r\n');
  for (let i = 0; i < n; i++) {
    const r = rosterRow(i);
    const cells = ROSTER_FIELDS.map((f) => r[f]);
    sheet.addRow(cells).commit();
    await put(csvOut, cells.join(',') + '\r\n');
    await put(personOut, personLine(i, r) + '\n');
    await put(membershipOut, membershipLine(i, r) + '\n');
  }
  sheet.commit();
  await workbook.commit();
  for (const out of [csvOut, personOut, membershipOut]) {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  // The PostgreSQL server reads the COPY file as its own OS user.
  fs.chmodSync(dir, 0o755);
  for (const f of [csv, xlsx, person, membership]) fs.chmodSync(f, 0o644);
  return { csv, xlsx, person, membership };
}

type PhaseName = 'import-csv' | 'import-xlsx' | 'bare' | 'bare-both' | 'exceljs';
interface Phase {
  rows: number;
  ms: number;
  peak: number;
  /** CPU time of the phase's process (user + system): steadier than wall time on a busy machine. */
  cpuMs: number;
  note?: string;
}

const inChild = (phase: PhaseName, file: string): Phase =>
  phaseInChild<Phase>(fileURLToPath(import.meta.url), [phase, file]);

/** The member.import job over `file` on a fresh database, through the job runner. */
async function importPhase(file: string, format: 'csv' | 'xlsx'): Promise<Omit<Phase, 'peak' | 'cpuMs'>> {
  const { target, cleanup } = await benchTarget();
  const database = await openDatabase(target);
  try {
    await migrateToLatest(database);
    const core = benchCore(database, 1);
    const ctx = { actor: SYSTEM_ACTOR };
    const orgs = createOrgsService(
      core,
      createRegionsService(),
      createWorkflowEngine(core, createWorkflowRegistry()),
      createLedger(core),
    );
    const root = await orgs.createRoot(ctx, { name: '基准省总工会', level: 'province' });
    const union = await orgs.provisionChild(ctx, {
      parentId: root.id,
      name: '基准公司工会',
      type: 'grassroots',
      level: null,
    } as Parameters<typeof orgs.provisionChild>[1]);
    const jobs = createInProcessJobQueue({ db: database.db, write: core.write, leaseMs: 10 * 60_000 });
    const chunkRows = Number(process.env.IMPORT_CHUNK_ROWS ?? 5_000);
    const deps = { ...core, jobs, config: { IMPORT_CHUNK_ROWS: chunkRows } as typeof core.config };
    jobs.register(MEMBER_IMPORT_JOB, createMemberImportHandler(deps));
    // The job removes its folder when done: give it a copy.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-bench-job-'));
    const kept = path.join(dir, path.basename(file));
    fs.copyFileSync(file, kept);

    // How long the event loop stalls while the job runs: what any other request served by
    // the same process would wait (a chunk's statements and commit run synchronously).
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    // And how long a request's read waits once the loop runs it: one small indexed read every
    // 100 ms, as the console's pages make while a cadre watches the progress bar.
    const readWaits: number[] = [];
    let probing = true;
    const probe = async (): Promise<void> => {
      if (!probing) return;
      const t0 = performance.now();
      await database.db.selectFrom('organization').select('name').where('id', '=', union.id).executeTakeFirst();
      readWaits.push(performance.now() - t0);
      setTimeout(() => void probe(), 100);
    };
    setTimeout(() => void probe(), 100);
    const start = performance.now();
    const payload: MemberImportPayload = {
      orgId: union.id,
      file: kept,
      fileName: path.basename(file),
      format,
      override: null,
      today: TODAY,
      headers: TEMPLATE_HEADERS,
      actor: SYSTEM_ACTOR,
      readScope: [],
      estimate: await estimateRows(kept, format, null),
    };
    const id = await jobs.enqueue(ctx, MEMBER_IMPORT_JOB, payload, { orgPath: union.path, total: payload.estimate });
    await jobs.drain();
    const ms = performance.now() - start;
    stalls.disable();
    probing = false;
    readWaits.sort((a, b) => a - b);
    const readAt = (q: number) => readWaits[Math.min(readWaits.length - 1, Math.floor(q * readWaits.length))] ?? 0;
    const job = (await jobs.get(id))!;
    if (job.status !== 'succeeded') throw new Error(`import ${job.status}: ${job.error}`);
    const r = job.result as { rowsRead: number; created: number; rowsWithProblems: number };
    fs.rmSync(dir, { recursive: true, force: true });
    return {
      rows: r.rowsRead,
      ms,
      note:
        `${fmt(r.created)} created, ${fmt(r.rowsWithProblems)} rows with problems, chunks of ${fmt(chunkRows)}; ` +
        `event loop stalled up to ${fmt(stalls.max / 1e6)} ms (p99 ${fmt(stalls.percentile(99) / 1e6)} ms); ` +
        `${fmt(readWaits.length)} reads meanwhile waited up to ${fmt(readAt(1))} ms (p99 ${fmt(readAt(0.99))} ms)`,
    };
  } finally {
    await database.close();
    await cleanup();
  }
}

/**
 * The bare load of person.csv into `person` (and with `both`, of membership.csv into
 * `membership`, each person's membership after it) on a fresh, migrated database.
 */
async function barePhase(file: string, both: boolean): Promise<Omit<Phase, 'peak' | 'cpuMs'>> {
  const { target, cleanup } = await benchTarget();
  const database = await openDatabase(target);
  await migrateToLatest(database);
  await database.close();
  try {
    if (target.kind === 'postgres') return await copyPg(target, file, both);
    return await insertSqlite(target.file, file, both);
  } finally {
    await cleanup();
  }
}

const BARE_ORG_SQL = `insert into organization (id, name, type, path, depth, province_root, created_at, updated_at)
  values ('${BARE_ORG.id}', 'bench', 'grassroots', '${BARE_ORG.path}', 0, '${BARE_ORG.path}', '2026-06-01T00:00:00Z', '2026-06-01T00:00:00Z')`;

async function copyPg(
  target: Extract<Target, { kind: 'postgres' }>,
  file: string,
  both: boolean,
): Promise<Omit<Phase, 'peak' | 'cpuMs'>> {
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    if (both) await client.query(BARE_ORG_SQL);
    const start = performance.now();
    // Empty strings load as NULL (FORMAT csv's default), as the import stores absent values.
    const res = await client.query(`copy person (${PERSON_COLUMNS.join(', ')}) from '${file}' with (format csv)`);
    if (both) {
      await client.query(
        `copy membership (${MEMBERSHIP_COLUMNS.join(', ')}) from '${membershipFileOf(file)}' with (format csv)`,
      );
    }
    return { rows: res.rowCount ?? 0, ms: performance.now() - start, note: 'server-side COPY' };
  } finally {
    await client.end();
  }
}

const oneRowInsert = (table: string, columns: readonly string[]) =>
  `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`;

async function insertSqlite(dbFile: string, file: string, both: boolean): Promise<Omit<Phase, 'peak' | 'cpuMs'>> {
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  if (both) db.prepare(BARE_ORG_SQL).run();
  const insertPerson = db.prepare(oneRowInsert('person', PERSON_COLUMNS));
  const insertMembership = db.prepare(oneRowInsert('membership', MEMBERSHIP_COLUMNS));
  const start = performance.now();
  let rows = 0;
  let batch: (string | null)[][][] = [];
  const flush = db.transaction((list: (string | null)[][][]) => {
    for (const [person, membership] of list) {
      insertPerson.run(person);
      if (membership) insertMembership.run(membership);
    }
  });
  const split = (line: string) => line.split(',').map((v) => (v === '' ? null : v));
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  const membershipLines = both
    ? readline.createInterface({ input: fs.createReadStream(membershipFileOf(file)), crlfDelay: Infinity })
    : null;
  const memberships = membershipLines?.[Symbol.asyncIterator]() ?? null;
  for await (const line of lines) {
    const membership = memberships ? await memberships.next() : null;
    batch.push(membership && !membership.done ? [split(line), split(membership.value)] : [split(line)]);
    rows++;
    if (batch.length === 100_000) {
      flush(batch);
      batch = [];
    }
  }
  flush(batch);
  const ms = performance.now() - start;
  db.close();
  return {
    rows,
    ms,
    note: `prepared INSERT per row${both ? ' into each table' : ''}, read + split of the same CSV, 100k rows per transaction`,
  };
}

/** exceljs's streaming reader alone over the xlsx, every cell touched. */
async function exceljsPhase(file: string): Promise<Omit<Phase, 'peak' | 'cpuMs'>> {
  const start = performance.now();
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, {
    sharedStrings: 'cache',
    styles: 'ignore',
    hyperlinks: 'ignore',
    worksheets: 'emit',
  });
  let rows = 0;
  let chars = 0;
  for await (const sheet of reader) {
    for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
      const values = row.values as unknown[];
      for (let c = 1; c < values.length; c++) chars += String(values[c] ?? '').length;
      rows++;
    }
    break;
  }
  return { rows: rows - 1, ms: performance.now() - start, note: `${fmt(chars)} characters` };
}

async function runPhase(phase: PhaseName, file: string): Promise<void> {
  const r =
    phase === 'import-csv'
      ? await importPhase(file, 'csv')
      : phase === 'import-xlsx'
        ? await importPhase(file, 'xlsx')
        : phase === 'bare' || phase === 'bare-both'
          ? await barePhase(file, phase === 'bare-both')
          : await exceljsPhase(file);
  const usage = process.resourceUsage();
  const result: Phase = { ...r, peak: usage.maxRSS * 1024, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 };
  console.log(JSON.stringify(result));
}

function line(label: string, p: Phase): void {
  const rate = p.rows / (p.ms / 1000);
  console.log(
    `  ${label.padEnd(34)} ${fmt(p.rows).padStart(10)} rows  ${(p.ms / 1000).toFixed(1).padStart(7)} s (CPU ${(p.cpuMs / 1000).toFixed(1).padStart(6)} s)  ${fmt(rate).padStart(9)} rows/s  peak RSS ${mb(p.peak).padStart(7)}${p.note ? `  (${p.note})` : ''}`,
  );
}

const rate = (p: Phase) => p.rows / (p.ms / 1000);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const phaseAt = args.indexOf('--phase');
  if (phaseAt !== -1) {
    await runPhase(args[phaseAt + 1] as PhaseName, args[phaseAt + 2]!);
    return;
  }
  const onlyAt = args.indexOf('--only');
  const only = onlyAt === -1 ? null : args[onlyAt + 1];
  const n = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--only') ?? 1_000_000);
  const engine = process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite';
  // In /tmp: the PostgreSQL server must be able to read the COPY file.
  const dir = fs.mkdtempSync(path.join('/tmp', 'zhgh-import-bench-'));
  try {
    console.log(`roster import write benchmark: ${fmt(n)} rows on ${engine} (${os.cpus().length} CPUs)`);
    const t0 = performance.now();
    const files = await writeFiles(dir, n);
    console.log(
      `  files written in ${((performance.now() - t0) / 1000).toFixed(1)} s: CSV ${mb(fs.statSync(files.csv).size)}, xlsx ${mb(fs.statSync(files.xlsx).size)}`,
    );
    if (only !== 'xlsx') {
      console.log('CSV');
      const bare = inChild('bare', files.person);
      line(engine === 'PostgreSQL' ? 'bare COPY person' : 'bare prepared INSERT person', bare);
      const bareBoth = inChild('bare-both', files.person);
      line(engine === 'PostgreSQL' ? 'bare COPY person + membership' : 'bare INSERT person + membership', bareBoth);
      const ours = inChild('import-csv', files.csv);
      line('import job (CSV), end to end', ours);
      console.log(
        `  ratio import / bare person: ${(rate(ours) / rate(bare)).toFixed(2)} (goal ≥ 0.5); import / bare person + membership: ${(rate(ours) / rate(bareBoth)).toFixed(2)}`,
      );
    }
    if (only !== 'csv') {
      console.log('xlsx');
      const alone = inChild('exceljs', files.xlsx);
      line('exceljs WorkbookReader alone', alone);
      const ours = inChild('import-xlsx', files.xlsx);
      line('import job (xlsx), end to end', ours);
      console.log(
        `  ratio import / exceljs: ${(rate(ours) / rate(alone)).toFixed(2)} (goal ≥ 0.6); import peak RSS ${mb(ours.peak)} (goal ≤ 400 MB)`,
      );
    }
  } finally {
    if (process.env.BENCH_KEEP_FILES === '1') console.log(`files kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
