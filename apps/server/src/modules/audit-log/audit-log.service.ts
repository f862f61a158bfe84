import { narrowScope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError } from '../../core/app-error.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import { auditLogRepository as repo } from './audit-log.repository.ts';
import { idsOnPath } from '../../core/org-path.ts';

export function createAuditLogService(deps: CoreDeps) {
  return {
    async list(
      ctx: RequestContext,
      q: {
        page: number;
        pageSize: number;
        action?: string | undefined;
        actorId?: string | undefined;
        orgId?: string | undefined;
      },
    ) {
      let scope = scopeFor(ctx.principal, 'audit.read');
      if (q.orgId) {
        const org = await orgsRepository.findById(deps.db, q.orgId);
        if (!org) throw AppError.notFound();
        scope = narrowScope(scope, org.path);
      }
      const rootPaths = (ctx.principal?.grants ?? []).filter(
        (g) => g.permissions.has('audit.read') && idsOnPath(g.orgPath).length === 1,
      );
      const { rows, total } = await repo.list(
        deps.db,
        scope,
        { action: q.action, actorId: q.actorId, includeUnplaced: !q.orgId && rootPaths.length > 0 },
        { limit: q.pageSize, offset: (q.page - 1) * q.pageSize },
      );
      return { rows, total };
    },
  };
}
export type AuditLogService = ReturnType<typeof createAuditLogService>;
