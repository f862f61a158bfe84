import type { Kysely, Transaction } from 'kysely';
import type { AuditEventTable, DB } from '../db/schema.ts';
import { turn } from '../db/sqlite-driver.ts';
import type { RequestContext } from './actor.ts';
import type { AuditInput, AuditLog } from './audit/audit.ts';

export interface WriteScope {
  trx: Transaction<DB>;
  /** Record an audit event in this transaction; actor and request id come from the context. */
  audit(event: Omit<AuditInput, 'actor' | 'requestId'>): Promise<void>;
  /**
   * Run `fn` once the transaction has committed (never if it rolls back), before `write`
   * returns: for what must not happen inside it, like handing queued SMS to the gateway. A
   * failure there cannot undo the commit, so it is swallowed: the work must leave a trace that
   * periodic upkeep finishes (the SMS queue's rows stay due).
   */
  afterCommit(fn: () => Promise<unknown>): void;
}

// A turn of the event loop, which the jobs hand out too (why: db/sqlite-driver.ts).
export { turn };

/** Events held before one multi-row insert: batch steps write thousands in one transaction. */
const AUDIT_FLUSH_AT = 500;

/**
 * The only way services write: one transaction, and at least one audit event in it. A write
 * that forgets its audit event rolls back, so "every write leaves an audit event" is a
 * property of the code path, not of reviewers' attention.
 *
 * The first event takes the chain lock and reads the head at once (callers rely on holding
 * the lock from then on); its row and the ones after it are chained in memory and written
 * together, every 500 and before the commit, so a batch pays one round trip per 500 events
 * instead of one per event. Nothing in a transaction reads back its own audit rows. After the
 * commit and its callbacks, the event loop gets a turn before the caller goes on.
 */
export function createUnitOfWork(db: Kysely<DB>, auditLog: AuditLog) {
  return async function write<T>(ctx: RequestContext, work: (scope: WriteScope) => Promise<T>): Promise<T> {
    const committed: (() => Promise<unknown>)[] = [];
    const result = await db.transaction().execute(async (trx) => {
      let events = 0;
      let pending: AuditEventTable[] = [];
      let head: { seq: number; hash: string } | undefined;
      const value = await work({
        trx,
        audit: async (event) => {
          events++;
          const row = await auditLog.chain(trx, { ...event, actor: ctx.actor, requestId: ctx.requestId ?? null }, head);
          head = { seq: row.seq, hash: row.hash };
          pending.push(row);
          if (pending.length >= AUDIT_FLUSH_AT) {
            const rows = pending;
            pending = [];
            await auditLog.insert(trx, rows);
          }
        },
        afterCommit: (fn) => void committed.push(fn),
      });
      if (events === 0) throw new Error('a write transaction finished without an audit event');
      await auditLog.insert(trx, pending);
      return value;
    });
    for (const fn of committed) {
      await fn().catch(() => undefined);
    }
    // A 200,000-row import writing chunk after chunk held the loop for 38 s: requests now
    // wait one transaction at most.
    await turn();
    return result;
  };
}
export type UnitOfWork = ReturnType<typeof createUnitOfWork>;
