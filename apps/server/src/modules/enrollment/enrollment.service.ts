import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import {
  ENROLLMENT_LIST_MAX_ROWS,
  ENROLLMENT_PREVIEW_PROBLEMS,
  ENROLLMENT_PREVIEW_SAMPLE_ROWS,
  type EnrollmentListResult,
  type EnrollmentPreview,
  type EnrollmentProblem,
  type enrollmentEventBody,
  type FileAnswer,
  parseIdNumber,
  ROSTER_FIELD_LABELS,
  type RosterProblem,
} from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import QRCode from 'qrcode';
import type { z } from 'zod';
import { covers, narrowScope, requireInScope, type Scope, scopeFor } from '../../core/access/scope.ts';
import type { Actor, RequestContext } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import { localDate } from '../../core/calendar.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { JobContext, JobView } from '../../core/jobs/jobs.ts';
import { qrPng, renderPdf } from '../../core/pdf.ts';
import type { WorkflowEngine } from '../../core/workflow/engine.ts';
import { isUniqueViolation, lockShared } from '../../db/dialect.ts';
import { ORG_TREE_LOCK } from '../../db/org-scoped.ts';
import type { DB, EnrollmentEventTable, ImportProblemTable, OrganizationTable } from '../../db/schema.ts';
import type { UploadedFile } from '../../http/files.ts';
import { writeErrorReport } from '../imports/error-report.ts';
import { checkImportFile, DEFAULT_ZIP_LIMITS, type FileCheck, type FileKind } from '../imports/file-check.ts';
import type { HeaderMapping, MappingOverride } from '../imports/header-mapping.ts';
import { importsRepository } from '../imports/imports.repository.ts';
import { openRosterFile, readHeader } from '../imports/roster-scan.ts';
import { isBlankRow } from '../imports/sheet-row.ts';
import { applicationPending, checkJoinForm } from '../joining/joining.policy.ts';
import type { Filing, JoiningService } from '../joining/joining.service.ts';
import { checkUnionAcceptsMembers, PERSON_FIELD_CONTEXTS } from '../members/members.policy.ts';
import {
  createListValidator,
  eventCode,
  eventRefusal,
  eventState,
  joinPath,
  listMapping,
  listProblem,
  type ListOutcome,
  missingColumnProblems,
} from './enrollment.policy.ts';
import { emptyTally, presentApplication, presentBatch, presentPreviewRow } from './enrollment.presenter.ts';
import { type BatchRow, enrollmentRepository as repo } from './enrollment.repository.ts';
import { orgIdOfPath } from '../../core/org-path.ts';

/**
 * Group enrollment (集中入会, decision 0019): a list imported by a union, or the workers who
 * scan an event's QR code, become join applications of one batch at that union, which the
 * union may approve in one batch step of the engine. The applications are the joining
 * module's; this module groups them, reads the lists, and runs the events.
 */

export const ENROLLMENT_LIST_JOB = 'enrollment.list';
/**
 * Rows a list job writes per transaction (and per checkpoint). Each accepted row is an engine
 * start — instance, history, audit event, the application — so 500 rows keep a transaction
 * (and the audit chain lock it holds) well under a second, and a cancel or a crash loses at
 * most one chunk's work, which the resume redoes.
 */
export const ENROLLMENT_CHUNK_ROWS = 500;
/** Good rows checked against the database per round of lookups in a preview. */
const PREVIEW_LOOKUP_ROWS = 1_000;
/** Problems read per query while the error report streams. */
const REPORT_PAGE = 1_000;

const MANAGE = 'membership.enroll';
const REVIEW = 'membership.review';
const C = PERSON_FIELD_CONTEXTS;

export interface EnrollmentListPayload {
  batchId: string;
  orgId: string;
  /** Where the uploaded list is kept until the job has succeeded. */
  file: string;
  fileName: string;
  format: FileKind;
  override: MappingOverride | null;
  /** The import's "today" (Beijing), fixed at upload so a resume judges rows the same way. */
  today: string;
  /** The header as uploaded: the error report repeats it. */
  headers: string[];
  /** The importer, who the audit events and the applications name. */
  actor: Actor;
  /** The importer's member.read scope at upload: the unions a duplicate may be named by. */
  readScope: string[];
  /** The importer's membership.enroll scope at upload: where the job may file applications. */
  enrollScope: string[];
}

export interface EnrollmentListCheckpoint {
  /** Last file row handled by a committed chunk. */
  lastRow: number;
  tally: EnrollmentListResult;
}

/** Files of list imports live under DATA_DIR/enrollment/<jobId>/, kept for a resume until the job succeeds. */
export function listDir(dataDir: string, jobId: string): string {
  return path.join(dataDir, 'enrollment', jobId);
}

