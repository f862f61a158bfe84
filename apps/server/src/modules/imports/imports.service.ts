import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import {
  type FileAnswer,
  type MemberPreview,
  ROSTER_FIELD_LABELS,
  PREVIEW_SAMPLE_ROWS,
  PREVIEW_SCAN_ROWS,
  type RosterProblem,
} from '@zhgh/contracts';
import { requireInScope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError } from '../../core/app-error.ts';
import { localDate } from '../../core/calendar.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { JobView } from '../../core/jobs/jobs.ts';
import type { UploadedFile } from '../../http/files.ts';
import { checkUnionAcceptsMembers } from '../members/members.policy.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import { type ReportRow, writeErrorReport } from './error-report.ts';
import { checkImportFile, DEFAULT_ZIP_LIMITS, type FileCheck, type ZipLimits } from './file-check.ts';
import type { MappingOverride } from './header-mapping.ts';
import { presentPreviewValues } from './imports.presenter.ts';
import { importsRepository } from './imports.repository.ts';
import {
  createMemberImportHandler,
  estimateRows,
  importDir,
  MEMBER_IMPORT_JOB,
  type MemberImportCheckpoint,
  type MemberImportPayload,
} from './member-import.job.ts';
import { openRosterFile, scanRoster } from './roster-scan.ts';
import { memberTemplateStream, TEMPLATE_FILENAME } from './template.ts';

/**
 * Roster import: the preview (over `scanRoster` of roster-scan.ts, which the import job
 * shares), the import itself as the job `member.import` (member-import.job.ts), and the
 * error report of a finished import.
 */

/** A cancelled or failed import keeps its file this long for a resume. */
export const IMPORT_KEEP_DAYS = 7;
/** A kept upload without a job row is removed after this long. */
const ORPHAN_MS = 60 * 60_000;

/** Problems read per query while the error report streams. */
const REPORT_PAGE = 1_000;

