import fs from 'node:fs';
import path from 'node:path';
import {
  CSV_CONTENT_TYPE,
  EXPORT_JOB_KINDS,
  type ExportFormat,
  type ExportJobKind,
  type ExportResult,
  type FileAnswer,
  type MemberExportBody,
  type UnionExportBody,
  XLSX_CONTENT_TYPE,
} from '@zhgh/contracts';
import { covers, type Scope, scopeFor } from '../../core/access/scope.ts';
import { type RequestContext, SYSTEM_ACTOR } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import { localDate } from '../../core/calendar.ts';
import type { CoreDeps } from '../../core/deps.ts';
import type { JobContext, JobView } from '../../core/jobs/jobs.ts';
import type { OrganizationTable } from '../../db/schema.ts';
import { classifySearch, PERSON_FIELD_CONTEXTS } from '../members/members.policy.ts';
import type { MemberListFilter, MemberSearchFilter } from '../members/members.repository.ts';
import { memberSearchFilter } from '../members/members.service.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import { type ExportCell, type ExportColumn, type ExportSink, openExportSink } from './export-file.ts';
import { exportFilename, isExpired, RETENTION_MS } from './exports.policy.ts';
import { MEMBER_EXPORT_COLUMNS, memberCells, UNION_COLUMNS, unionCells } from './exports.presenter.ts';
import { type MemberCursor, exportsRepository as repo } from './exports.repository.ts';

/**
 * Exports as jobs. The request checks everything about the actor (scope, the sensitive
 * permission) and snapshots the decision in the job's payload; the job, running later and
 * without a session, re-checks only that the organization still exists inside that scope,
 * then streams pages of rows into DATA_DIR/exports/<jobId>.<format>. Only the requester
 * downloads the file, while it is still in their scope, for EXPORT_RETENTION_DAYS.
 */

/** Rows per page: one query and one write each; small enough to keep memory flat. */
export const EXPORT_PAGE_ROWS = 500;

/** What an export job carries from the request; never a plaintext search term. */
interface ExportPayloadBase {
  orgId: string;
  /** The actor's member.export scope at request time. */
  scopePaths: string[];
  format: ExportFormat;
  sensitive: boolean;
  filename: string;
}
export interface MemberExportPayload extends ExportPayloadBase {
  filter: MemberListFilter;
}
export type UnionExportPayload = ExportPayloadBase;

const SHEET = { 'export.members': '会员名册', 'export.unions': '工会组织' } as const;

