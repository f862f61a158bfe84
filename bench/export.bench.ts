/**
 * Member export benchmark: the `export.members` job over a subtree of the benchmark federation
 * (seed-5m.ts; BENCH_MEMBERS for another size, DATABASE_URL for PostgreSQL), as CSV and as
 * xlsx, beside the ceiling of the same run: the export's own page query walking the same
 * subtree, nothing decrypted, masked or written. Besides the rate, each export prints the
 * longest stall of the event loop while it ran, which is what any request served by the same
 * process waits, and its peak RSS.
 *
 *   npx tsx bench/export.bench.ts [--org province|city]   (default: the Xi'an city federation)
 *
 * Each phase runs in a fresh child process with the server's heap flags, so its peak RSS is
 * its own. The export writes to a temporary folder, removed afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BENCH_FEDERATION } from '../apps/server/src/cli/demo/federation.ts';
import { SYSTEM_ACTOR } from '../apps/server/src/core/actor.ts';
import { createInProcessJobQueue } from '../apps/server/src/core/jobs/jobs.ts';
import { openDatabase } from '../apps/server/src/db/database.ts';
import type { OrganizationTable } from '../apps/server/src/db/schema.ts';
import { exportsRepository, type MemberCursor } from '../apps/server/src/modules/exports/exports.repository.ts';
import {
  createExportsService,
  EXPORT_PAGE_ROWS,
  type MemberExportPayload,
} from '../apps/server/src/modules/exports/exports.service.ts';
import { benchCore, phaseInChild } from './bench-db.ts';
import { ensureBenchFederation } from './seed-5m.ts';

type PhaseName = 'ceiling' | 'csv' | 'xlsx';
interface Phase {
  rows: number;
  ms: number;
  peak: number;
  stallMs?: number;
  stallP99Ms?: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const rate = (p: Phase) => p.rows / (p.ms / 1000);
const FILTER = { status: 'open' } as const;

/** The subtree to export: the province, or its capital's city federation. */
async function subtree(db: Awaited<ReturnType<typeof openDatabase>>['db'], which: string): Promise<OrganizationTable> {
  const query = db.selectFrom('organization').selectAll();
  return which === 'province'
    ? query.where('depth', '=', 0).executeTakeFirstOrThrow()
    : query
        .where('region_code', '=', '610100')
        .where('type', '=', 'federation')
        .orderBy('depth')
        .executeTakeFirstOrThrow();
}

async function runPhase(phase: PhaseName, which: string): Promise<Phase> {
  const target = await ensureBenchFederation();
  const database = await openDatabase(target);
  const org = await subtree(database.db, which);
  const scope = { permission: 'member.export' as const, paths: [org.path] };
  try {
    if (phase === 'ceiling') {
      const start = performance.now();
      let rows = 0;
      let after: MemberCursor | null = null;
      for (;;) {
        const page = await exportsRepository.memberPage(database.db, scope, FILTER, after, EXPORT_PAGE_ROWS);
        rows += page.length;
        if (page.length < EXPORT_PAGE_ROWS) break;
        const last = page.at(-1)!;
        after = { orgPath: last.org_path, id: last.membership_id };
      }
      return { rows, ms: performance.now() - start, peak: 0 };
    }
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-export-bench-'));
    const core = benchCore(database, BENCH_FEDERATION.seed);
    const jobs = createInProcessJobQueue({ db: database.db, write: core.write, leaseMs: 60 * 60_000 });
    createExportsService({ ...core, jobs, config: { DATA_DIR: dataDir } as typeof core.config });
    const payload: MemberExportPayload = {
      orgId: org.id,
      scopePaths: [org.path],
      format: phase,
      sensitive: false,
      filename: `bench.${phase}`,
      filter: FILTER,
    };
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    const start = performance.now();
    const id = await jobs.enqueue({ actor: SYSTEM_ACTOR }, 'export.members', payload, { orgPath: org.path });
    await jobs.drain();
    const ms = performance.now() - start;
    stalls.disable();
    const job = (await jobs.get(id))!;
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (job.status !== 'succeeded') throw new Error(`export ${job.status}: ${job.error}`);
    return {
      rows: (job.result as { rows: number }).rows,
      ms,
      peak: 0,
      stallMs: stalls.max / 1e6,
      stallP99Ms: stalls.percentile(99) / 1e6,
    };
  } finally {
    await database.close();
  }
}

const inChild = (phase: PhaseName, which: string): Phase =>
  phaseInChild<Phase>(fileURLToPath(import.meta.url), [phase, which]);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const phaseAt = args.indexOf('--phase');
  if (phaseAt !== -1) {
    const r = await runPhase(args[phaseAt + 1] as PhaseName, args[phaseAt + 2]!);
    console.log(JSON.stringify({ ...r, peak: process.resourceUsage().maxRSS * 1024 }));
    return;
  }
  const orgAt = args.indexOf('--org');
  const which = orgAt === -1 ? 'city' : args[orgAt + 1]!;
  // Built (or found) here once, so no phase times the build.
  await ensureBenchFederation();
  const engine = process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite';
  console.log(`member export benchmark: the ${which} subtree on ${engine} (${os.cpus().length} CPUs)`);
  const ceiling = inChild('ceiling', which);
  console.log(
    `  ceiling: page query alone        ${fmt(ceiling.rows).padStart(10)} rows ${(ceiling.ms / 1000).toFixed(1).padStart(7)} s ${fmt(rate(ceiling)).padStart(9)} rows/s`,
  );
  for (const format of ['csv', 'xlsx'] as const) {
    const p = inChild(format, which);
    console.log(
      `  export job (${format.padEnd(4)}), end to end    ${fmt(p.rows).padStart(10)} rows ${(p.ms / 1000).toFixed(1).padStart(7)} s ${fmt(rate(p)).padStart(9)} rows/s` +
        `  ratio ${(rate(p) / rate(ceiling)).toFixed(2)}  event loop stalled up to ${fmt(p.stallMs!)} ms (p99 ${fmt(p.stallP99Ms!)} ms)  peak RSS ${mb(p.peak)}`,
    );
  }
}

await main();
