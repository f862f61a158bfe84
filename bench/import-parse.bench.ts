/**
 * Roster import parsing benchmark. Generates N roster rows (unique people, one bad phone per
 * thousand) as an xlsx (exceljs streaming writer, shared strings, as Excel writes them) and as
 * a GBK CSV (as Chinese Excel saves one) in a temporary folder, then times, on the same files:
 *  (a) exceljs's streaming reader alone over the xlsx (what the import used before) beside our
 *      own xlsx reader alone (xlsx-reader.ts), every cell of every row touched by both;
 *  (a') exceljs alone again beside our whole path: file check (directory, zip-bomb limits,
 *      inflate-and-count pass), reader, header mapping and row validation;
 *  (b) a bare CSV line split (decode GBK, split on line breaks and commas): the ceiling of any
 *      CSV path; beside it our path: file check, encoding detection, RFC 4180 reader, mapping,
 *      validation.
 * Each phase runs in a fresh child process, so its peak RSS is its own; ceiling and ours
 * alternate, twice, and the best of each counts. Both run once more under a 256 MB heap cap,
 * to show memory stays bounded whatever N.
 * Prints rows/s, our/ceiling ratio and peak RSS. N from BENCH_IMPORT_N (default 200,000;
 * 1,000,000 for the scale run); BENCH_IMPORT_ONLY=xlsx or =csv runs one half.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROSTER_FIELDS, type RosterField } from '@zhgh/contracts';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { makeBankCard, makeIdNumber, TEMPLATE_HEADERS } from '../apps/server/test/import-files.ts';
import { checkImportFile } from '../apps/server/src/modules/imports/file-check.ts';
import { openRosterFile, scanRoster } from '../apps/server/src/modules/imports/roster-scan.ts';
import { readXlsxRows } from '../apps/server/src/modules/imports/xlsx-reader.ts';

const N = Number(process.env.BENCH_IMPORT_N ?? 200_000);
const ONLY = process.env.BENCH_IMPORT_ONLY;
const TODAY = '2026-06-01';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Row i: unique ID number (birth day × sequence), unique phone; every 1000th phone bad. */
function row(i: number): string[] {
  const day = i % 16_000;
  const birth = new Date(Date.UTC(1960, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
  const seq = Math.floor(i / 16_000) % 1000;
  const r: Record<RosterField, string> = {
    name: `王${'伟芳娜敏静丽强磊'[i % 8]}${'军洋勇艳杰娟涛明'[(i >> 3) % 8]}`,
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
    employmentType: i % 4 === 0 ? '新就业形态劳动者' : '固定职工',
    newFormGroup: i % 4 === 0 ? '快递员' : '',
    joinDate: '2023-05-01',
    memberNumber: `M${String(i).padStart(9, '0')}`,
    cardNumber: '',
    bankCard: makeBankCard(i),
  };
  return ROSTER_FIELDS.map((f) => r[f]);
}

async function writeFiles(dir: string): Promise<{ xlsx: string; csv: string }> {
  const xlsx = path.join(dir, 'roster.xlsx');
  const csv = path.join(dir, 'roster.csv');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: xlsx, useSharedStrings: true, useStyles: false });
  const sheet = workbook.addWorksheet('名册');
  sheet.addRow(TEMPLATE_HEADERS).commit();
  const out = fs.createWriteStream(csv);
  const csvLine = (cells: string[]) => iconv.encode(cells.join(',') + '\r\n', 'gbk');
  out.write(csvLine(TEMPLATE_HEADERS));
  for (let i = 0; i < N; i++) {
    const cells = row(i);
    sheet.addRow(cells).commit();
    if (!out.write(csvLine(cells))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  sheet.commit();
  await workbook.commit();
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { xlsx, csv };
}

interface Phase {
  rows: number;
  ms: number;
  /** Peak resident set of the child process that ran the phase. */
  peak: number;
  note?: string;
}

type PhaseName = 'exceljs' | 'reader-xlsx' | 'ours-xlsx' | 'split' | 'ours-csv';

/** Run one phase in a fresh process; `heapMb` caps its heap. */
function inChild(phase: PhaseName, file: string, heapMb?: number): Phase | 'failed' {
  const args = [
    ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    '--phase',
    phase,
    file,
  ];
  try {
    const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').at(-1)!) as Phase;
  } catch {
    return 'failed';
  }
}

async function runPhase(phase: PhaseName, file: string): Promise<void> {
  let rows: number;
  let note: string | undefined;
  const start = performance.now();
  if (phase === 'exceljs') rows = await exceljsAlone(file);
  else if (phase === 'reader-xlsx') rows = await readerAlone(file);
  else if (phase === 'split') rows = await bareSplit(file);
  else {
    const stats = { problems: 0, valid: 0, checkMs: 0 };
    rows = await ours(file, stats);
    note = `file check ${(stats.checkMs / 1000).toFixed(2)} s of it; ${fmt(stats.valid)} valid rows, ${fmt(stats.problems)} problems`;
  }
  const result: Phase = { rows, ms: performance.now() - start, peak: process.resourceUsage().maxRSS * 1024, note };
  console.log(JSON.stringify(result));
}

/** (a) ceiling: exceljs streaming reader alone, every cell touched. */
async function exceljsAlone(file: string): Promise<number> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(fs.createReadStream(file), {
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    worksheets: 'emit',
    entries: 'ignore',
  });
  let rows = 0;
  let cells = 0;
  let first = true;
  for await (const sheet of reader) {
    if (!first) continue;
    first = false;
    for await (const r of sheet) {
      cells += (r.values as unknown[]).length;
      rows++;
    }
  }
  if (cells === 0) throw new Error('no cells');
  return rows - 1;
}

/** Our xlsx reader alone, every cell touched as exceljs's are above. */
async function readerAlone(file: string): Promise<number> {
  let rows = 0;
  let cells = 0;
  for await (const r of readXlsxRows(file)) {
    cells += r.cells.length;
    rows++;
  }
  if (cells === 0) throw new Error('no cells');
  return rows - 1;
}

/** Our path: check, read, map, validate; counts valid rows and problems. */
async function ours(file: string, stats: { problems: number; valid: number; checkMs: number }) {
  const checkStart = performance.now();
  const check = await checkImportFile(file, { maxBytes: 10 * 1024 * 1024 * 1024 });
  stats.checkMs = performance.now() - checkStart;
  const source = await openRosterFile(file, check);
  const scan = await scanRoster(source.rows, { today: TODAY });
  let rows = 0;
  for await (const o of scan.outcomes) {
    if (o.row) stats.valid++;
    stats.problems += o.problems.length;
    rows++;
  }
  return rows;
}

/** (b) ceiling: decode GBK and split lines and commas, nothing more. */
async function bareSplit(file: string): Promise<number> {
  const decoder = iconv.getDecoder('gb18030');
  let rest = '';
  let rows = 0;
  let cells = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) {
    const lines = (rest + decoder.write(chunk as Buffer)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      cells += line.split(',').length;
      rows++;
    }
  }
  if (rest) rows++;
  if (cells === 0) throw new Error('no cells');
  return rows - 1;
}

