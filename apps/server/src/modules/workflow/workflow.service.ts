import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FileAnswer } from '@zhgh/contracts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { WorkflowEngine } from '../../core/workflow/engine.ts';
import type { UploadedFile } from '../../http/files.ts';
import {
  presentAttachment,
  presentBoardRow,
  presentHistory,
  presentInstance,
  presentObjection,
  presentSummary,
} from './workflow.presenter.ts';

/**
 * Types served back as the uploader declared them; anything else (HTML, SVG, scripts) goes out
 * as bytes, so an upload can never run in the platform's origin even if a browser ignored the
 * attachment disposition.
 */
const SERVED_AS_TYPED = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/gif', 'image/webp']);

const pageOf = (page: number, pageSize: number) => ({ limit: pageSize, offset: (page - 1) * pageSize });

/**
 * The routes every application type shares, over the one engine. Attachment bytes are kept
 * under DATA_DIR/workflow/<instance>/<attachment> (like imports keep rosters under
 * DATA_DIR/imports): written before the row that names them, removed again if the row is
 * refused, so a stored file always has its row.
 */
export function createWorkflowService(deps: CoreDeps, engine: WorkflowEngine) {
  const root = path.join(deps.config.DATA_DIR, 'workflow');
  const fileOf = (storageKey: string) => path.join(deps.config.DATA_DIR, storageKey);

  async function sha256Of(file: string): Promise<string> {
    const hash = createHash('sha256');
    await pipeline(fs.createReadStream(file), hash);
    return hash.digest('hex');
  }

  return {
    engine,

    async get(ctx: RequestContext, id: string) {
      return presentInstance(await engine.get(ctx, id), deps.now());
    },

    async comment(ctx: RequestContext, id: string, text: string) {
      const detail = await engine.get(ctx, id);
      return presentHistory(await engine.comment(ctx, id, text), detail.asApplicant);
    },

    async attach(ctx: RequestContext, id: string, kind: string, file: UploadedFile) {
      // Visibility and the kind first, so nobody's bytes are stored for an instance they cannot reach.
      const { definition } = await engine.get(ctx, id);
      if (!definition.documentKinds?.[kind])
        throw new AppError('WORKFLOW_DOCUMENT_KIND', [fieldError('body.kind', 'enum')]);
      const attachmentId = newId();
      const storageKey = path.posix.join('workflow', id, attachmentId);
      const target = fileOf(storageKey);
      await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await fs.promises.copyFile(file.path, target);
      try {
        const row = await engine.attach(ctx, id, {
          id: attachmentId,
          kind,
          fileName: file.filename,
          contentType: file.mimetype,
          sizeBytes: file.size,
          sha256: await sha256Of(target),
          storageKey,
        });
        return presentAttachment(row, definition);
      } catch (err) {
        await fs.promises.rm(target, { force: true });
        throw err;
      }
    },

    async attachmentFile(ctx: RequestContext, attachmentId: string): Promise<FileAnswer> {
      const a = await engine.attachment(ctx, attachmentId);
      const handle = await fs.promises.open(fileOf(a.storage_key), 'r').catch(() => null);
      if (!handle) throw AppError.notFound(`attachment file ${a.storage_key} missing`);
      return {
        filename: a.file_name,
        body: handle.createReadStream(),
        contentType: SERVED_AS_TYPED.has(a.content_type) ? a.content_type : 'application/octet-stream',
      };
    },

    async notices(query: { orgId?: string | undefined; page: number; pageSize: number }) {
      const { rows, total } = await engine.board(query.orgId ?? null, pageOf(query.page, query.pageSize));
      return {
        items: rows.map((n) => presentBoardRow(n, engine.registry.get(n.definition_key, n.definition_version))),
        total,
        page: query.page,
        pageSize: query.pageSize,
      };
    },

    async object(ctx: RequestContext, noticeId: string, reason: string) {
      return presentObjection(await engine.object(ctx, noticeId, reason));
    },

    async decideObjection(
      ctx: RequestContext,
      objectionId: string,
      input: { decision: 'upheld' | 'dismissed'; reason: string },
    ) {
      const view = await engine.reviewObjection(ctx, objectionId, input);
      const detail = await engine.get(ctx, view.id).catch(() => null);
      // After an upheld objection the actor may no longer see it (never so today; kept safe).
      const def = engine.registry.get(view.definitionKey, view.definitionVersion);
      return presentSummary(view, def, detail?.actions ?? [], deps.now());
    },

    async queue(
      ctx: RequestContext,
      query: {
        orgId?: string | undefined;
        definitionKey?: string | undefined;
        overdue?: boolean | undefined;
        page: number;
        pageSize: number;
      },
    ) {
      const { rows, total } = await engine.queue(
        ctx,
        { orgId: query.orgId, definitionKey: query.definitionKey, overdue: query.overdue },
        pageOf(query.page, query.pageSize),
      );
      const now = deps.now();
      return {
        items: rows.map(({ row, def, actions }) => presentSummary(engine.toView(row), def, actions, now)),
        total,
        page: query.page,
        pageSize: query.pageSize,
      };
    },

    /** Where attachments live; for operations (backups) and tests. */
    attachmentRoot: root,
  };
}
export type WorkflowService = ReturnType<typeof createWorkflowService>;