interface ListScan {
  mapping: HeaderMapping;
  headerRow: number;
  outcomes: AsyncGenerator<ListOutcome>;
  close: () => Promise<void>;
  format: FileKind;
  encoding: EnrollmentPreview['encoding'];
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A list job acts for its importer with the membership.enroll scope they had at upload (as the
 * roster import keeps the importer's member.read scope): the engine's start checks it.
 */
function importerContext(actor: Actor, enrollScope: readonly string[]): RequestContext {
  if (actor.kind !== 'user') return { actor, requestId: null };
  const permissions = new Set([MANAGE]);
  return {
    actor,
    requestId: null,
    principal: {
      userId: actor.id,
      userKind: actor.userKind,
      sessionId: 'job',
      grants: enrollScope.map((path) => ({
        id: `job:${path}`,
        roleId: 'job',
        roleCode: 'job',
        orgId: orgIdOfPath(path),
        orgPath: path,
        permissions,
      })),
      permissions,
    },
  };
}

/** What group enrollment asks of joining: its applicant checks, and filing in a unit of work. */
type Joining = Pick<JoiningService, 'checkApplicant' | 'fileIn'>;

export function createEnrollmentService(deps: CoreDeps, engine: WorkflowEngine, joining: Joining) {
  const { db, write, config, jobs, blind, dialect, cipher } = deps;
  const zip = { ...DEFAULT_ZIP_LIMITS, maxUnzippedBytes: config.IMPORT_MAX_UNZIPPED_BYTES };
  const iso = () => deps.now().toISOString();
  const idIndex = (idNumber: string) => blind.index(idNumber, C.idNumber);
  const phoneIndex = (phone: string) => blind.index(phone, C.phone);

  /** A worker's application at the union that enrolls them, in joining's terms. */
  const filingAt = (
    union: OrganizationTable,
    worker: Omit<Filing, 'unionOrgId' | 'route' | 'workRegionCode'>,
  ): Filing => ({
    ...worker,
    workRegionCode: null,
    unionOrgId: union.id,
    // The union that enrolls the list or runs the event took the workers in itself.
    route: 'employer',
  });

  /** A union in the actor's scope of `permission`, else the 404 of a missing id. */
  async function unionInScope(ctx: RequestContext, permission: string, orgId: string) {
    const org = await repo.findOrg(db, orgId);
    if (!org) throw AppError.notFound();
    requireInScope(scopeFor(ctx.principal, permission), org.path);
    return org;
  }

  async function batchInScope(ctx: RequestContext, permission: string, id: string): Promise<BatchRow> {
    const batch = await repo.findBatch(db, id);
    if (!batch) throw AppError.notFound();
    requireInScope(scopeFor(ctx.principal, permission), batch.org_path);
    return batch;
  }

  async function eventInScope(ctx: RequestContext, id: string) {
    const event = await repo.findEvent(db, id);
    if (!event) throw AppError.notFound();
    const batch = await batchInScope(ctx, MANAGE, event.batch_id);
    return { event, batch };
  }

  async function present(batch: BatchRow) {
    const [tallies, event] = await Promise.all([
      repo.tallies(db, [batch.id]),
      batch.kind === 'event' ? repo.eventOfBatch(db, batch.id) : Promise.resolve(undefined),
    ]);
    return presentBatch(batch, tallies.get(batch.id) ?? emptyTally(), event, deps.now());
  }

  /** Open a checked list: find its header, map it, and validate the rows after it one at a time. */
  async function scanList(file: string, check: FileCheck, override: MappingOverride | null, today: string) {
    const source = await openRosterFile(file, check);
    const close = async () => {
      await source.rows.return(undefined);
      source.close();
    };
    try {
      const { headerRow, mapping } = await readHeader(source.rows, override ?? {});
      const validate = createListValidator(mapping, { today });
      const rows = source.rows;
      async function* outcomes(): AsyncGenerator<ListOutcome> {
        for (let next = await rows.next(); !next.done; next = await rows.next()) {
          if (isBlankRow(next.value.cells)) continue;
          yield validate(next.value);
        }
      }
      const scan: ListScan = {
        mapping,
        headerRow,
        outcomes: outcomes(),
        close,
        format: source.format,
        encoding: source.encoding,
      };
      return scan;
    } catch (err) {
      await close();
      throw err;
    }
  }

  function requireColumns(mapping: HeaderMapping) {
    const missing = listMapping(mapping).missingRequired;
    if (missing.length === 0) return;
    const names = missing.map((f) => ROSTER_FIELD_LABELS[f]);
    throw AppError.invalid('body.file', 'required', {
      'zh-CN': `名单缺少必填列：${names.map((n) => n.zh).join('、')}（可用 mapping 指定列）`,
      en: `The list lacks required columns: ${names.map((n) => n.en).join(', ')} (map them with mapping)`,
    });
  }

  /**
   * What the database says about good rows: the person is a member here already, a member of
   * another union (named when the importer may read it), has an application pending, or the
   * phone belongs to someone else. Returns the problems by row.
   */
  async function databaseProblems(
    q: Kysely<DB>,
    union: OrganizationTable,
    mapping: HeaderMapping,
    good: readonly ListOutcome[],
    readScope: Scope,
  ): Promise<{ problems: Map<number, EnrollmentProblem[]>; duplicates: Set<number> }> {
    const problems = new Map<number, EnrollmentProblem[]>();
    const duplicates = new Set<number>();
    if (good.length === 0) return { problems, duplicates };
    const ids = good.map((o) => idIndex(o.row!.idNumber));
    const phones = good.map((o) => phoneIndex(o.row!.phone));
    const [open, pending, holders] = [
      await importsRepository.openMembershipsByIdIndex(q, dialect, ids),
      await repo.pendingIdIndexes(q, ids),
      await repo.phoneHolders(q, phones),
    ];
    const openBy = new Map(open.map((m) => [m.id_number_index, m]));
    const holderBy = new Map(holders.map((h) => [h.phone_index!, h.id_number_index]));
    good.forEach((o, i) => {
      const list: EnrollmentProblem[] = [];
      const held = openBy.get(ids[i]!);
      if (held && held.org_id === union.id) {
        list.push(listProblem(mapping, o.rowNumber, 'idNumber', 'already_member_here'));
        duplicates.add(o.rowNumber);
      } else if (held) {
        list.push(
          listProblem(mapping, o.rowNumber, 'idNumber', 'duplicate_in_database', {
            ...(covers(readScope, held.org_path) ? { orgName: held.org_name } : {}),
          }),
        );
      } else if (pending.has(ids[i]!)) {
        list.push(listProblem(mapping, o.rowNumber, 'idNumber', 'application_pending'));
        duplicates.add(o.rowNumber);
      }
      const holder = holderBy.get(phones[i]!);
      if (holder !== undefined && holder !== ids[i])
        list.push(listProblem(mapping, o.rowNumber, 'phone', 'phone_taken'));
      if (list.length > 0) problems.set(o.rowNumber, list);
    });
    return { problems, duplicates };
  }

  /** The list job: good rows become join applications of the batch, chunk by chunk. */
  async function runListJob(
    job: JobContext<EnrollmentListPayload, EnrollmentListCheckpoint>,
  ): Promise<EnrollmentListResult> {
    const p = job.payload;
    const ctx = importerContext(p.actor, p.enrollScope);
    const readScope: Scope = { permission: 'member.read', paths: p.readScope };
    const tally: EnrollmentListResult = job.resumeFrom?.tally ?? {
      batchId: p.batchId,
      rowsRead: 0,
      created: 0,
      refused: 0,
      duplicates: 0,
    };
    const lastDone = job.resumeFrom?.lastRow ?? 0;
    if (!fs.existsSync(p.file)) throw new Error(`enrollment list ${p.file} is gone`);
    const scan = await scanList(p.file, { kind: p.format, size: 0 }, p.override, p.today);
    try {
      let chunk: ListOutcome[] = [];
      // Every row is validated again from the top (in-file duplicates need the earlier rows);
      // those a committed chunk handled are not written twice.
      for await (const outcome of scan.outcomes) {
        if (outcome.rowNumber <= lastDone) continue;
        chunk.push(outcome);
        if (chunk.length === ENROLLMENT_CHUNK_ROWS) {
          await job.throwIfCancelled();
          await writeChunk(chunk);
          chunk = [];
        }
      }
      if (chunk.length > 0) await writeChunk(chunk);
    } finally {
      await scan.close();
    }
    await job.progress(tally.rowsRead, tally.rowsRead);
    // Done: nothing will resume the job, so the upload goes.
    await fs.promises.rm(path.dirname(p.file), { recursive: true, force: true });
    return tally;

    async function writeChunk(outcomes: ListOutcome[]) {
      const first = outcomes[0]!.rowNumber;
      const last = outcomes[outcomes.length - 1]!.rowNumber;
      const next = { ...tally, rowsRead: tally.rowsRead + outcomes.length };
      await write(ctx, async (s) => {
        // Organizations do not move while applications are filed under their paths.
        await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
        const union = await repo.findOrg(s.trx, p.orgId);
        if (!union) throw AppError.notFound('the union of the list is gone');
        checkUnionAcceptsMembers(union);
        const good = outcomes.filter((o) => o.row !== null);
        const found = await databaseProblems(s.trx, union, scan.mapping, good, readScope);
        const accepted = good.filter((o) => !found.problems.has(o.rowNumber));
        const persons = new Map(
          (
            await importsRepository.personsByIdIndex(
              s.trx,
              dialect,
              accepted.map((o) => idIndex(o.row!.idNumber)),
            )
          ).map((x) => [x.id_number_index, x.id]),
        );
        const created = await joining.fileIn(
          s,
          ctx,
          accepted.map((o) => {
            const r = o.row!;
            const id = parseIdNumber(r.idNumber) as { gender: 'male' | 'female'; birthDate: string };
            return filingAt(union, {
              name: r.name,
              identity: { idNumber: r.idNumber, gender: id.gender, birthDate: id.birthDate },
              phone: r.phone,
              workUnitId: null,
              workUnitName: r.workUnitName,
              employmentType: r.employmentType,
              newFormGroup: r.newFormGroup,
              personId: persons.get(idIndex(r.idNumber)) ?? null,
            });
          }),
          { source: 'list', batchId: p.batchId },
        );
        const refused: ImportProblemTable[] = [];
        for (const o of outcomes) {
          if (o.row !== null && !found.problems.has(o.rowNumber)) continue;
          const listed =
            o.problems.length > 0
              ? o.problems
              : (found.problems.get(o.rowNumber) ?? missingColumnProblems(scan.mapping, o.rowNumber));
          refused.push({
            job_id: job.id,
            row_number: o.rowNumber,
            cells: JSON.stringify(o.cells),
            problems: JSON.stringify(listed),
          });
        }
        await importsRepository.insertProblems(s.trx, dialect, refused);
        next.created += created.length;
        next.refused += refused.length;
        next.duplicates += found.duplicates.size;
        await repo.addTallies(
          s.trx,
          p.batchId,
          {
            rowsRead: outcomes.length,
            created: created.length,
            refused: refused.length,
            duplicates: found.duplicates.size,
          },
          iso(),
        );
        await s.audit({
          action: 'enrollment.list.chunk',
          subjectType: 'enrollment_batch',
          subjectId: p.batchId,
          orgPath: union.path,
          changes: [
            { field: 'rows', to: `${first}-${last}` },
            { field: 'created', to: created.length },
            { field: 'refused', to: refused.length },
            { field: 'duplicates', to: found.duplicates.size },
            { field: 'applicationIds', to: created.map((v) => v.id) },
          ],
        });
        await job.checkpointIn(s.trx, { lastRow: last, tally: next }, next.rowsRead, null);
      });
      // Only a committed chunk moves the tally on.
      Object.assign(tally, next);
    }
  }

  jobs.register<EnrollmentListPayload, EnrollmentListCheckpoint>(ENROLLMENT_LIST_JOB, runListJob);

  function eventBodyProblems(body: z.infer<typeof enrollmentEventBody>, now: Date) {
    const errors = [];
    if (Date.parse(body.closesAt) <= Date.parse(body.opensAt)) {
      errors.push(
        fieldError('body.closesAt', 'too_small', {
          'zh-CN': '结束时间须晚于开始时间',
          en: 'The end must come after the start',
        }),
      );
    } else if (Date.parse(body.closesAt) <= now.getTime()) {
      errors.push(
        fieldError('body.closesAt', 'too_small', { 'zh-CN': '结束时间已经过去', en: 'The end lies in the past' }),
      );
    }
    if (body.newFormGroup && body.employmentType !== 'new_form') {
      errors.push(
        fieldError('body.newFormGroup', 'invalid', {
          'zh-CN': '只有用工形式为新就业形态劳动者时才能预设新就业形态群体',
          en: 'A new-form group is preset only with the employment type new_form',
        }),
      );
    }
    if (body.workUnitId && body.workUnitName) {
      errors.push(
        fieldError('body.workUnitName', 'invalid', {
          'zh-CN': '预设工作单位请在登记的单位和单位名称中二选一',
          en: 'Preset a registered work unit or a name, not both',
        }),
      );
    }
    return errors;
  }

  /** The link a QR code carries: the portal page of the event on this site. */
  const joinUrl = (origin: string, code: string) => `${origin.replace(/\/+$/, '')}${joinPath(code)}`;

  return {
    async batches(
      ctx: RequestContext,
      query: { orgId?: string | undefined; kind?: 'list' | 'event' | undefined; page: number; pageSize: number },
    ) {
      let scope = scopeFor(ctx.principal, MANAGE);
      if (query.orgId) scope = narrowScope(scope, (await unionInScope(ctx, MANAGE, query.orgId)).path);
      const { rows, total } = await repo.batches(
        db,
        scope,
        { kind: query.kind },
        { limit: query.pageSize, offset: (query.page - 1) * query.pageSize },
      );
      const ids = rows.map((r) => r.id);
      const [tallies, events] = await Promise.all([repo.tallies(db, ids), repo.eventsOfBatches(db, ids)]);
      const eventBy = new Map(events.map((e) => [e.batch_id, e]));
      const now = deps.now();
      return {
        items: rows.map((r) => presentBatch(r, tallies.get(r.id) ?? emptyTally(), eventBy.get(r.id), now)),
        total,
        page: query.page,
        pageSize: query.pageSize,
      };
    },

    async batch(ctx: RequestContext, id: string) {
      return present(await batchInScope(ctx, MANAGE, id));
    },

    async applications(
      ctx: RequestContext,
      id: string,
      query: { stateKind?: string | undefined; page: number; pageSize: number },
    ) {
      const batch = await batchInScope(ctx, MANAGE, id);
      const { rows, total } = await repo.applicationsOfBatch(db, batch.id, query.stateKind, {
        limit: query.pageSize,
        offset: (query.page - 1) * query.pageSize,
      });
      return {
        items: rows.map((r) =>
          presentApplication(r, engine.registry.get(r.definition_key, r.definition_version), cipher),
        ),
        total,
        page: query.page,
        pageSize: query.pageSize,
      };
    },

    /**
     * 一键审核 of a batch: every application still waiting for its first review, approved
     * through the engine's batch step (chunks of 500, one transaction each; a chunk meeting a
     * refusal is taken one by one, so each application gets its own answer).
     */
    async approve(ctx: RequestContext, id: string, body: { comment?: string | undefined }) {
      const batch = await batchInScope(ctx, REVIEW, id);
      const ids = await repo.waitingInBatch(db, batch.id);
      const results = await engine.actMany(ctx, ids, {
        action: 'approve',
        ...(body.comment ? { comment: body.comment } : {}),
      });
      const approved = results.filter((r) => r.ok).length;
      return {
        approved,
        refused: results.length - approved,
        results: results.map((r) =>
          r.ok
            ? { id: r.id, ok: true, state: r.state, code: null }
            : { id: r.id, ok: false, state: null, code: r.code },
        ),
      };
    },

    /** Check a list without saving anything: every row validated, and checked against the database. */
    async preview(
      ctx: RequestContext,
      input: { orgId: string; mapping?: MappingOverride | undefined },
      file: UploadedFile,
    ): Promise<EnrollmentPreview> {
      const union = await unionInScope(ctx, MANAGE, input.orgId);
      checkUnionAcceptsMembers(union);
      const check = await checkImportFile(file.path, { maxBytes: config.IMPORT_MAX_BYTES, zip });
      const scan = await scanList(file.path, check, input.mapping ?? null, localDate(deps.now()));
      const readScope = scopeFor(ctx.principal, 'member.read');
      const rows: EnrollmentPreview['rows'] = [];
      const problems: EnrollmentProblem[] = [];
      const byCode: Record<string, number> = {};
      let rowsRead = 0;
      let rowsOk = 0;
      let withProblems = 0;
      let pending: ListOutcome[] = [];
      const settle = async () => {
        const found = await databaseProblems(db, union, scan.mapping, pending, readScope);
        for (const o of pending) {
          const extra = found.problems.get(o.rowNumber);
          if (extra) account(o, extra);
          else rowsOk++;
        }
        pending = [];
      };
      const account = (o: ListOutcome, list: readonly EnrollmentProblem[]) => {
        withProblems++;
        for (const pr of list) {
          byCode[pr.code] = (byCode[pr.code] ?? 0) + 1;
          if (problems.length < ENROLLMENT_PREVIEW_PROBLEMS) problems.push(pr);
        }
        const sample = rows.find((r) => r.row === o.rowNumber);
        if (sample) sample.ok = false;
      };
      const missing = listMapping(scan.mapping).missingRequired.length > 0;
      try {
        for await (const o of scan.outcomes) {
          rowsRead++;
          if (rowsRead > ENROLLMENT_LIST_MAX_ROWS) {
            throw AppError.invalid('body.file', 'too_big', {
              'zh-CN': `一份名单最多 ${ENROLLMENT_LIST_MAX_ROWS} 行，请拆分后分批导入`,
              en: `A list holds at most ${ENROLLMENT_LIST_MAX_ROWS} rows; split it into several`,
            });
          }
          if (rows.length < ENROLLMENT_PREVIEW_SAMPLE_ROWS) rows.push(presentPreviewRow(o));
          if (o.row !== null) {
            pending.push(o);
            if (pending.length === PREVIEW_LOOKUP_ROWS) await settle();
          } else {
            account(
              o,
              o.problems.length > 0 || !missing ? o.problems : missingColumnProblems(scan.mapping, o.rowNumber),
            );
          }
        }
        await settle();
      } finally {
        await scan.close();
      }
      const mapped = listMapping(scan.mapping).mapped.map((m) => ({
        index: m.index,
        header: m.header,
        field: m.field,
      }));
      return {
        format: scan.format,
        encoding: scan.encoding,
        headerRow: scan.headerRow,
        mapped,
        missingRequired: listMapping(scan.mapping).missingRequired,
        rows,
        problems,
        rowsRead,
        rowsOk,
        rowsWithProblems: withProblems,
        problemsByCode: byCode,
      };
    },

    /**
     * Import a list: the union, the file and its header are checked now, the batch is written,
     * the file is kept under DATA_DIR/enrollment/<jobId> for the job (and any resume), and the
     * job is queued.
     */
    async importList(
      ctx: RequestContext,
      input: { orgId: string; title?: string | undefined; mapping?: MappingOverride | undefined },
      file: UploadedFile,
    ): Promise<{ batch: BatchRow; job: JobView }> {
      const union = await unionInScope(ctx, MANAGE, input.orgId);
      checkUnionAcceptsMembers(union);
      const check = await checkImportFile(file.path, { maxBytes: config.IMPORT_MAX_BYTES, zip });
      const today = localDate(deps.now());
      const scan = await scanList(file.path, check, input.mapping ?? null, today);
      const headers = scan.mapping.headers;
      await scan.close();
      requireColumns(scan.mapping);

      const jobId = newId();
      const dir = listDir(config.DATA_DIR, jobId);
      const kept = path.join(dir, check.kind === 'xlsx' ? 'list.xlsx' : 'list.csv');
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
      try {
        await fs.promises.copyFile(file.path, kept);
        const at = iso();
        const batchId = newId();
        const title = input.title ?? (file.filename.replace(/\.[^.]*$/, '').trim() || '名单导入');
        await write(ctx, async (s) => {
          await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
          const here = (await repo.findOrg(s.trx, union.id))!;
          await repo.insertBatch(s.trx, {
            id: batchId,
            org_id: here.id,
            org_path: here.path,
            province_root: here.province_root,
            kind: 'list',
            title,
            job_id: jobId,
            file_name: file.filename,
            file_sha256: await sha256Of(kept),
            rows_read: 0,
            created_count: 0,
            refused_count: 0,
            duplicate_count: 0,
            created_by: ctx.actor.id,
            created_at: at,
            updated_at: at,
          });
          await s.audit({
            action: 'enrollment.batch.create',
            subjectType: 'enrollment_batch',
            subjectId: batchId,
            orgPath: here.path,
            changes: [
              { field: 'kind', to: 'list' },
              { field: 'title', to: title },
              { field: 'jobId', to: jobId },
            ],
          });
        });
        const payload: EnrollmentListPayload = {
          batchId,
          orgId: union.id,
          file: kept,
          fileName: file.filename,
          format: check.kind,
          override: input.mapping ?? null,
          today,
          headers,
          actor: ctx.actor,
          readScope: [...scopeFor(ctx.principal, 'member.read').paths],
          enrollScope: [...scopeFor(ctx.principal, MANAGE).paths],
        };
        await jobs.enqueue(ctx, ENROLLMENT_LIST_JOB, payload, { orgPath: union.path, id: jobId, total: null });
        return { batch: (await repo.findBatch(db, batchId))!, job: (await jobs.get(jobId))! };
      } catch (err) {
        await fs.promises.rm(dir, { recursive: true, force: true });
        throw err;
      }
    },

    present,

    /**
     * The refused rows of a list, as uploaded, with their reasons. It holds whole ID numbers,
     * so it takes membership.enroll where the list went, like the upload itself.
     */
    async errorReport(ctx: RequestContext, id: string): Promise<FileAnswer> {
      const batch = await batchInScope(ctx, MANAGE, id);
      if (batch.kind !== 'list' || !batch.job_id) throw AppError.notFound('an event has no error report');
      const job = await db.selectFrom('job').select('payload').where('id', '=', batch.job_id).executeTakeFirst();
      if (!job) throw AppError.notFound();
      const payload = JSON.parse(job.payload) as EnrollmentListPayload;
      const jobId = batch.job_id;
      async function* rows() {
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
      const base = (batch.file_name ?? '').replace(/\.[^.]*$/, '') || '名单';
      return { filename: `${base}-错误报告.xlsx`, body };
    },

    async createEvent(ctx: RequestContext, body: z.infer<typeof enrollmentEventBody>) {
      const union = await unionInScope(ctx, MANAGE, body.orgId);
      checkUnionAcceptsMembers(union);
      const problems = eventBodyProblems(body, deps.now());
      if (problems.length > 0) throw new AppError('VALIDATION_FAILED', problems);
      if (body.workUnitId && !(await repo.workUnit(db, body.workUnitId))) {
        throw AppError.invalid('body.workUnitId', 'invalid', {
          'zh-CN': '没有这个登记的工作单位',
          en: 'No such registered work unit',
        });
      }
      const at = iso();
      const batchId = newId();
      const event: EnrollmentEventTable = {
        id: newId(),
        batch_id: batchId,
        code: eventCode(randomBytes(16)),
        place: body.place,
        opens_at: new Date(body.opensAt).toISOString(),
        closes_at: new Date(body.closesAt).toISOString(),
        work_unit_id: body.workUnitId ?? null,
        work_unit_name: body.workUnitName ?? null,
        employment_type: body.employmentType ?? null,
        new_form_group: body.newFormGroup ?? null,
        quota: body.quota ?? null,
        joined: 0,
        status: 'open',
        closed_at: null,
        closed_by: null,
      };
      await write(ctx, async (s) => {
        await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
        const here = (await repo.findOrg(s.trx, union.id))!;
        await repo.insertBatch(s.trx, {
          id: batchId,
          org_id: here.id,
          org_path: here.path,
          province_root: here.province_root,
          kind: 'event',
          title: body.title,
          job_id: null,
          file_name: null,
          file_sha256: null,
          rows_read: 0,
          created_count: 0,
          refused_count: 0,
          duplicate_count: 0,
          created_by: ctx.actor.id,
          created_at: at,
          updated_at: at,
        });
        await repo.insertEvent(s.trx, event);
        await s.audit({
          action: 'enrollment.event.create',
          subjectType: 'enrollment_event',
          subjectId: event.id,
          orgPath: here.path,
          changes: [
            { field: 'batchId', to: batchId },
            { field: 'title', to: body.title },
            { field: 'place', to: event.place },
            { field: 'opensAt', to: event.opens_at },
            { field: 'closesAt', to: event.closes_at },
            { field: 'quota', to: event.quota },
          ],
        });
      });
      return present((await repo.findBatch(db, batchId))!);
    },

    async closeEvent(ctx: RequestContext, id: string) {
      const { event, batch } = await eventInScope(ctx, id);
      await write(ctx, async (s) => {
        if (!(await repo.closeEvent(s.trx, event.id, iso(), ctx.actor.id))) {
          throw new AppError('ENROLLMENT_EVENT_CLOSED');
        }
        await s.audit({
          action: 'enrollment.event.close',
          subjectType: 'enrollment_event',
          subjectId: event.id,
          orgPath: batch.org_path,
          changes: [{ field: 'status', from: 'open', to: 'closed' }],
        });
      });
      return present(batch);
    },

    async eventQr(ctx: RequestContext, id: string, format: 'svg' | 'png', origin: string): Promise<FileAnswer> {
      const { event } = await eventInScope(ctx, id);
      const url = joinUrl(origin, event.code);
      if (format === 'png') {
        return { filename: `入会二维码-${event.code}.png`, body: await qrPng(url, 600), contentType: 'image/png' };
      }
      const svg = await QRCode.toString(url, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
      return { filename: `入会二维码-${event.code}.svg`, body: Buffer.from(svg), contentType: 'image/svg+xml' };
    },

    async eventPoster(ctx: RequestContext, id: string, origin: string): Promise<FileAnswer> {
      const { event, batch } = await eventInScope(ctx, id);
      const url = joinUrl(origin, event.code);
      const body = await renderPoster(batch, event, url);
      return { filename: `集中入会海报-${batch.title}.pdf`, body };
    },

    /** What the worker who scanned sees. Any signed-in account may look: the code is on a poster. */
    async publicEvent(code: string) {
      const event = await repo.findEventByCode(db, code);
      if (!event) throw AppError.notFound();
      const batch = (await repo.findBatch(db, event.batch_id))!;
      return {
        code: event.code,
        title: batch.title,
        orgName: batch.org_name,
        place: event.place,
        opensAt: event.opens_at,
        closesAt: event.closes_at,
        state: eventState(event, deps.now()),
        workUnitName: event.work_unit_name,
        employmentType: event.employment_type as never,
        newFormGroup: event.new_form_group as never,
      };
    },

    /**
     * Apply through an event: a join application to the event's union, in its batch, with its
     * presets. The place is taken in the application's own unit of work, so a full quota
     * refuses the next worker and a refused application gives its place back.
     */
    async joinEvent(ctx: RequestContext, code: string, body: EventJoinBody) {
      if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHENTICATED');
      const userId = ctx.actor.id;
      const event = await repo.findEventByCode(db, code);
      if (!event) throw AppError.notFound();
      const refusal = eventRefusal(eventState(event, deps.now()));
      if (refusal) throw new AppError(refusal);
      const batch = (await repo.findBatch(db, event.batch_id))!;
      // The event's presets win over the form: the union set them for everyone it enrolls.
      const form = {
        idNumber: body.idNumber,
        employmentType: event.employment_type ?? body.employmentType ?? '',
        newFormGroup: event.new_form_group ?? body.newFormGroup ?? null,
        ...(event.work_unit_id ? { workUnitId: event.work_unit_id } : {}),
        ...(event.work_unit_name || body.workUnitName
          ? { workUnitName: event.work_unit_name ?? body.workUnitName }
          : {}),
      };
      if (!form.employmentType) throw AppError.invalid('body.employmentType', 'required');
      const { identity } = checkJoinForm(form, localDate(deps.now()));
      // The checks of every join application; the phone is the worker's signed-in one.
      const options = { source: 'event', batchId: batch.id, applicantUserId: userId } as const;
      const { person, phone } = await joining.checkApplicant(ctx, identity, options);
      const workUnit = event.work_unit_id ? await repo.workUnit(db, event.work_unit_id) : undefined;
      let instanceId: string;
      try {
        instanceId = await write(ctx, async (s) => {
          await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
          // The place first: of two workers scanning for the last one, one meets a full event.
          if (!(await repo.takePlace(s.trx, event.id))) {
            const now = (await repo.findEvent(s.trx, event.id))!;
            throw new AppError(eventRefusal(eventState(now, deps.now())) ?? 'ENROLLMENT_EVENT_FULL');
          }
          const union = (await repo.findOrg(s.trx, batch.org_id))!;
          checkUnionAcceptsMembers(union);
          const [view] = await joining.fileIn(
            s,
            ctx,
            [
              filingAt(union, {
                name: body.name,
                identity,
                phone,
                workUnitId: workUnit?.id ?? null,
                workUnitName: workUnit?.name ?? form.workUnitName ?? null,
                employmentType: form.employmentType,
                newFormGroup: form.newFormGroup,
                personId: person?.id ?? null,
              }),
            ],
            options,
          );
          await s.audit({
            action: 'enrollment.event.join',
            subjectType: 'enrollment_event',
            subjectId: event.id,
            orgPath: union.path,
            changes: [
              { field: 'joined', from: event.joined, to: event.joined + 1 },
              { field: 'applicationId', to: view!.id },
            ],
          });
          return view!.id;
        });
      } catch (err) {
        // Two applications for one ID number at once: the one-pending index let one through.
        if (isUniqueViolation(err)) throw applicationPending();
        throw err;
      }
      const [row] = (await repo.applicationsByInstance(db, [instanceId])) ?? [];
      return presentApplication(row!, engine.registry.get(row!.definition_key, row!.definition_version), cipher);
    },
  };
}
export type EnrollmentService = ReturnType<typeof createEnrollmentService>;

export interface EventJoinBody {
  name: string;
  idNumber: string;
  workUnitName?: string | undefined;
  employmentType?: string | undefined;
  newFormGroup?: string | undefined;
}

/** Beijing wall-clock time of an ISO instant, for the poster: 2026-05-01 09:00. */
function beijing(isoTime: string): string {
  return new Date(Date.parse(isoTime) + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}

/** The A4 poster: the union's call to join, the event, a large QR code and its link. */
async function renderPoster(batch: BatchRow, event: EnrollmentEventTable, url: string): Promise<Buffer> {
  const qr = await qrPng(url, 900);
  return renderPdf(
    { size: 'A4', title: `集中入会 ${batch.title}`, subject: 'GROUP ENROLLMENT', keywords: `event:${event.code}` },
    (doc) => {
      const W = doc.page.width;
      doc.rect(0, 0, W, 150).fill('#b71c1c');
      doc.fillColor('#ffffff').fontSize(34).text('扫码加入工会', 0, 40, { width: W, align: 'center' });
      doc.fontSize(16).text(batch.org_name, 0, 96, { width: W, align: 'center' });
      doc
        .fillColor('#222222')
        .fontSize(22)
        .text(batch.title, 48, 180, { width: W - 96, align: 'center' });
      doc.fontSize(13).fillColor('#444444');
      doc.text(`地点：${event.place}`, 72, 230, { width: W - 144, align: 'center' });
      doc.text(`时间：${beijing(event.opens_at)} 至 ${beijing(event.closes_at)}（北京时间）`, 72, 254, {
        width: W - 144,
        align: 'center',
      });
      const size = 300;
      doc.image(qr, (W - size) / 2, 300, { width: size, height: size });
      doc.fontSize(12).fillColor('#222222');
      doc.text('用手机扫描二维码，用手机号和短信验证码登录，填写入会申请', 48, 620, {
        width: W - 96,
        align: 'center',
      });
      doc
        .fontSize(9)
        .fillColor('#666666')
        .text(url, 48, 646, { width: W - 96, align: 'center' });
      doc
        .fontSize(10)
        .fillColor('#888888')
        .text('工会审核通过后，您将收到会员号和电子会员卡。入会自愿，会员享有会员权利、履行会员义务。', 72, 760, {
          width: W - 144,
          align: 'center',
        });
    },
  );
}