export function createImportsService(deps: CoreDeps) {
  const { db, config, jobs } = deps;
  const zip: ZipLimits = { ...DEFAULT_ZIP_LIMITS, maxUnzippedBytes: config.IMPORT_MAX_UNZIPPED_BYTES };
  jobs.register<MemberImportPayload, MemberImportCheckpoint>(MEMBER_IMPORT_JOB, createMemberImportHandler(deps));

  /** The union a roster goes to: inside the actor's member.import scope, else NOT_FOUND. */
  async function loadImportTarget(ctx: RequestContext, orgId: string) {
    const org = await orgsRepository.findById(db, orgId);
    if (!org) throw AppError.notFound();
    requireInScope(scopeFor(ctx.principal, 'member.import'), org.path);
    return org;
  }

  /**
   * Remove kept upload folders nobody will use again: of succeeded jobs (normally removed by
   * the job itself), of jobs cancelled or failed more than IMPORT_KEEP_DAYS ago, and of
   * uploads whose job never got queued. Runs with each new import: cheap, a folder listing.
   */
  async function sweepImportFiles(): Promise<number> {
    const root = path.join(config.DATA_DIR, 'imports');
    const names = await fs.promises.readdir(root).catch(() => [] as string[]);
    if (names.length === 0) return 0;
    const rows = await db.selectFrom('job').select(['id', 'status', 'finished_at']).where('id', 'in', names).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const now = deps.now().getTime();
    let removed = 0;
    for (const name of names) {
      const job = byId.get(name);
      let stale: boolean;
      if (!job) {
        // An upload is copied before its job row commits: only an old orphan is stale.
        const stat = await fs.promises.stat(path.join(root, name)).catch(() => null);
        stale = stat !== null && now - stat.mtimeMs > ORPHAN_MS;
      } else if (job.status === 'succeeded') stale = true;
      else if (job.status === 'cancelled' || job.status === 'failed') {
        stale = job.finished_at !== null && now - Date.parse(job.finished_at) > IMPORT_KEEP_DAYS * 86_400_000;
      } else stale = false;
      if (stale) {
        await fs.promises.rm(path.join(root, name), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  return {
    loadImportTarget,
    sweepImportFiles,

    /** Check an uploaded file by its bytes (type, size, zip bomb). */
    checkFile(path: string): Promise<FileCheck> {
      return checkImportFile(path, { maxBytes: config.IMPORT_MAX_BYTES, zip });
    },

    /**
     * Start importing a roster: the union, the file and its header are checked now (so an
     * unusable file is answered at once), the file is kept under DATA_DIR/imports/<jobId>
     * for the job (and any resume of it), and the job is queued.
     */
    async importMembers(
      ctx: RequestContext,
      input: { orgId: string; mapping?: MappingOverride | undefined },
      file: UploadedFile,
    ): Promise<JobView> {
      const org = await loadImportTarget(ctx, input.orgId);
      checkUnionAcceptsMembers(org);
      const check = await this.checkFile(file.path);
      const today = localDate(deps.now());
      const source = await openRosterFile(file.path, check);
      let headers: string[];
      try {
        const scan = await scanRoster(source.rows, { today, ...(input.mapping ? { override: input.mapping } : {}) });
        headers = scan.mapping.headers;
        if (scan.mapping.missingRequired.length > 0) {
          const names = scan.mapping.missingRequired.map((f) => ROSTER_FIELD_LABELS[f]);
          throw AppError.invalid('body.file', 'required', {
            'zh-CN': `名册缺少必填列：${names.map((n) => n.zh).join('、')}（可用 mapping 指定列）`,
            en: `The roster lacks required columns: ${names.map((n) => n.en).join(', ')} (map them with mapping)`,
          });
        }
      } finally {
        await source.rows.return(undefined);
        source.close();
      }
      await sweepImportFiles();
      const id = newId();
      const dir = importDir(config.DATA_DIR, id);
      const kept = path.join(dir, check.kind === 'xlsx' ? 'roster.xlsx' : 'roster.csv');
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
      try {
        await fs.promises.copyFile(file.path, kept);
        const sheetBytes =
          check.kind === 'xlsx'
            ? Math.max(
                0,
                ...(check.entries ?? [])
                  .filter((e) => e.name.startsWith('xl/worksheets/'))
                  .map((e) => e.uncompressedSize),
              )
            : null;
        const payload: MemberImportPayload = {
          orgId: org.id,
          file: kept,
          fileName: file.filename,
          format: check.kind,
          override: input.mapping ?? null,
          today,
          headers,
          actor: ctx.actor,
          readScope: [...scopeFor(ctx.principal, 'member.read').paths],
          estimate: await estimateRows(kept, check.kind, sheetBytes),
        };
        await jobs.enqueue(ctx, MEMBER_IMPORT_JOB, payload, { orgPath: org.path, id, total: payload.estimate });
      } catch (err) {
        await fs.promises.rm(dir, { recursive: true, force: true });
        throw err;
      }
      return (await jobs.get(id))!;
    },

    /**
     * The rows of an import that were not imported, as an xlsx to fix and upload again.
     * It holds the cells as uploaded (whole ID numbers included), so it takes member.import
     * where the import went, like the upload itself.
     */
    async errorReport(ctx: RequestContext, jobId: string): Promise<FileAnswer> {
      const job = await db.selectFrom('job').selectAll().where('id', '=', jobId).executeTakeFirst();
      if (!job || job.kind !== MEMBER_IMPORT_JOB) throw AppError.notFound();
      requireInScope(scopeFor(ctx.principal, 'member.import'), job.org_path);
      const payload = JSON.parse(job.payload) as MemberImportPayload;
      async function* rows(): AsyncGenerator<ReportRow> {
        for (let after = 0; ;) {
          const page = await importsRepository.problemsAfter(db, jobId, after, REPORT_PAGE);
          for (const p of page) {
            yield {
              rowNumber: p.row_number,
              cells: JSON.parse(p.cells) as string[],
              problems: JSON.parse(p.problems) as RosterProblem[],
            };
          }
          if (page.length < REPORT_PAGE) return;
          after = page[page.length - 1]!.row_number;
        }
      }
      const body = new PassThrough();
      writeErrorReport(body, payload.headers, rows()).catch((err: unknown) => body.destroy(err as Error));
      const base = payload.fileName.replace(/\.[^.]*$/, '') || '名册';
      return { filename: `${base}-错误报告.xlsx`, body };
    },

    memberTemplate(): FileAnswer {
      return { filename: TEMPLATE_FILENAME, body: memberTemplateStream() };
    },

    /**
     * What importing this file would do, without doing it: format, header mapping, the first
     * rows as parsed and the problems of the first rows.
     */
    async previewMembers(
      ctx: RequestContext,
      input: { orgId: string; mapping?: MappingOverride | undefined },
      file: UploadedFile,
    ): Promise<MemberPreview> {
      // Scope first: an id outside it answers 404 whatever the file holds.
      await loadImportTarget(ctx, input.orgId);
      const check = await this.checkFile(file.path);
      const source = await openRosterFile(file.path, check);
      try {
        const scan = await scanRoster(source.rows, {
          today: localDate(deps.now()),
          ...(input.mapping ? { override: input.mapping } : {}),
        });
        const rows: MemberPreview['rows'] = [];
        const problems: RosterProblem[] = [];
        let scanned = 0;
        let withProblems = 0;
        let moreRows = false;
        for await (const outcome of scan.outcomes) {
          if (scanned === PREVIEW_SCAN_ROWS) {
            moreRows = true;
            break;
          }
          scanned++;
          if (outcome.problems.length > 0) withProblems++;
          problems.push(...outcome.problems);
          if (rows.length < PREVIEW_SAMPLE_ROWS) {
            rows.push({
              row: outcome.rowNumber,
              values: presentPreviewValues(outcome.values),
              ok: outcome.problems.length === 0,
            });
          }
        }
        const { mapped, unmapped, missingRequired } = scan.mapping;
        return {
          format: source.format,
          encoding: source.encoding,
          delimiter: source.delimiter,
          headerRow: scan.headerRow,
          mapping: { mapped, unmapped, missingRequired },
          rows,
          problems,
          rowsScanned: scanned,
          rowsWithProblems: withProblems,
          moreRows,
        };
      } finally {
        await source.rows.return(undefined);
        source.close();
      }
    },
  };
}
export type ImportsService = ReturnType<typeof createImportsService>;
