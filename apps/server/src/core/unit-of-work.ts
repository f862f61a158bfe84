import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { RequestContext } from './actor.ts';
import type { AuditInput, AuditLog, ChainHead } from './audit/audit.ts';

export interface WriteScope {
  trx: Transaction<DB>;
  /** Record an audit event in this transaction; actor and request id come from the context. */
  audit(event: Omit<AuditInput, 'actor' | 'requestId'>): Promise<void>;
}

/**
 * The only way services write: one transaction, and at least one audit event in it. A write
 * that forgets its audit event rolls back, so "every write leaves an audit event" is a
 * property of the code path, not of reviewers' attention.
 */
export function createUnitOfWork(db: Kysely<DB>, auditLog: AuditLog) {
  return async function write<T>(ctx: RequestContext, work: (scope: WriteScope) => Promise<T>): Promise<T> {
    return db.transaction().execute(async (trx) => {
      let events = 0;
      let head: ChainHead | undefined;
      const result = await work({
        trx,
        audit: async (event) => {
          events++;
          head = await auditLog.append(trx, { ...event, actor: ctx.actor, requestId: ctx.requestId ?? null }, head);
        },
      });
      if (events === 0) throw new Error('a write transaction finished without an audit event');
      return result;
    });
  };
}
export type UnitOfWork = ReturnType<typeof createUnitOfWork>;
