import type { FieldError } from '@zhgh/contracts';
import type { Kysely, Transaction } from 'kysely';
import { lockChain } from '../../db/dialect.ts';
import type { DB, LedgerAccountTable, LedgerTransferTable } from '../../db/schema.ts';
import { requireInScope, type Scope, scopeFor } from '../access/scope.ts';
import type { RequestContext } from '../actor.ts';
import { AppError, fieldError } from '../app-error.ts';
import { AUDIT_CHAIN_LOCK } from '../audit/audit.ts';
import type { CoreDeps } from '../deps.ts';
import { newId } from '../ids.ts';
import type { WriteScope } from '../unit-of-work.ts';
import { ledgerRepository as repo } from './ledger.repository.ts';

/**
 * The ledger (decision 0012): money moves only as immutable double-entry transfers in
 * integer fen between accounts, each with a unique idempotency key; corrections are
 * reversals; an account whose rule says so never has more debits than credits posted.
 *
 * Two ways in. `post`, `reverse` and `openAccount` take the caller's `WriteScope`, so a
 * service (a subsidy payment) moves money inside its own transaction and audit trail.
 * `transfer`, `reverseTransfer` and `open` open their own unit of work for a caller that
 * has nothing else to write.
 */

export const ACCOUNT_KINDS = ['funding', 'budget', 'payable', 'clearing', 'bank'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/** Purpose of the accounts kept per organization rather than per purpose (clearing, bank). */
export const GENERAL_PURPOSE = 'general';

/** Transfers a payout batch makes; its own lines correct them, never a free-standing reversal. */
export const PAYOUT_TRANSFER_KINDS = ['payout_send', 'payout_settle', 'payout_return'] as const;

/** The transfer that empties a merged union's budget into the absorbing union's. */
export const MERGER_TRANSFER_KIND = 'org_merge';

/** Permission whose scope covers reading balances and statements. */
export const LEDGER_READ = 'finance.read';
/** Permission whose scope covers moving money. */
export const LEDGER_PAY = 'finance.pay';

const MAX_KEY = 200;
const MAX_MEMO = 200;
const MAX_REFERENCE = 100;
const CODE_PATTERN = /^[a-z][a-z0-9_.]{0,63}$/;

export interface AccountSpec {
  kind: AccountKind;
  orgId: string;
  /** Purpose code, e.g. `model_worker_subsidy`; clearing and bank accounts use `general`. */
  purpose?: string;
  /** The payee of a payable account; only payables have one. */
  personId?: string | null;
}

export interface TransferInput {
  /** Unique per intended transfer: a retry with the same key and content gets the same transfer. */
  idempotencyKey: string;
  debitAccountId: string;
  creditAccountId: string;
  /** Integer fen, > 0. */
  amount: number;
  kind: string;
  memo?: string | null;
  /** What caused the transfer, e.g. `{ type: 'subsidy_payment', id }`. */
  reference?: { type: string; id: string } | null;
  /** When the money moved in the world; default now. Not part of the idempotent content. */
  occurredAt?: string;
}

export interface ReversalInput {
  transferId: string;
  idempotencyKey: string;
  memo?: string | null;
  occurredAt?: string;
}

export interface PostResult {
  transfer: LedgerTransferTable;
  /** False when the key had been applied before (the existing transfer is returned). */
  created: boolean;
}

/** The budgets among `accounts` with money free to move (what a merger hands over). */
function budgetsWithMoney(accounts: readonly LedgerAccountTable[]): LedgerAccountTable[] {
  return accounts.filter((a) => a.kind === 'budget' && availableOf(a) > 0);
}

/** Which side a kind of account grows on; its balance is counted on that side. */
export function normalSide(kind: AccountKind): 'debit' | 'credit' {
  // A funding account records money that came in from outside the ledger: it is debited as
  // budgets are credited, so it is counted debit-positive. Every other kind holds money.
  return kind === 'funding' ? 'debit' : 'credit';
}

export function balanceRuleOf(kind: AccountKind): LedgerAccountTable['balance_rule'] {
  return kind === 'funding' || kind === 'bank' ? 'none' : 'debits_must_not_exceed_credits';
}

export function balanceOf(account: Pick<LedgerAccountTable, 'kind' | 'debits_posted' | 'credits_posted'>): number {
  return normalSide(account.kind) === 'credit'
    ? account.credits_posted - account.debits_posted
    : account.debits_posted - account.credits_posted;
}

/** What a credit-side account can still give: its balance less what draft payouts hold. */
export function availableOf(
  account: Pick<LedgerAccountTable, 'kind' | 'debits_posted' | 'credits_posted' | 'debits_pending'>,
): number {
  return balanceOf(account) - account.debits_pending;
}

/** The account's natural key: one account per kind, organization, purpose and payee. */
export function accountKey(spec: AccountSpec): string {
  const purpose = spec.purpose ?? GENERAL_PURPOSE;
  return spec.personId
    ? `${spec.kind}:${spec.orgId}:${purpose}:${spec.personId}`
    : `${spec.kind}:${spec.orgId}:${purpose}`;
}

function checkAccountSpec(spec: AccountSpec): void {
  const errors: FieldError[] = [];
  if (!(ACCOUNT_KINDS as readonly string[]).includes(spec.kind)) errors.push(fieldError('kind', 'enum'));
  if (!CODE_PATTERN.test(spec.purpose ?? GENERAL_PURPOSE)) errors.push(fieldError('purpose', 'format'));
  if (spec.kind === 'payable' && !spec.personId) errors.push(fieldError('personId', 'required'));
  if (spec.kind !== 'payable' && spec.personId) errors.push(fieldError('personId', 'unknown_field'));
  if (errors.length > 0) throw new AppError('VALIDATION_FAILED', errors);
}

const text = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/** An amount of money in fen: a safe positive integer, or the field error saying why not. */
export function amountError(field: string, amount: unknown): FieldError | null {
  if (typeof amount !== 'number' || Number.isNaN(amount)) return fieldError(field, 'type');
  if (!Number.isInteger(amount) && Number.isFinite(amount)) {
    return fieldError(
      field,
      'format',
      text(`${field}：金额必须是整数（单位：分）`, `${field} must be a whole number of fen`),
    );
  }
  if (amount <= 0)
    return fieldError(field, 'too_small', text(`${field}：金额必须大于 0`, `${field} must be more than 0`));
  if (!Number.isSafeInteger(amount)) {
    return fieldError(
      field,
      'too_big',
      text(`${field}：金额超出可精确计算的范围`, `${field} is larger than ${Number.MAX_SAFE_INTEGER} fen`),
    );
  }
  return null;
}

/** Every problem of a transfer's input at once, as one VALIDATION_FAILED. */
export function checkTransferInput(input: TransferInput): void {
  const errors: FieldError[] = [];
  const key = input.idempotencyKey;
  if (typeof key !== 'string' || key.trim() === '') errors.push(fieldError('idempotencyKey', 'required'));
  else if (key.length > MAX_KEY) errors.push(fieldError('idempotencyKey', 'too_big'));
  if (typeof input.debitAccountId !== 'string' || !input.debitAccountId) {
    errors.push(fieldError('debitAccountId', 'required'));
  }
  if (typeof input.creditAccountId !== 'string' || !input.creditAccountId) {
    errors.push(fieldError('creditAccountId', 'required'));
  } else if (input.creditAccountId === input.debitAccountId) {
    errors.push(
      fieldError(
        'creditAccountId',
        'invalid',
        text('creditAccountId：收款账户不能与付款账户相同', 'creditAccountId must differ from debitAccountId'),
      ),
    );
  }
  const amount = amountError('amount', input.amount);
  if (amount) errors.push(amount);
  if (typeof input.kind !== 'string' || !CODE_PATTERN.test(input.kind)) errors.push(fieldError('kind', 'format'));
  if (input.memo != null && (typeof input.memo !== 'string' || input.memo.length > MAX_MEMO)) {
    errors.push(fieldError('memo', 'too_big'));
  }
  if (input.reference != null) {
    const { type, id } = input.reference;
    if (typeof type !== 'string' || !CODE_PATTERN.test(type)) errors.push(fieldError('reference.type', 'format'));
    if (typeof id !== 'string' || id === '' || id.length > MAX_REFERENCE) {
      errors.push(fieldError('reference.id', 'format'));
    }
  }
  if (input.occurredAt !== undefined && Number.isNaN(Date.parse(input.occurredAt))) {
    errors.push(fieldError('occurredAt', 'format'));
  }
  if (errors.length > 0) throw new AppError('VALIDATION_FAILED', errors);
}

/** Same key, same content: everything but the time it was submitted. */
function sameContent(t: LedgerTransferTable, input: TransferInput, reversalOf: string | null): boolean {
  return (
    t.debit_account_id === input.debitAccountId &&
    t.credit_account_id === input.creditAccountId &&
    t.amount === input.amount &&
    t.kind === input.kind &&
    t.memo === (input.memo ?? null) &&
    t.reference_type === (input.reference?.type ?? null) &&
    t.reference_id === (input.reference?.id ?? null) &&
    t.reversal_of === reversalOf
  );
}

function replayOf(existing: LedgerTransferTable, input: TransferInput, reversalOf: string | null): PostResult {
  if (!sameContent(existing, input, reversalOf)) {
    throw new AppError(
      'LEDGER_IDEMPOTENCY_CONFLICT',
      [fieldError('idempotencyKey', 'invalid', text('idempotencyKey：已用于另一笔转账', 'idempotencyKey is taken'))],
      `idempotency key ${input.idempotencyKey} holds transfer ${existing.id} with other content`,
    );
  }
  return { transfer: existing, created: false };
}

/** Thrown inside a convenience unit of work to roll back a replay that wrote nothing. */
class Replay extends Error {
  constructor(readonly value: unknown) {
    super('replay');
  }
}

export interface StatementLine {
  transfer: LedgerTransferTable;
  side: 'debit' | 'credit';
  /** Signed from the account's point of view: positive grows its balance. */
  change: number;
}

export function createLedger(deps: Pick<CoreDeps, 'db' | 'dialect' | 'write' | 'now'>) {
  const { db, dialect, write } = deps;
  const iso = () => deps.now().toISOString();

  /**
   * Every ledger write takes the audit chain lock before it touches an account row. All
   * writers take that lock for their audit event anyway; taking it first means account rows
   * are only ever locked by its holder, so ledger writes cannot deadlock each other or a
   * caller that audited before posting, and a retried key queues behind the first attempt.
   */
  async function serialise(trx: Transaction<DB>): Promise<void> {
    await lockChain(trx as unknown as Kysely<unknown>, dialect, AUDIT_CHAIN_LOCK);
  }

  function scopeOf(ctx: RequestContext, permission: string): Scope | null {
    // Only the system itself (jobs, provisioning) acts without a scope; no route carries it.
    return ctx.actor.kind === 'system' ? null : scopeFor(ctx.principal, permission);
  }

  async function accountInScope(q: Kysely<DB>, id: string, scope: Scope | null): Promise<LedgerAccountTable> {
    const account = await repo.findAccountById(q, id);
    if (!account) throw AppError.notFound(`no ledger account ${id}`);
    if (scope) requireInScope(scope, account.org_path);
    return account;
  }

  async function openAccount(s: WriteScope, spec: AccountSpec): Promise<LedgerAccountTable> {
    return (await opened(s, spec)).account;
  }

  async function opened(s: WriteScope, spec: AccountSpec): Promise<{ account: LedgerAccountTable; created: boolean }> {
    checkAccountSpec(spec);
    const key = accountKey(spec);
    const found = await repo.findAccountByKey(s.trx, key);
    if (found) return { account: found, created: false };
    const org = await repo.findOrg(s.trx, spec.orgId);
    if (!org) throw AppError.notFound(`no organization ${spec.orgId}`);
    if (spec.personId) {
      const people = await repo.findPeople(s.trx, [spec.personId]);
      if (!people.has(spec.personId)) throw AppError.notFound(`no person ${spec.personId}`);
    }
    await serialise(s.trx);
    const now = iso();
    const row: LedgerAccountTable = {
      id: newId(),
      account_key: key,
      kind: spec.kind,
      purpose: spec.purpose ?? GENERAL_PURPOSE,
      org_id: org.id,
      org_path: org.path,
      province_root: org.province_root,
      person_id: spec.personId ?? null,
      currency: 'CNY',
      balance_rule: balanceRuleOf(spec.kind),
      debits_posted: 0,
      credits_posted: 0,
      debits_pending: 0,
      created_at: now,
      updated_at: now,
    };
    if (!(await repo.insertAccountIfAbsent(s.trx, row))) {
      return { account: (await repo.findAccountByKey(s.trx, key))!, created: false };
    }
    await s.audit({
      action: 'ledger.account.open',
      subjectType: 'ledger_account',
      subjectId: row.id,
      orgPath: row.org_path,
      changes: [
        { field: 'kind', to: row.kind },
        { field: 'purpose', to: row.purpose },
        ...(row.person_id ? [{ field: 'personId', to: row.person_id }] : []),
        { field: 'balanceRule', to: row.balance_rule },
      ],
    });
    return { account: row, created: true };
  }

  /**
   * Apply one transfer without its audit event: balances first (conditional updates, the two
   * rows in id order), then the row. When the row turns out to exist already (a replay, or a
   * reversal that lost a race), the balances are put back, so the caller's transaction holds
   * exactly what it held before.
   */
  async function apply(
    s: WriteScope,
    input: TransferInput,
    reversalOf: string | null,
    ctx: { actorId: string | null; fromHold?: boolean },
  ): Promise<PostResult & { debit?: LedgerAccountTable }> {
    const fromHold = ctx.fromHold ?? false;
    checkTransferInput(input);
    const before = await repo.findTransferByKey(s.trx, input.idempotencyKey);
    if (before) return replayOf(before, input, reversalOf);
    await serialise(s.trx);
    const again = await repo.findTransferByKey(s.trx, input.idempotencyKey);
    if (again) return replayOf(again, input, reversalOf);
    const both = await repo.findAccountsByIds(s.trx, [input.debitAccountId, input.creditAccountId]);
    const debit = both.find((a) => a.id === input.debitAccountId);
    const credit = both.find((a) => a.id === input.creditAccountId);
    if (!debit) throw AppError.notFound(`no ledger account ${input.debitAccountId}`);
    if (!credit) throw AppError.notFound(`no ledger account ${input.creditAccountId}`);
    const now = iso();
    const sides = [
      { id: debit.id, side: 'debit' as const },
      { id: credit.id, side: 'credit' as const },
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    const done: typeof sides = [];
    const undo = async () => {
      for (const d of done) await repo.undoPosting(s.trx, d.id, d.side, input.amount, fromHold);
    };
    for (const x of sides) {
      const ok =
        x.side === 'debit'
          ? await repo.addDebit(s.trx, x.id, input.amount, now, fromHold)
          : await repo.addCredit(s.trx, x.id, input.amount, now);
      if (!ok) {
        await undo();
        if (x.side === 'debit' && debit.balance_rule !== 'none') {
          throw new AppError(
            'LEDGER_INSUFFICIENT_FUNDS',
            [
              fieldError(
                'amount',
                'too_big',
                text('amount：超过付款账户的可用余额', "amount is more than the debit account's balance"),
              ),
            ],
            `account ${debit.id} cannot be debited ${input.amount}`,
          );
        }
        throw new AppError(
          'VALIDATION_FAILED',
          [fieldError('amount', 'too_big')],
          `account ${x.id} posted total would pass 2^53`,
        );
      }
      done.push(x);
    }
    const row: LedgerTransferTable = {
      id: newId(),
      idempotency_key: input.idempotencyKey,
      debit_account_id: debit.id,
      credit_account_id: credit.id,
      amount: input.amount,
      kind: input.kind,
      memo: input.memo ?? null,
      reference_type: input.reference?.type ?? null,
      reference_id: input.reference?.id ?? null,
      reversal_of: reversalOf,
      occurred_at: input.occurredAt ? new Date(input.occurredAt).toISOString() : now,
      created_at: now,
      created_by: ctx.actorId,
    };
    if (!(await repo.insertTransferIfAbsent(s.trx, row))) {
      // A writer that did not queue on the chain lock committed this key (or reversed this
      // transfer) first: the unique indexes decided, and the winner's transfer is the answer.
      await undo();
      const winner = await repo.findTransferByKey(s.trx, input.idempotencyKey);
      if (winner) return replayOf(winner, input, reversalOf);
      if (reversalOf) throw alreadyReversed(reversalOf);
      throw new AppError('CONFLICT', undefined, `transfer ${row.id} met a unique index other than its key`);
    }
    return { transfer: row, created: true, debit };
  }

  async function auditTransfer(s: WriteScope, t: LedgerTransferTable, orgPath: string): Promise<void> {
    await s.audit({
      action: t.reversal_of ? 'ledger.transfer.reverse' : 'ledger.transfer',
      subjectType: 'ledger_transfer',
      subjectId: t.id,
      orgPath,
      changes: [
        { field: 'amount', to: t.amount },
        { field: 'debitAccountId', to: t.debit_account_id },
        { field: 'creditAccountId', to: t.credit_account_id },
        { field: 'kind', to: t.kind },
        { field: 'idempotencyKey', to: t.idempotency_key },
        ...(t.reference_type ? [{ field: 'reference', to: `${t.reference_type}:${t.reference_id}` }] : []),
        ...(t.reversal_of ? [{ field: 'reversalOf', to: t.reversal_of }] : []),
      ],
    });
  }

  function alreadyReversed(id: string): AppError {
    return new AppError('LEDGER_ALREADY_REVERSED', undefined, `transfer ${id} is already reversed`);
  }

  async function post(s: WriteScope, input: TransferInput, actorId: string | null = null): Promise<PostResult> {
    const r = await apply(s, input, null, { actorId });
    if (r.created) await auditTransfer(s, r.transfer, r.debit!.org_path);
    return { transfer: r.transfer, created: r.created };
  }

  async function reverse(s: WriteScope, input: ReversalInput, actorId: string | null = null): Promise<PostResult> {
    const original = await repo.findTransferById(s.trx, input.transferId);
    if (!original) throw AppError.notFound(`no transfer ${input.transferId}`);
    // A merger's transfer is the law's consequence of a restructuring that is not undone:
    // reversed, it would give money back to a union that has merged and takes no money.
    if (
      original.reversal_of ||
      original.kind === MERGER_TRANSFER_KIND ||
      (PAYOUT_TRANSFER_KINDS as readonly string[]).includes(original.kind)
    ) {
      throw new AppError('LEDGER_NOT_REVERSIBLE', undefined, `transfer ${original.id} is ${original.kind}`);
    }
    // Money goes back the way it came, the full amount: a partial correction is a new transfer.
    const transfer: TransferInput = {
      idempotencyKey: input.idempotencyKey,
      debitAccountId: original.credit_account_id,
      creditAccountId: original.debit_account_id,
      amount: original.amount,
      kind: 'reversal',
      memo: input.memo ?? null,
      reference: original.reference_type ? { type: original.reference_type, id: original.reference_id! } : null,
      ...(input.occurredAt ? { occurredAt: input.occurredAt } : {}),
    };
    const existing = await repo.findTransferByKey(s.trx, input.idempotencyKey);
    if (existing) return replayOf(existing, transfer, original.id);
    const reversed = await repo.findReversalOf(s.trx, original.id);
    if (reversed) throw alreadyReversed(original.id);
    const r = await apply(s, transfer, original.id, { actorId });
    if (r.created) await auditTransfer(s, r.transfer, r.debit!.org_path);
    return { transfer: r.transfer, created: r.created };
  }

  /** Run a ledger write in its own unit of work; a replay rolls back (it wrote nothing) and returns. */
  async function ownWrite<T>(ctx: RequestContext, work: (s: WriteScope) => Promise<{ value: T; wrote: boolean }>) {
    try {
      return await write(ctx, async (s) => {
        const r = await work(s);
        if (!r.wrote) throw new Replay(r.value);
        return r.value;
      });
    } catch (err) {
      if (err instanceof Replay) return err.value as T;
      throw err;
    }
  }

  const actorIdOf = (ctx: RequestContext) => ctx.actor.id;

  return {
    openAccount,
    post,
    reverse,
    /**
     * Apply a transfer without auditing it yet (payout batches audit their transfers last).
     * `fromHold` posts money a draft payout line held on the debit account.
     */
    apply: (s: WriteScope, input: TransferInput, options: { actorId: string | null; fromHold?: boolean }) =>
      apply(s, input, null, options),
    auditTransfer,
    serialise,

    /**
     * What a merger would leave half done at `org`: money it owes people (payables with a
     * balance, and what it handed to the bank that the bank has not confirmed) and payout
     * batches not yet reconciled. Those are the source's to finish, in fen and batches.
     */
    async inFlightAt(q: Kysely<DB>, org: { id: string; path: string }): Promise<{ owed: number; batches: number }> {
      const accounts = await repo.accountsAt(q, org);
      const owed = accounts
        .filter((a) => a.kind === 'payable' || a.kind === 'clearing')
        .reduce((sum, a) => sum + balanceOf(a), 0);
      return { owed, batches: await repo.countOpenBatchesAt(q, org) };
    },

    /** What `handOver` would move from `org`: its budgets with money on them, and the fen. */
    async toHandOver(q: Kysely<DB>, org: { id: string; path: string }): Promise<{ accounts: number; amount: number }> {
      const budgets = budgetsWithMoney(await repo.accountsAt(q, org));
      return { accounts: budgets.length, amount: budgets.reduce((sum, a) => sum + availableOf(a), 0) };
    },

    /**
     * A merger's funds pass to the union that absorbs it (工会法: 合并后经费财产归合并后的工会所有):
     * each budget of `from` with money on it is emptied into `to`'s budget of the same purpose,
     * opened if `to` has none, one audited transfer each, in the merger's unit of work. Funding
     * and bank accounts are the record of where money came from and went, and stay. Payables
     * and clearing must be empty by then (`inFlightAt`), since a payee's money is tied to the
     * batch and award that owe it.
     */
    async handOver(
      s: WriteScope,
      from: { id: string; path: string; name: string },
      to: { id: string; name: string },
      actorId: string | null,
    ): Promise<{ accounts: number; amount: number }> {
      let accounts = 0;
      let amount = 0;
      for (const account of budgetsWithMoney(await repo.accountsAt(s.trx, from))) {
        const money = availableOf(account);
        const into = await openAccount(s, { kind: 'budget', orgId: to.id, purpose: account.purpose });
        await post(
          s,
          {
            idempotencyKey: `org.merge:${from.id}:${account.id}`,
            debitAccountId: account.id,
            creditAccountId: into.id,
            amount: money,
            kind: MERGER_TRANSFER_KIND,
            memo: `${from.name}并入${to.name}`.slice(0, MAX_MEMO),
            reference: { type: 'organization', id: from.id },
          },
          actorId,
        );
        accounts++;
        amount += money;
      }
      return { accounts, amount };
    },

    /** Open (or find) an account in its own unit of work. */
    async open(ctx: RequestContext, spec: AccountSpec): Promise<LedgerAccountTable> {
      checkAccountSpec(spec);
      const found = await repo.findAccountByKey(db, accountKey(spec));
      if (found) {
        const scope = scopeOf(ctx, LEDGER_READ);
        if (scope) requireInScope(scope, found.org_path);
        return found;
      }
      const scope = scopeOf(ctx, LEDGER_PAY);
      if (scope) {
        const org = await repo.findOrg(db, spec.orgId);
        requireInScope(scope, org?.path);
      }
      return ownWrite(ctx, async (s) => {
        const r = await opened(s, spec);
        return { value: r.account, wrote: r.created };
      });
    },

    /** Post one transfer in its own unit of work; a replay of its key returns the first transfer. */
    async transfer(ctx: RequestContext, input: TransferInput): Promise<LedgerTransferTable> {
      checkTransferInput(input);
      const scope = scopeOf(ctx, LEDGER_PAY);
      const existing = await repo.findTransferByKey(db, input.idempotencyKey);
      if (existing) {
        if (scope) await accountInScope(db, existing.debit_account_id, scope);
        return replayOf(existing, input, null).transfer;
      }
      if (scope) {
        await accountInScope(db, input.debitAccountId, scope);
        await accountInScope(db, input.creditAccountId, scope);
      }
      return ownWrite(ctx, async (s) => {
        const r = await post(s, input, actorIdOf(ctx));
        return { value: r.transfer, wrote: r.created };
      });
    },

    /** Reverse a transfer in full, once, in its own unit of work. */
    async reverseTransfer(ctx: RequestContext, input: ReversalInput): Promise<LedgerTransferTable> {
      const scope = scopeOf(ctx, LEDGER_PAY);
      const original = await repo.findTransferById(db, input.transferId);
      if (!original) throw AppError.notFound(`no transfer ${input.transferId}`);
      if (scope) {
        await accountInScope(db, original.debit_account_id, scope);
        await accountInScope(db, original.credit_account_id, scope);
      }
      return ownWrite(ctx, async (s) => {
        const r = await reverse(s, input, actorIdOf(ctx));
        return { value: r.transfer, wrote: r.created };
      });
    },

    async balance(ctx: RequestContext, accountId: string) {
      const account = await accountInScope(db, accountId, scopeOf(ctx, LEDGER_READ));
      return {
        account,
        normalSide: normalSide(account.kind),
        balance: balanceOf(account),
        available: availableOf(account),
        debitsPosted: account.debits_posted,
        debitsPending: account.debits_pending,
        creditsPosted: account.credits_posted,
      };
    },

    /**
     * An account's transfers, newest first, keyset-paged by transfer id (UUIDv7: time order).
     * Each side is read through its own index and the two are merged.
     */
    async statement(
      ctx: RequestContext,
      accountId: string,
      page: { cursor?: string | null; limit?: number } = {},
    ): Promise<{ account: LedgerAccountTable; items: StatementLine[]; nextCursor: string | null }> {
      const account = await accountInScope(db, accountId, scopeOf(ctx, LEDGER_READ));
      const limit = Math.min(Math.max(page.limit ?? 50, 1), 500);
      const q = { before: page.cursor ?? null, limit: limit + 1 };
      const [debits, credits] = await Promise.all([
        repo.transfersOf(db, accountId, 'debit', q),
        repo.transfersOf(db, accountId, 'credit', q),
      ]);
      const grows = normalSide(account.kind);
      const merged = [
        ...debits.map((t) => ({ transfer: t, side: 'debit' as const })),
        ...credits.map((t) => ({ transfer: t, side: 'credit' as const })),
      ]
        .sort((a, b) => (a.transfer.id < b.transfer.id ? 1 : -1))
        .map((l) => ({ ...l, change: l.side === grows ? l.transfer.amount : -l.transfer.amount }));
      const items = merged.slice(0, limit);
      return { account, items, nextCursor: merged.length > limit ? items.at(-1)!.transfer.id : null };
    },

    /** Accounts whose posted totals differ from a recount of their transfers (empty when sound). */
    async outOfBalance() {
      return repo.accountsOutOfBalance(db);
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;
