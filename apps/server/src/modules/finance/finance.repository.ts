import type { Kysely } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type { DB, LedgerAccountTable, OrganizationTable, PayoutBatchTable } from '../../db/schema.ts';

type Q = Kysely<DB>;

/** An account with the names a screen shows beside it. */
export type AccountRow = LedgerAccountTable & { org_name: string; person_name: string | null };
export type BatchRow = PayoutBatchTable & { org_name: string };

export interface AccountFilter {
  kind?: LedgerAccountTable['kind'] | undefined;
  purpose?: string | undefined;
}

/** Reads of the finance screens over the ledger's tables; the ledger core owns every write. */
export const financeRepository = {
  async listAccounts(
    db: Q,
    scope: Scope,
    filter: AccountFilter,
    page: { limit: number; offset: number },
  ): Promise<{ rows: AccountRow[]; total: number }> {
    let q = db.selectFrom('ledger_account as a').where((eb) => inScope(eb, 'a.org_path', scope));
    if (filter.kind) q = q.where('a.kind', '=', filter.kind);
    if (filter.purpose) q = q.where('a.purpose', '=', filter.purpose);
    const rows = await q
      .innerJoin('organization as o', 'o.id', 'a.org_id')
      .leftJoin('person as p', 'p.id', 'a.person_id')
      .selectAll('a')
      .select(['o.name as org_name', 'p.name as person_name'])
      .orderBy('a.org_path')
      .orderBy('a.kind')
      .orderBy('a.purpose')
      .orderBy('a.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const count = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return { rows, total: Number(count.n) };
  },

  async findAccountRow(db: Q, id: string): Promise<AccountRow | undefined> {
    return db
      .selectFrom('ledger_account as a')
      .innerJoin('organization as o', 'o.id', 'a.org_id')
      .leftJoin('person as p', 'p.id', 'a.person_id')
      .selectAll('a')
      .select(['o.name as org_name', 'p.name as person_name'])
      .where('a.id', '=', id)
      .executeTakeFirst();
  },

  async findAccount(db: Q, id: string): Promise<LedgerAccountTable | undefined> {
    return db.selectFrom('ledger_account').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findOrg(db: Q, id: string): Promise<Pick<OrganizationTable, 'id' | 'name' | 'path' | 'status'> | undefined> {
    return db
      .selectFrom('organization')
      .select(['id', 'name', 'path', 'status'])
      .where('id', '=', id)
      .executeTakeFirst();
  },

  async listBatches(
    db: Q,
    scope: Scope,
    filter: { status?: PayoutBatchTable['status'] | undefined },
    page: { limit: number; offset: number },
  ): Promise<{ rows: BatchRow[]; total: number }> {
    let q = db.selectFrom('payout_batch as b').where((eb) => inScope(eb, 'b.org_path', scope));
    if (filter.status) q = q.where('b.status', '=', filter.status);
    const rows = await q
      .innerJoin('organization as o', 'o.id', 'b.org_id')
      .selectAll('b')
      .select('o.name as org_name')
      .orderBy('b.id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const count = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return { rows, total: Number(count.n) };
  },

  async findBatchRow(db: Q, id: string): Promise<BatchRow | undefined> {
    return db
      .selectFrom('payout_batch as b')
      .innerJoin('organization as o', 'o.id', 'b.org_id')
      .selectAll('b')
      .select('o.name as org_name')
      .where('b.id', '=', id)
      .executeTakeFirst();
  },

  /** The encrypted card of each line of a batch, by line id (only to be masked). */
  async lineCards(db: Q, batchId: string): Promise<Map<string, string>> {
    const rows = await db
      .selectFrom('payout_line')
      .select(['id', 'bank_card_cipher'])
      .where('batch_id', '=', batchId)
      .execute();
    return new Map(rows.map((r) => [r.id, r.bank_card_cipher]));
  },
};
