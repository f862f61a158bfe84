import { auditRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import { presentAuditEvent } from './audit-log.presenter.ts';
import type { AuditLogService } from './audit-log.service.ts';

export function bindAuditLogRoutes(bind: RouteBinder, auditLog: AuditLogService): void {
  bind(auditRoutes.list, async ({ ctx, input }) => {
    const { rows, total } = await auditLog.list(ctx, input.query);
    return { items: rows.map(presentAuditEvent), total, page: input.query.page, pageSize: input.query.pageSize };
  });
}