/**
 * One baseline beside one or more of our phases. They alternate, ROUNDS times, and each keeps
 * its best: a shared machine's noise only slows. The baseline runs once per round however
 * many phases stand beside it (at a million rows exceljs is the slow one).
 */
function report(label: string, file: string, ceilingPhase: PhaseName, ours: { name: string; phase: PhaseName }[]) {
  const phases = [ceilingPhase, ...ours.map((o) => o.phase)];
  const runs: Phase[][] = phases.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    phases.forEach((phase, i) => {
      const result = inChild(phase, file);
      if (result === 'failed') throw new Error(`${label}: ${phase} failed`);
      runs[i]!.push(result);
    });
  }
  const best = (list: Phase[]) => list.reduce((a, b) => (b.ms < a.ms ? b : a));
  const rate = (p: Phase) => (p.rows / p.ms) * 1000;
  const line = (name: string, p: Phase) =>
    `  ${name.padEnd(9)}${fmt(p.rows)} rows in ${(p.ms / 1000).toFixed(2)} s = ${fmt(rate(p))} rows/s, peak RSS ${mb(p.peak)}`;
  const capped = (phase: PhaseName) => (inChild(phase, file, HEAP_CAP_MB) === 'failed' ? 'FAILS' : 'completes');
  const ceiling = best(runs[0]!);
  console.log(`\n${label}`);
  console.log(line('ceiling', ceiling));
  ours.forEach((o, i) => {
    const our = best(runs[i + 1]!);
    console.log(line(o.name, our));
    console.log(
      `  ${''.padEnd(9)}ratio ${o.name} / ceiling = ${(rate(our) / rate(ceiling)).toFixed(2)}${our.note ? `  (${our.note})` : ''}`,
    );
  });
  const cappedRuns = [`ceiling ${capped(ceilingPhase)}`, ...ours.map((o) => `${o.name} ${capped(o.phase)}`)];
  console.log(`  with a ${HEAP_CAP_MB} MB heap cap: ${cappedRuns.join(', ')}`);
}

const HEAP_CAP_MB = 256;
const ROUNDS = 2;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-bench-import-'));
  try {
    console.log(`import parse bench, N=${fmt(N)} rows (node ${process.version}, ${os.cpus().length} CPUs)`);
    const start = performance.now();
    const files = await writeFiles(dir);
    console.log(
      `generated in ${((performance.now() - start) / 1000).toFixed(1)} s: xlsx ${mb(fs.statSync(files.xlsx).size)}, ` +
        `CSV (GBK) ${mb(fs.statSync(files.csv).size)}`,
    );
    if (ONLY !== 'csv') {
      report(
        '(a) xlsx: exceljs streaming reader alone (ceiling) vs our reader alone (reader) and vs check + our reader + mapping + validation (path)',
        files.xlsx,
        'exceljs',
        [
          { name: 'reader', phase: 'reader-xlsx' },
          { name: 'path', phase: 'ours-xlsx' },
        ],
      );
    }
    if (ONLY !== 'xlsx') {
      report(
        '(b) CSV (GBK): bare decode + line split vs check + RFC 4180 reader + mapping + validation',
        files.csv,
        'split',
        [{ name: 'ours', phase: 'ours-csv' }],
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const phaseAt = process.argv.indexOf('--phase');
if (phaseAt >= 0) await runPhase(process.argv[phaseAt + 1] as PhaseName, process.argv[phaseAt + 2]!);
else await main();
