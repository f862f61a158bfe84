import { createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { type DialectName, lockChain } from '../../db/dialect.ts';
import type { AuditEventTable, DB } from '../../db/schema.ts';
import type { Actor } from '../actor.ts';
import { newId, nowIso } from '../ids.ts';
import { provinceRootOf } from '../org-path.ts';

/** Advisory-lock key of the audit chain (PostgreSQL); any constant unique to this chain. */
export const AUDIT_CHAIN_LOCK = 0x5a484748; // "ZHGH"
export const GENESIS_HASH = '0'.repeat(64);
const INSERT_CHUNK = 500;

/** One changed field. Sensitive fields record that they changed, never their values. */
export interface FieldChange {
  field: string;
  from?: unknown;
  to?: unknown;
  sensitive?: true;
}

export interface AuditInput {
  actor: Actor;
  action: string;
  subjectType: string;
  subjectId?: string | null;
  orgPath?: string | null;
  changes?: FieldChange[];
  requestId?: string | null;
}

/** The content an entry's hash covers, in a fixed key order. */
function canonical(e: Omit<AuditEventTable, 'hash' | 'prev_hash'>): string {
  return JSON.stringify([
    e.seq,
    e.id,
    e.occurred_at,
    e.actor_id,
    e.actor_kind,
    e.action,
    e.subject_type,
    e.subject_id,
    e.org_path,
    e.province_root,
    e.changes,
    e.request_id,
  ]);
}

export function chainHash(key: Buffer, prevHash: string, e: Omit<AuditEventTable, 'hash' | 'prev_hash'>): string {
  return createHmac('sha256', key).update(prevHash).update('\n').update(canonical(e)).digest('hex');
}

/**
 * Diff two records for an audit event. Fields named in `sensitive` are listed as changed
 * without their values, so the audit log never becomes a second copy of ID numbers.
 */
export function diffFields(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  sensitive: readonly string[] = [],
): FieldChange[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const out: FieldChange[] = [];
  for (const field of [...keys].sort()) {
    const from = before?.[field];
    const to = after?.[field];
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    out.push(sensitive.includes(field) ? { field, sensitive: true } : { field, from, to });
  }
  return out;
}

/** The chain's last entry, as a writer holding the chain lock knows it. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export interface AuditLog {
  /**
   * Append one event inside the caller's transaction and return the new head. A caller that
   * appends several events in one transaction passes the head back in: it still holds the
   * chain lock, so the head cannot have moved, and the re-read is skipped.
   */
  append(trx: Transaction<DB>, input: AuditInput, head?: ChainHead): Promise<ChainHead>;
  /**
   * The chained row of one event, not yet written: takes the chain lock and reads the head
   * when no head is given, exactly as `append` does. `insert` writes such rows, in order.
   */
  chain(trx: Transaction<DB>, input: AuditInput, head?: ChainHead): Promise<AuditEventTable>;
  insert(trx: Transaction<DB>, rows: readonly AuditEventTable[]): Promise<void>;
  verify(
    db: Kysely<DB>,
    options?: { batchSize?: number; onProgress?: (checked: number) => void },
  ): Promise<VerifyResult>;
}

export type VerifyResult =
  | { ok: true; checked: number; lastSeq: number; lastHash: string }
  | { ok: false; checked: number; brokenSeq: number; brokenId: string | null; reason: string };

export function createAuditLog(options: { dialect: DialectName; key: Buffer }): AuditLog {
  const { dialect, key } = options;

  async function chain(trx: Transaction<DB>, input: AuditInput, known?: ChainHead): Promise<AuditEventTable> {
    // Writers take the chain lock, read the head, and insert head+1. The primary key on
    // seq is the second wall: a writer that somehow skipped the lock fails instead of forking.
    let head = known;
    if (!head) {
      await lockChain(trx as unknown as Kysely<unknown>, dialect, AUDIT_CHAIN_LOCK);
      head = await trx
        .selectFrom('audit_event')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
    }
    const entry = {
      seq: (head?.seq ?? 0) + 1,
      id: newId(),
      occurred_at: nowIso(),
      actor_id: input.actor.id,
      actor_kind: input.actor.kind === 'user' ? input.actor.userKind : input.actor.kind,
      action: input.action,
      subject_type: input.subjectType,
      subject_id: input.subjectId ?? null,
      org_path: input.orgPath ?? null,
      province_root: provinceRootOf(input.orgPath),
      changes: input.changes && input.changes.length > 0 ? JSON.stringify(input.changes) : null,
      request_id: input.requestId ?? null,
    };
    const prevHash = head?.hash ?? GENESIS_HASH;
    return { ...entry, prev_hash: prevHash, hash: chainHash(key, prevHash, entry) };
  }

  async function insert(trx: Transaction<DB>, rows: readonly AuditEventTable[]): Promise<void> {
    // 13 columns a row: 500 rows stay under SQLite's 32,766 bound parameters.
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await trx
        .insertInto('audit_event')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .execute();
    }
  }

  return {
    chain,
    insert,
    async append(trx, input, known) {
      const row = await chain(trx, input, known);
      await insert(trx, [row]);
      return { seq: row.seq, hash: row.hash };
    },

    async verify(db, opts = {}) {
      const batchSize = opts.batchSize ?? 10_000;
      let prevHash = GENESIS_HASH;
      let expectedSeq = 1;
      let checked = 0;
      for (;;) {
        const rows = await db
          .selectFrom('audit_event')
          .selectAll()
          .where('seq', '>=', expectedSeq)
          .orderBy('seq')
          .limit(batchSize)
          .execute();
        if (rows.length === 0) break;
        for (const row of rows) {
          if (row.seq !== expectedSeq) {
            return {
              ok: false,
              checked,
              brokenSeq: expectedSeq,
              brokenId: null,
              reason: `entry ${expectedSeq} is missing`,
            };
          }
          if (row.prev_hash !== prevHash) {
            return {
              ok: false,
              checked,
              brokenSeq: row.seq,
              brokenId: row.id,
              reason: 'link to the previous entry is broken',
            };
          }
          const { hash, prev_hash: _p, ...content } = row;
          if (chainHash(key, prevHash, content) !== hash) {
            return {
              ok: false,
              checked,
              brokenSeq: row.seq,
              brokenId: row.id,
              reason: 'content does not match its hash',
            };
          }
          prevHash = hash;
          expectedSeq++;
          checked++;
        }
        opts.onProgress?.(checked);
      }
      return { ok: true, checked, lastSeq: expectedSeq - 1, lastHash: prevHash };
    },
  };
}
