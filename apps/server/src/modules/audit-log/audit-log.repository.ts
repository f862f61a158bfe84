import type { Kysely } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type { AuditEventTable, DB } from '../../db/schema.ts';

export const auditLogRepository = {
  /**
   * Events of the scope, newest first. Events without an organization (sign-ins of accounts
   * with no home organization, system events) belong to the tree's roots: only an actor whose
   * scope includes a root (depth 0) sees them.
   */
  async list(
    db: Kysely<DB>,
    scope: Scope,
    filter: { action?: string | undefined; actorId?: string | undefined; includeUnplaced: boolean },
    page: { limit: number; offset: number },
  ): Promise<{ rows: AuditEventTable[]; total: number }> {
    let q = db
      .selectFrom('audit_event')
      .where((eb) =>
        filter.includeUnplaced
          ? eb.or([inScope(eb, 'org_path', scope), eb('org_path', 'is', null)])
          : inScope(eb, 'org_path', scope),
      );
    if (filter.action) q = q.where('action', '=', filter.action);
    if (filter.actorId) q = q.where('actor_id', '=', filter.actorId);
    const rows = await q.selectAll().orderBy('seq', 'desc').limit(page.limit).offset(page.offset).execute();
    const count = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { rows, total: Number(count.n) };
  },
};