export function createExportsService(deps: CoreDeps) {
  const { db, write, cipher, blind, jobs } = deps;
  const C = PERSON_FIELD_CONTEXTS;
  const dir = path.join(deps.config.DATA_DIR, 'exports');
  const fileOf = (jobId: string, format: ExportFormat) => path.join(dir, `${jobId}.${format}`);

  /** Remove files past retention (and parts a crashed run left behind). */
  async function sweep(): Promise<number> {
    let removed = 0;
    const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
    const now = deps.now().getTime();
    for (const name of names) {
      const file = path.join(dir, name);
      const stat = await fs.promises.stat(file).catch(() => null);
      if (stat?.isFile() && now - stat.mtimeMs > RETENTION_MS) {
        await fs.promises.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** The organization to export: inside the actor's member.export scope, else NOT_FOUND. */
  async function loadTarget(ctx: RequestContext, orgId: string): Promise<{ org: OrganizationTable; scope: Scope }> {
    const scope = scopeFor(ctx.principal, 'member.export');
    const org = await orgsRepository.findById(db, orgId);
    if (!org || !covers(scope, org.path)) throw AppError.notFound();
    return { org, scope };
  }

  /** The search term as the member list applies it, by blind index for ID numbers and phones. */
  function searchFilter(q: string | undefined): { filter?: MemberSearchFilter; kind: string | null } {
    if (!q) return { kind: null };
    const s = classifySearch(q, localDate(deps.now()));
    return { kind: s.kind, filter: memberSearchFilter(s, blind) };
  }

  async function start(
    ctx: RequestContext,
    kind: ExportJobKind,
    org: OrganizationTable,
    payload: ExportPayloadBase & Partial<MemberExportPayload>,
    filters: Record<string, unknown>,
  ): Promise<JobView> {
    await sweep();
    // The queue audits the enqueue in its own transaction; the request event beside it says
    // what was asked (filters, sensitive), with the job as its subject.
    const id = await jobs.enqueue(ctx, kind, payload, { orgPath: org.path });
    await write(ctx, (s) =>
      s.audit({
        action: `${kind}.request`,
        subjectType: 'job',
        subjectId: id,
        orgPath: org.path,
        changes: [
          { field: 'orgId', to: org.id },
          { field: 'format', to: payload.format },
          { field: 'sensitive', to: payload.sensitive },
          ...(Object.keys(filters).length > 0 ? [{ field: 'filters', to: filters }] : []),
        ],
      }),
    );
    return (await jobs.get(id))!;
  }

  /**
   * The job side: the organization must still exist inside the snapshot scope (it may have
   * been moved out of it, or the id may be gone), then pages go to a `.part` file renamed
   * into place when complete, so a cancelled or failed run never leaves a downloadable file.
   * A resumed run starts over: a file is cheap to rewrite, and no checkpoint can go stale.
   */
  async function run(
    job: JobContext<ExportPayloadBase>,
    kind: ExportJobKind,
    columns: readonly ExportColumn[],
    count: (scope: Scope) => Promise<number>,
    pages: (scope: Scope) => AsyncGenerator<ExportCell[][]>,
  ): Promise<ExportResult> {
    const p = job.payload;
    const org = await orgsRepository.findById(db, p.orgId);
    if (!org || !covers({ permission: 'member.export', paths: p.scopePaths }, org.path)) {
      throw AppError.notFound('the organization to export no longer exists in the scope');
    }
    const scope: Scope = { permission: 'member.export', paths: [org.path] };
    const total = await count(scope);
    await job.progress(0, total);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    const final = fileOf(job.id, p.format);
    const part = `${final}.part`;
    let sink: ExportSink | null = null;
    let rows = 0;
    try {
      sink = await openExportSink(p.format, part, SHEET[kind], columns);
      for await (const page of pages(scope)) {
        await job.throwIfCancelled();
        await sink.writeRows(page);
        rows += page.length;
        await job.progress(rows, Math.max(total, rows));
      }
      await job.throwIfCancelled();
      await sink.close();
      sink = null;
      await fs.promises.rename(part, final);
    } catch (err) {
      await sink?.abort();
      await fs.promises.rm(part, { force: true });
      throw err;
    }
    await write({ actor: SYSTEM_ACTOR }, (s) =>
      s.audit({
        action: `${kind}.complete`,
        subjectType: 'job',
        subjectId: job.id,
        orgPath: org.path,
        changes: [
          { field: 'rows', to: rows },
          { field: 'format', to: p.format },
          { field: 'sensitive', to: p.sensitive },
        ],
      }),
    );
    return { rows, format: p.format, filename: p.filename, sensitive: p.sensitive };
  }

  jobs.register<MemberExportPayload, unknown>('export.members', (job) =>
    run(
      job,
      'export.members',
      MEMBER_EXPORT_COLUMNS,
      (scope) => repo.countMembers(db, scope, job.payload.filter),
      (scope) => memberPages(scope, job.payload),
    ),
  );
  jobs.register<UnionExportPayload, unknown>('export.unions', (job) =>
    run(job, 'export.unions', UNION_COLUMNS, (scope) => repo.countUnions(db, scope), unionPages),
  );

  async function* memberPages(scope: Scope, p: MemberExportPayload) {
    let after: MemberCursor | null = null;
    for (;;) {
      const page = await repo.memberPage(db, scope, p.filter, after, EXPORT_PAGE_ROWS);
      if (page.length === 0) return;
      yield page.map((row) =>
        memberCells(
          row,
          {
            idNumber: cipher.decrypt(row.id_number_cipher, C.idNumber),
            phone: row.phone_cipher ? cipher.decrypt(row.phone_cipher, C.phone) : null,
            bankCard: row.bank_card_cipher ? cipher.decrypt(row.bank_card_cipher, C.bankCard) : null,
          },
          p.sensitive,
        ),
      );
      const last = page.at(-1)!;
      after = { orgPath: last.org_path, id: last.membership_id };
      if (page.length < EXPORT_PAGE_ROWS) return;
    }
  }

  async function* unionPages(scope: Scope) {
    let after: string | null = null;
    for (;;) {
      const page = await repo.unionPage(db, scope, after, EXPORT_PAGE_ROWS);
      if (page.length === 0) return;
      const ids = page.map((o) => o.id);
      const [counts, units] = await Promise.all([repo.memberCounts(db, ids), repo.coveredUnits(db, ids)]);
      yield page.map((o) => unionCells(o, counts.get(o.id) ?? 0, units.get(o.id) ?? []));
      after = page.at(-1)!.path;
      if (page.length < EXPORT_PAGE_ROWS) return;
    }
  }

  const today = () => localDate(deps.now());

  return {
    sweep,

    async exportMembers(ctx: RequestContext, body: MemberExportBody): Promise<JobView> {
      const { org, scope } = await loadTarget(ctx, body.orgId);
      if (body.sensitive && !covers(scopeFor(ctx.principal, 'member.exportSensitive'), org.path)) {
        throw new AppError('FORBIDDEN', [
          fieldError('body.sensitive', 'invalid', {
            'zh-CN': '导出未脱敏数据需要该组织的“导出未脱敏数据”权限',
            en: 'Exporting unmasked data needs member.exportSensitive at this organization',
          }),
        ]);
      }
      const search = searchFilter(body.q);
      const payload: MemberExportPayload = {
        orgId: org.id,
        scopePaths: [...scope.paths],
        format: body.format,
        sensitive: body.sensitive,
        filename: exportFilename('会员名册', org.name, today(), body.format),
        filter: {
          status: body.status,
          ...(body.employmentType ? { employmentType: body.employmentType } : {}),
          ...(body.gender ? { gender: body.gender } : {}),
          ...(search.filter ? { search: search.filter } : {}),
        },
      };
      // The audit names the kind of search, never an ID number or phone typed into it.
      const filters: Record<string, unknown> = { status: body.status };
      if (body.employmentType) filters.employmentType = body.employmentType;
      if (body.gender) filters.gender = body.gender;
      if (search.kind) filters.q = search.kind === 'name' || search.kind === 'initials' ? body.q : `(${search.kind})`;
      return start(ctx, 'export.members', org, payload, filters);
    },

    async exportUnions(ctx: RequestContext, body: UnionExportBody): Promise<JobView> {
      const { org, scope } = await loadTarget(ctx, body.orgId);
      const payload: UnionExportPayload = {
        orgId: org.id,
        scopePaths: [...scope.paths],
        format: body.format,
        sensitive: false,
        filename: exportFilename('工会组织', org.name, today(), body.format),
      };
      return start(ctx, 'export.unions', org, payload, {});
    },

    /**
     * The finished file, for its requester only, while the organization is still in their
     * member.export scope (and member.exportSensitive for a sensitive one). Anything else is
     * NOT_FOUND, exactly like a missing job, so job ids reveal nothing.
     */
    async download(ctx: RequestContext, jobId: string): Promise<FileAnswer> {
      const job = await jobs.get(jobId);
      if (
        !job ||
        !(EXPORT_JOB_KINDS as readonly string[]).includes(job.kind) ||
        job.createdBy === null ||
        job.createdBy !== ctx.actor.id ||
        job.status !== 'succeeded' ||
        !covers(scopeFor(ctx.principal, 'member.export'), job.orgPath)
      ) {
        throw AppError.notFound();
      }
      const result = job.result as ExportResult;
      if (result.sensitive && !covers(scopeFor(ctx.principal, 'member.exportSensitive'), job.orgPath)) {
        throw AppError.notFound('sensitive export outside member.exportSensitive scope');
      }
      const file = fileOf(job.id, result.format);
      if (job.finishedAt && isExpired(job.finishedAt, deps.now())) {
        await fs.promises.rm(file, { force: true });
        throw new AppError('EXPORT_FILE_EXPIRED');
      }
      // Opened before the audit: a swept file answers EXPORT_FILE_EXPIRED, not a broken stream.
      const handle = await fs.promises.open(file, 'r').catch(() => null);
      if (!handle) throw new AppError('EXPORT_FILE_EXPIRED', undefined, 'file removed');
      try {
        await write(ctx, (s) =>
          s.audit({
            action: 'export.download',
            subjectType: 'job',
            subjectId: job.id,
            orgPath: job.orgPath,
            changes: [
              { field: 'kind', to: job.kind },
              { field: 'rows', to: result.rows },
              { field: 'sensitive', to: result.sensitive },
            ],
          }),
        );
      } catch (err) {
        await handle.close();
        throw err;
      }
      return {
        filename: result.filename,
        body: handle.createReadStream(),
        contentType: result.format === 'csv' ? CSV_CONTENT_TYPE : XLSX_CONTENT_TYPE,
      };
    },
  };
}
export type ExportsService = ReturnType<typeof createExportsService>;
