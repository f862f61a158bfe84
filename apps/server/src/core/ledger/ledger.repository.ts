import { type Kysely, sql } from 'kysely';
import type {
  DB,
  LedgerAccountTable,
  LedgerTransferTable,
  PayoutBatchTable,
  PayoutLineTable,
} from '../../db/schema.ts';

type Q = Kysely<DB>;

/** Queries of the ledger and payout tables; no rules here (decision 0012 holds them). */
export const ledgerRepository = {
  async findAccountById(q: Q, id: string): Promise<LedgerAccountTable | undefined> {
    return q.selectFrom('ledger_account').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findAccountsByIds(q: Q, ids: readonly string[]): Promise<LedgerAccountTable[]> {
    return q.selectFrom('ledger_account').selectAll().where('id', 'in', ids).execute();
  },

  async findAccountByKey(q: Q, key: string): Promise<LedgerAccountTable | undefined> {
    return q.selectFrom('ledger_account').selectAll().where('account_key', '=', key).executeTakeFirst();
  },

  /** Insert unless an account with this key exists; true when this call inserted it. */
  async insertAccountIfAbsent(q: Q, row: LedgerAccountTable): Promise<boolean> {
    const r = await q
      .insertInto('ledger_account')
      .values(row)
      .onConflict((oc) => oc.column('account_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    return r !== undefined;
  },

  /**
   * Add to an account's posted debits, only if its rule still holds afterwards (posted and
   * held debits within its credits). One conditional UPDATE: on PostgreSQL a concurrent writer
   * of the same row waits for the row lock and then re-evaluates the condition on the
   * committed totals, so two transfers cannot both take the last fen. `fromHold` posts money
   * a draft payout line held: the hold shrinks by what is posted. False when the rule (or the
   * 2^53 ceiling) refused it.
   */
  async addDebit(q: Q, id: string, amount: number, now: string, fromHold = false): Promise<boolean> {
    const more = fromHold ? 0 : amount;
    let update = q
      .updateTable('ledger_account')
      .set((eb) => ({
        debits_posted: eb('debits_posted', '+', amount),
        ...(fromHold ? { debits_pending: eb('debits_pending', '-', amount) } : {}),
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('debits_posted', '<=', Number.MAX_SAFE_INTEGER - amount)
      .where((eb) =>
        eb.or([
          eb('balance_rule', '=', 'none'),
          eb(eb(eb('debits_posted', '+', eb.ref('debits_pending')), '+', more), '<=', eb.ref('credits_posted')),
        ]),
      );
    if (fromHold) update = update.where('debits_pending', '>=', amount);
    const r = await update.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Hold an amount for a draft payout line, under the same rule as a debit. */
  async hold(q: Q, id: string, amount: number, now: string): Promise<boolean> {
    const r = await q
      .updateTable('ledger_account')
      .set((eb) => ({ debits_pending: eb('debits_pending', '+', amount), updated_at: now }))
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb('balance_rule', '=', 'none'),
          eb(eb(eb('debits_posted', '+', eb.ref('debits_pending')), '+', amount), '<=', eb.ref('credits_posted')),
        ]),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Let go of a hold (a cancelled draft). */
  async release(q: Q, id: string, amount: number, now: string): Promise<void> {
    await q
      .updateTable('ledger_account')
      .set((eb) => ({ debits_pending: eb('debits_pending', '-', amount), updated_at: now }))
      .where('id', '=', id)
      .where('debits_pending', '>=', amount)
      .execute();
  },

  async addCredit(q: Q, id: string, amount: number, now: string): Promise<boolean> {
    const r = await q
      .updateTable('ledger_account')
      .set((eb) => ({ credits_posted: eb('credits_posted', '+', amount), updated_at: now }))
      .where('id', '=', id)
      .where('credits_posted', '<=', Number.MAX_SAFE_INTEGER - amount)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /**
   * Take back an amount this transaction added moments ago (the row is still locked by it),
   * so a transfer that turns out to be a replay leaves the caller's transaction as it was.
   */
  async undoPosting(q: Q, id: string, side: 'debit' | 'credit', amount: number, fromHold = false): Promise<void> {
    await q
      .updateTable('ledger_account')
      .set((eb) =>
        side === 'credit'
          ? { credits_posted: eb('credits_posted', '-', amount) }
          : {
              debits_posted: eb('debits_posted', '-', amount),
              ...(fromHold ? { debits_pending: eb('debits_pending', '+', amount) } : {}),
            },
      )
      .where('id', '=', id)
      .execute();
  },

  /** Lock an account row for the rest of the transaction (PostgreSQL; SQLite has one writer). */
  async lockAccount(q: Q, id: string): Promise<void> {
    await q
      .updateTable('ledger_account')
      .set((eb) => ({ updated_at: eb.ref('updated_at') }))
      .where('id', '=', id)
      .execute();
  },

  async findTransferByKey(q: Q, key: string): Promise<LedgerTransferTable | undefined> {
    return q.selectFrom('ledger_transfer').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
  },

  async findTransferById(q: Q, id: string): Promise<LedgerTransferTable | undefined> {
    return q.selectFrom('ledger_transfer').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findReversalOf(q: Q, id: string): Promise<LedgerTransferTable | undefined> {
    return q.selectFrom('ledger_transfer').selectAll().where('reversal_of', '=', id).executeTakeFirst();
  },

  /**
   * Insert unless a unique column (idempotency key, reversal_of) is taken. On PostgreSQL an
   * insert racing a concurrent one with the same key waits for it to commit and then inserts
   * nothing, instead of failing and aborting the caller's whole transaction.
   */
  async insertTransferIfAbsent(q: Q, row: LedgerTransferTable): Promise<boolean> {
    const r = await q
      .insertInto('ledger_transfer')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    return r !== undefined;
  },

  /** One side of an account's statement, newest first, before a keyset cursor. */
  async transfersOf(
    q: Q,
    accountId: string,
    side: 'debit' | 'credit',
    page: { before: string | null; limit: number },
  ): Promise<LedgerTransferTable[]> {
    let query = q
      .selectFrom('ledger_transfer')
      .selectAll()
      .where(side === 'debit' ? 'debit_account_id' : 'credit_account_id', '=', accountId);
    if (page.before) query = query.where('id', '<', page.before);
    return query.orderBy('id', 'desc').limit(page.limit).execute();
  },

  /**
   * Accounts whose posted totals differ from the sums of their transfers, or whose holds
   * differ from the sum of their draft payout lines.
   */
  async accountsOutOfBalance(q: Q): Promise<
    {
      id: string;
      debits_posted: number;
      credits_posted: number;
      debits_pending: number;
      debits: number;
      credits: number;
      held: number;
    }[]
  > {
    const rows = await sql<Record<string, number | string>>`
      select a.id, a.debits_posted, a.credits_posted, a.debits_pending,
        coalesce((select sum(t.amount) from ledger_transfer t where t.debit_account_id = a.id), 0) as debits,
        coalesce((select sum(t.amount) from ledger_transfer t where t.credit_account_id = a.id), 0) as credits,
        coalesce((select sum(l.amount) from payout_line l
                  where l.payable_account_id = a.id and l.status = 'draft'), 0) as held
      from ledger_account a`.execute(q);
    return rows.rows
      .map((r) => ({
        id: String(r.id),
        debits_posted: Number(r.debits_posted),
        credits_posted: Number(r.credits_posted),
        debits_pending: Number(r.debits_pending),
        debits: Number(r.debits),
        credits: Number(r.credits),
        held: Number(r.held),
      }))
      .filter((r) => r.debits !== r.debits_posted || r.credits !== r.credits_posted || r.held !== r.debits_pending);
  },

  // payouts

  async insertBatch(q: Q, row: PayoutBatchTable): Promise<void> {
    await q.insertInto('payout_batch').values(row).execute();
  },

  async insertLines(q: Q, rows: PayoutLineTable[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      await q
        .insertInto('payout_line')
        .values(rows.slice(i, i + 200))
        .execute();
    }
  },

  async findBatchById(q: Q, id: string): Promise<PayoutBatchTable | undefined> {
    return q.selectFrom('payout_batch').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async linesOf(q: Q, batchId: string): Promise<PayoutLineTable[]> {
    return q.selectFrom('payout_line').selectAll().where('batch_id', '=', batchId).orderBy('line_no').execute();
  },

  /**
   * Move a batch from one status to the next; false when it was not in `from` (a concurrent
   * call moved it first). On PostgreSQL the row stays locked until the transaction ends, so a
   * second caller waits here and then sees the new status.
   */
  async moveBatch(
    q: Q,
    id: string,
    from: PayoutBatchTable['status'][],
    set: Partial<Pick<PayoutBatchTable, 'status' | 'sent_at' | 'reconciled_at'>> & { updated_at: string },
  ): Promise<boolean> {
    const r = await q
      .updateTable('payout_batch')
      .set(set)
      .where('id', '=', id)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async updateLine(
    q: Q,
    id: string,
    from: PayoutLineTable['status'],
    set: Partial<PayoutLineTable> & { updated_at: string },
  ): Promise<boolean> {
    const r = await q
      .updateTable('payout_line')
      .set(set)
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Cancel the draft lines of a batch; returns them as they were. */
  async cancelLines(q: Q, batchId: string, now: string): Promise<PayoutLineTable[]> {
    const lines = await q
      .selectFrom('payout_line')
      .selectAll()
      .where('batch_id', '=', batchId)
      .where('status', '=', 'draft')
      .execute();
    await q
      .updateTable('payout_line')
      .set({ status: 'cancelled', updated_at: now })
      .where('batch_id', '=', batchId)
      .where('status', '=', 'draft')
      .execute();
    return lines;
  },

  /** Payable accounts of an org and purpose with money on them that no draft holds. */
  async payablesWithBalance(q: Q, orgId: string, purpose: string): Promise<LedgerAccountTable[]> {
    return q
      .selectFrom('ledger_account')
      .selectAll()
      .where('kind', '=', 'payable')
      .where('org_id', '=', orgId)
      .where('purpose', '=', purpose)
      .where((eb) => eb(eb('debits_posted', '+', eb.ref('debits_pending')), '<', eb.ref('credits_posted')))
      .orderBy('id')
      .execute();
  },

  async findPeople(
    q: Q,
    ids: readonly string[],
  ): Promise<Map<string, { id: string; name: string; bank_card_cipher: string | null; phone_cipher: string | null }>> {
    const out = new Map<
      string,
      { id: string; name: string; bank_card_cipher: string | null; phone_cipher: string | null }
    >();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await q
        .selectFrom('person')
        .select(['id', 'name', 'bank_card_cipher', 'phone_cipher'])
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.id, r);
    }
    return out;
  },

  /** The accounts kept by one organization itself (not its subtree's). */
  async accountsAt(q: Q, org: { id: string; path: string }): Promise<LedgerAccountTable[]> {
    return q
      .selectFrom('ledger_account')
      .selectAll()
      .where('org_path', '=', org.path)
      .where('org_id', '=', org.id)
      .orderBy('id')
      .execute();
  },

  /** Payout batches of one organization not yet reconciled: drafts holding money, or sent ones. */
  async countOpenBatchesAt(q: Q, org: { id: string; path: string }): Promise<number> {
    const row = await q
      .selectFrom('payout_batch')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('org_path', '=', org.path)
      .where('org_id', '=', org.id)
      .where('status', 'in', ['draft', 'sent'])
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async findOrg(q: Q, id: string): Promise<{ id: string; path: string; province_root: string } | undefined> {
    return q.selectFrom('organization').select(['id', 'path', 'province_root']).where('id', '=', id).executeTakeFirst();
  },
};
