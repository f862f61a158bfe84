import { createHash } from 'node:crypto';
import type { FieldError } from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import type { DB, LedgerAccountTable, PayoutBatchTable, PayoutLineTable } from '../../db/schema.ts';
import { requireInScope, type Scope, scopeFor } from '../access/scope.ts';
import type { RequestContext } from '../actor.ts';
import { AppError, fieldError } from '../app-error.ts';
import { localDate } from '../calendar.ts';
import type { CoreDeps } from '../deps.ts';
import { newId } from '../ids.ts';
import type { WriteScope } from '../unit-of-work.ts';
import type { QueuedSms } from '../notify/sms-queue.ts';
import {
  formatYuan,
  lineReference,
  parseResultFile,
  type ResultLine,
  type ResultStatus,
  resultLineError,
  writeBankFile,
} from './bank-file.ts';
import { amountError, availableOf, LEDGER_PAY, LEDGER_READ, type Ledger, type TransferInput } from './ledger.ts';
import { ledgerRepository as repo } from './ledger.repository.ts';

/**
 * Payout batches (decision 0012): approved payables of one organization and purpose go to
 * the bank as one file; the bank's result file settles each line. Money moves
 * payable → clearing when the batch is sent, clearing → bank for a paid line, and
 * clearing → payable for a failed one, so a failed payment is owed again and the person is
 * told why.
 */

/** Cipher context of the person's bank card; equals `PERSON_FIELD_CONTEXTS.bankCard` of members. */
export const PERSON_BANK_CARD_CONTEXT = 'person.bank_card';
/** Cipher context of the card copied onto a payout line. */
export const PAYOUT_CARD_CONTEXT = 'payout_line.bank_card';
/** Cipher context of the person's phone; equals `PERSON_FIELD_CONTEXTS.phone` of members. */
export const PERSON_PHONE_CONTEXT = 'person.phone';

export interface BatchLineInput {
  personId: string;
  /** Integer fen. */
  amount: number;
  memo?: string | null;
  reference?: { type: string; id: string } | null;
}

export interface CreateBatchInput {
  orgId: string;
  purpose: string;
  /** Lines to pay; without them every payable of the organization and purpose with money on it. */
  lines?: BatchLineInput[];
  memo?: string | null;
}

export interface ReconcileSummary {
  batch: PayoutBatchTable;
  paid: number;
  failed: number;
  /** Lines the file named that had been reconciled before, with the same result. */
  unchanged: number;
  /** Failed payees told by SMS; a payee without a phone on record is not. */
  notified: number;
}

type Deps = Pick<CoreDeps, 'db' | 'dialect' | 'write' | 'now' | 'cipher' | 'smsQueue'>;

/** A line as callers see it: the card stays encrypted in the row, never leaves this module. */
export type PayoutLineView = Omit<PayoutLineTable, 'bank_card_cipher'>;

const viewOf = ({ bank_card_cipher: _card, ...line }: PayoutLineTable): PayoutLineView => line;

const text = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/** Rolls back a reconciliation that found, inside the lock, nothing left to settle. */
class NothingLeft extends Error {}

/**
 * What a module does, inside the reconciliation's transaction, when a line it referenced is
 * settled (a subsidy marks its application paid, or owed again). Throwing rolls the whole
 * reconciliation back.
 */
export type SettlementListener = (
  s: WriteScope,
  settled: { line: PayoutLineView; batch: PayoutBatchTable; status: 'paid' | 'failed'; reason: string | null },
) => Promise<void>;

export function createPayouts(deps: Deps, ledger: Ledger) {
  const { db, write, cipher } = deps;
  const iso = () => deps.now().toISOString();
  // Listeners by the lines' reference type: the module that put the line in the batch.
  const listeners = new Map<string, SettlementListener>();

  function scopeOf(ctx: RequestContext, permission: string): Scope | null {
    return ctx.actor.kind === 'system' ? null : scopeFor(ctx.principal, permission);
  }

  async function batchInScope(q: Kysely<DB>, id: string, scope: Scope | null): Promise<PayoutBatchTable> {
    const batch = await repo.findBatchById(q, id);
    if (!batch) throw AppError.notFound(`no payout batch ${id}`);
    if (scope) requireInScope(scope, batch.org_path);
    return batch;
  }

  function notCovered(line: number, personId: string): AppError {
    return new AppError(
      'LEDGER_INSUFFICIENT_FUNDS',
      [
        fieldError(
          `lines.${line}.amount`,
          'too_big',
          text('超过该收款人可发放的应付余额', "more than the payee's free payable"),
        ),
      ],
      `line ${line}: person ${personId} has less free payable`,
    );
  }

  function stateError(batch: PayoutBatchTable, wanted: string): AppError {
    return new AppError('PAYOUT_BATCH_STATE', undefined, `batch ${batch.id} is ${batch.status}, not ${wanted}`);
  }

  function fileOf(batch: PayoutBatchTable, lines: PayoutLineTable[]): Buffer {
    return writeBankFile(
      batch.batch_no,
      lines.map((l) => ({
        lineNo: l.line_no,
        payeeName: l.payee_name,
        bankCard: cipher.decrypt(l.bank_card_cipher, PAYOUT_CARD_CONTEXT),
        amount: l.amount,
        memo: l.memo ?? batch.memo ?? '',
      })),
    );
  }

  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  /** Which batch line each result line answers; every mismatch names the file line and column. */
  function matchResults(batch: PayoutBatchTable, lines: PayoutLineTable[], results: ResultLine[]) {
    const byNo = new Map(lines.map((l) => [l.line_no, l]));
    const byRef = new Map(lines.map((l) => [lineReference(batch.batch_no, l.line_no), l]));
    const outcome = new Map<string, { line: PayoutLineTable; result: ResultLine }>();
    for (const r of results) {
      if (r.batchNo !== null && r.batchNo !== batch.batch_no) {
        throw resultLineError(
          r.fileLine,
          '批次号',
          `不是本批次（${batch.batch_no}）`,
          `not this batch (${batch.batch_no})`,
        );
      }
      const line = r.lineNo !== null ? byNo.get(r.lineNo) : byRef.get(r.reference!);
      if (!line) {
        throw r.lineNo !== null
          ? resultLineError(r.fileLine, '行号', `本批次没有第 ${r.lineNo} 行`, `the batch has no line ${r.lineNo}`)
          : resultLineError(r.fileLine, '参考号', '本批次没有这个参考号', 'the batch has no such reference');
      }
      const ref = lineReference(batch.batch_no, line.line_no);
      if (r.reference !== null && r.reference !== ref) {
        throw resultLineError(
          r.fileLine,
          '参考号',
          `与第 ${line.line_no} 行的参考号 ${ref} 不符`,
          `does not match ${ref}`,
        );
      }
      const seen = outcome.get(line.id);
      if (seen && seen.result.status !== r.status) {
        throw resultLineError(
          r.fileLine,
          '结果',
          `与第 ${seen.result.fileLine} 行对同一笔付款的结果矛盾`,
          `contradicts line ${seen.result.fileLine} about the same payment`,
        );
      }
      if ((line.status === 'paid' || line.status === 'failed') && line.status !== r.status) {
        throw resultLineError(
          r.fileLine,
          '结果',
          `该笔付款此前已对账为“${line.status === 'paid' ? '成功' : '失败'}”`,
          `this payment was already reconciled as ${line.status}`,
        );
      }
      if (line.status === 'draft') throw stateError(batch, 'sent');
      outcome.set(line.id, { line, result: r });
    }
    return [...outcome.values()];
  }

  function settlement(batch: PayoutBatchTable, line: PayoutLineTable, status: ResultStatus): TransferInput {
    return status === 'paid'
      ? {
          idempotencyKey: `payout:${line.id}:paid`,
          debitAccountId: batch.clearing_account_id,
          creditAccountId: batch.bank_account_id,
          amount: line.amount,
          kind: 'payout_settle',
          memo: line.memo,
          reference: { type: 'payout_line', id: line.id },
        }
      : {
          idempotencyKey: `payout:${line.id}:failed`,
          debitAccountId: batch.clearing_account_id,
          creditAccountId: line.payable_account_id,
          amount: line.amount,
          kind: 'payout_return',
          memo: line.memo,
          reference: { type: 'payout_line', id: line.id },
        };
  }

  /** Failed payees are told by SMS, queued with the settlement that failed them. */
  async function queueFailedNotices(
    s: WriteScope,
    batch: PayoutBatchTable,
    failed: { line: PayoutLineTable; reason: string }[],
  ): Promise<number> {
    if (failed.length === 0) return 0;
    const people = await repo.findPeople(
      s.trx,
      failed.map((f) => f.line.person_id),
    );
    const messages: QueuedSms[] = [];
    for (const { line, reason } of failed) {
      const phoneCipher = people.get(line.person_id)?.phone_cipher;
      if (!phoneCipher) continue;
      messages.push({
        phone: cipher.decrypt(phoneCipher, PERSON_PHONE_CONTEXT),
        purpose: 'payout_failed',
        text:
          `【工会】您的${line.memo ?? batch.memo ?? '款项'} ${formatYuan(line.amount)} 元未能汇入银行卡` +
          `（银行退回原因：${reason}）。款项已退回待发，请核对银行卡信息后联系所在工会。`,
      });
    }
    await deps.smsQueue.enqueue(s, messages);
    return messages.length;
  }

  return {
    /** Register what happens to a module's own records when their lines are settled. */
    onSettled(referenceType: string, listener: SettlementListener): void {
      if (listeners.has(referenceType))
        throw new Error(`payout settlement listener for ${referenceType} registered twice`);
      listeners.set(referenceType, listener);
    },

    /**
     * A draft batch of payables. Each line is checked against what its payable can still
     * give (balance less other drafts), the card is copied encrypted, nothing moves yet.
     */
    async createBatch(
      ctx: RequestContext,
      input: CreateBatchInput,
    ): Promise<{ batch: PayoutBatchTable; lines: PayoutLineView[]; skipped: { personId: string; reason: string }[] }> {
      const org = await repo.findOrg(db, input.orgId);
      if (!org) throw AppError.notFound(`no organization ${input.orgId}`);
      const scope = scopeOf(ctx, LEDGER_PAY);
      if (scope) requireInScope(scope, org.path);
      const errors: FieldError[] = [];
      input.lines?.forEach((l, i) => {
        const e = amountError(`lines.${i}.amount`, l.amount);
        if (e) errors.push(e);
      });
      if (errors.length > 0) throw new AppError('VALIDATION_FAILED', errors);

      return write(ctx, async (s) => {
        await ledger.serialise(s.trx);
        const now = iso();
        const clearing = await ledger.openAccount(s, { kind: 'clearing', orgId: org.id });
        const bank = await ledger.openAccount(s, { kind: 'bank', orgId: org.id });
        const payables = await repo.payablesWithBalance(s.trx, org.id, input.purpose);
        const byPerson = new Map(payables.map((a) => [a.person_id!, a]));
        const skipped: { personId: string; reason: string }[] = [];
        // Explicit lines name their field; collected lines take what each payable has free.
        const wanted: (BatchLineInput & { account: LedgerAccountTable; field: string | null })[] = input.lines
          ? input.lines.map((l, i) => {
              const account = byPerson.get(l.personId);
              if (!account) throw notCovered(i, l.personId);
              return { ...l, account, field: String(i) };
            })
          : payables.map((a) => ({ personId: a.person_id!, amount: availableOf(a), account: a, field: null }));
        const people = await repo.findPeople(
          s.trx,
          wanted.map((w) => w.personId),
        );
        const batchId = newId();
        const lines: PayoutLineTable[] = [];
        for (const w of wanted) {
          const person = people.get(w.personId)!;
          if (!person.bank_card_cipher) {
            if (w.field !== null) {
              throw new AppError(
                'PAYOUT_NO_BANK_CARD',
                [
                  fieldError(
                    `lines.${w.field}.personId`,
                    'invalid',
                    text('收款人没有登记银行卡号', 'the payee has no bank card on record'),
                  ),
                ],
                `person ${w.personId} has no bank card`,
              );
            }
            skipped.push({ personId: w.personId, reason: 'no_bank_card' });
            continue;
          }
          // The hold is the check: under the account's rule, in one conditional update.
          if (!(await repo.hold(s.trx, w.account.id, w.amount, now))) {
            throw notCovered(w.field === null ? lines.length : Number(w.field), w.personId);
          }
          const card = cipher.decrypt(person.bank_card_cipher, PERSON_BANK_CARD_CONTEXT);
          lines.push({
            id: newId(),
            batch_id: batchId,
            line_no: lines.length + 1,
            payable_account_id: w.account.id,
            person_id: w.personId,
            payee_name: person.name,
            bank_card_cipher: cipher.encrypt(card, PAYOUT_CARD_CONTEXT),
            amount: w.amount,
            memo: w.memo ?? null,
            reference_type: w.reference?.type ?? null,
            reference_id: w.reference?.id ?? null,
            status: 'draft',
            failure_reason: null,
            send_transfer_id: null,
            result_transfer_id: null,
            result_at: null,
            created_at: now,
            updated_at: now,
          });
        }
        if (lines.length === 0)
          throw new AppError('PAYOUT_NOTHING_TO_PAY', undefined, `org ${org.id} ${input.purpose}`);
        const batch: PayoutBatchTable = {
          id: batchId,
          batch_no: `PB${localDate(deps.now()).replaceAll('-', '')}${batchId.slice(-8).toUpperCase()}`,
          org_id: org.id,
          org_path: org.path,
          province_root: org.province_root,
          purpose: input.purpose,
          status: 'draft',
          line_count: lines.length,
          total_amount: lines.reduce((sum, l) => sum + l.amount, 0),
          clearing_account_id: clearing.id,
          bank_account_id: bank.id,
          memo: input.memo ?? null,
          created_by: ctx.actor.id,
          created_at: now,
          updated_at: now,
          sent_at: null,
          reconciled_at: null,
        };
        await repo.insertBatch(s.trx, batch);
        await repo.insertLines(s.trx, lines);
        await s.audit({
          action: 'payout.batch.create',
          subjectType: 'payout_batch',
          subjectId: batch.id,
          orgPath: batch.org_path,
          changes: [
            { field: 'batchNo', to: batch.batch_no },
            { field: 'purpose', to: batch.purpose },
            { field: 'lineCount', to: batch.line_count },
            { field: 'totalAmount', to: batch.total_amount },
          ],
        });
        return { batch, lines: lines.map(viewOf), skipped };
      });
    },

    /**
     * Send a draft: every line's money moves payable → clearing in one transaction, and the
     * bank file is returned. The cards are decrypted here and in `bankFile` only.
     */
    async sendBatch(ctx: RequestContext, batchId: string): Promise<{ batch: PayoutBatchTable; file: Buffer }> {
      const found = await batchInScope(db, batchId, scopeOf(ctx, LEDGER_PAY));
      if (found.status !== 'draft') throw stateError(found, 'draft');
      const batch = await write(ctx, async (s) => {
        await ledger.serialise(s.trx);
        const now = iso();
        if (!(await repo.moveBatch(s.trx, batchId, ['draft'], { status: 'sent', sent_at: now, updated_at: now }))) {
          throw stateError((await repo.findBatchById(s.trx, batchId))!, 'draft');
        }
        const lines = await repo.linesOf(s.trx, batchId);
        const posted = [];
        for (const line of lines) {
          let r;
          try {
            r = await ledger.apply(
              s,
              {
                idempotencyKey: `payout:${line.id}:send`,
                debitAccountId: line.payable_account_id,
                creditAccountId: found.clearing_account_id,
                amount: line.amount,
                kind: 'payout_send',
                memo: line.memo,
                reference: { type: 'payout_line', id: line.id },
              },
              { actorId: ctx.actor.id, fromHold: true },
            );
          } catch (err) {
            // Name the line: the payable was spent elsewhere after the draft was made.
            if (err instanceof AppError && err.code === 'LEDGER_INSUFFICIENT_FUNDS') {
              throw new AppError(
                'LEDGER_INSUFFICIENT_FUNDS',
                [fieldError(`lines.${line.line_no}.amount`, 'too_big')],
                err.detail,
              );
            }
            throw err;
          }
          await repo.updateLine(s.trx, line.id, 'draft', {
            status: 'sent',
            send_transfer_id: r.transfer.id,
            updated_at: now,
          });
          if (r.created) posted.push(r.transfer);
        }
        // Audit events last: the chain lock is already held, and each event reads no head.
        for (const t of posted) await ledger.auditTransfer(s, t, found.org_path);
        const sent = (await repo.findBatchById(s.trx, batchId))!;
        await s.audit({
          action: 'payout.batch.send',
          subjectType: 'payout_batch',
          subjectId: batchId,
          orgPath: found.org_path,
          changes: [
            { field: 'status', from: 'draft', to: 'sent' },
            { field: 'bankFileSha256', to: sha256(fileOf(sent, lines)) },
          ],
        });
        return sent;
      });
      return { batch, file: fileOf(batch, await repo.linesOf(db, batchId)) };
    },

    /** The bank file of a sent batch again; revealing the full cards is an audited event. */
    async bankFile(ctx: RequestContext, batchId: string): Promise<Buffer> {
      const batch = await batchInScope(db, batchId, scopeOf(ctx, LEDGER_PAY));
      if (batch.status !== 'sent' && batch.status !== 'reconciled') throw stateError(batch, 'sent');
      const file = fileOf(batch, await repo.linesOf(db, batchId));
      await write(ctx, (s) =>
        s.audit({
          action: 'payout.bank_file.export',
          subjectType: 'payout_batch',
          subjectId: batchId,
          orgPath: batch.org_path,
          changes: [{ field: 'bankFileSha256', to: sha256(file) }],
        }),
      );
      return file;
    },

    async cancelBatch(ctx: RequestContext, batchId: string): Promise<PayoutBatchTable> {
      const batch = await batchInScope(db, batchId, scopeOf(ctx, LEDGER_PAY));
      return write(ctx, async (s) => {
        const now = iso();
        if (!(await repo.moveBatch(s.trx, batchId, ['draft'], { status: 'cancelled', updated_at: now }))) {
          throw stateError((await repo.findBatchById(s.trx, batchId))!, 'draft');
        }
        for (const line of await repo.cancelLines(s.trx, batchId, now)) {
          await repo.release(s.trx, line.payable_account_id, line.amount, now);
        }
        await s.audit({
          action: 'payout.batch.cancel',
          subjectType: 'payout_batch',
          subjectId: batchId,
          orgPath: batch.org_path,
          changes: [{ field: 'status', from: 'draft', to: 'cancelled' }],
        });
        return (await repo.findBatchById(s.trx, batchId))!;
      });
    },

    /**
     * Apply the bank's result file. The whole file is checked against the batch first: one
     * problem and nothing is written. Lines reconciled before with the same result are left
     * alone, so the same file twice changes nothing. Failed payees are told by SMS queued with the settlement.
     */
    async reconcile(ctx: RequestContext, batchId: string, bytes: Buffer): Promise<ReconcileSummary> {
      const results = parseResultFile(bytes);
      const scope = scopeOf(ctx, LEDGER_PAY);
      const found = await batchInScope(db, batchId, scope);
      if (found.status !== 'sent' && found.status !== 'reconciled') throw stateError(found, 'sent');
      const checked = matchResults(found, await repo.linesOf(db, batchId), results);
      const pending = checked.filter((c) => c.line.status === 'sent');
      if (pending.length === 0) {
        return { batch: found, paid: 0, failed: 0, unchanged: checked.length, notified: 0 };
      }
      const outcome = await write(ctx, async (s) => {
        await ledger.serialise(s.trx);
        // Again inside the lock: a concurrent upload of the same file may have settled lines.
        const lines = await repo.linesOf(s.trx, batchId);
        const todo = matchResults(found, lines, results).filter((c) => c.line.status === 'sent');
        if (todo.length === 0) throw new NothingLeft();
        const now = iso();
        const posted = [];
        const failed: { line: PayoutLineTable; reason: string }[] = [];
        let paid = 0;
        for (const { line, result } of todo) {
          const r = await ledger.apply(s, settlement(found, line, result.status), { actorId: ctx.actor.id });
          await repo.updateLine(s.trx, line.id, 'sent', {
            status: result.status,
            failure_reason: result.status === 'failed' ? result.reason : null,
            result_transfer_id: r.transfer.id,
            result_at: now,
            updated_at: now,
          });
          if (r.created) posted.push(r.transfer);
          if (result.status === 'failed') failed.push({ line, reason: result.reason! });
          else paid++;
          const listener = line.reference_type ? listeners.get(line.reference_type) : undefined;
          if (listener) {
            const settled = {
              ...line,
              status: result.status,
              failure_reason: result.status === 'failed' ? result.reason! : null,
            };
            await listener(s, {
              line: viewOf(settled),
              batch: found,
              status: result.status,
              reason: result.status === 'failed' ? result.reason! : null,
            });
          }
        }
        const open = lines.length - lines.filter((l) => l.status === 'paid' || l.status === 'failed').length;
        if (open === todo.length) {
          await repo.moveBatch(s.trx, batchId, ['sent'], { status: 'reconciled', reconciled_at: now, updated_at: now });
        }
        for (const t of posted) await ledger.auditTransfer(s, t, found.org_path);
        await s.audit({
          action: 'payout.batch.reconcile',
          subjectType: 'payout_batch',
          subjectId: batchId,
          orgPath: found.org_path,
          changes: [
            { field: 'paid', to: paid },
            { field: 'failed', to: failed.length },
            { field: 'resultFileSha256', to: sha256(bytes) },
          ],
        });
        const notified = await queueFailedNotices(s, found, failed);
        return { paid, failed: failed.length, notified };
      }).catch((err: unknown) => {
        // A concurrent upload of the same file settled everything first: nothing was written.
        if (err instanceof NothingLeft) return { paid: 0, failed: 0, notified: 0 };
        throw err;
      });
      const batch = (await repo.findBatchById(db, batchId))!;
      return {
        batch,
        paid: outcome.paid,
        failed: outcome.failed,
        unchanged: checked.length - outcome.paid - outcome.failed,
        notified: outcome.notified,
      };
    },

    async getBatch(
      ctx: RequestContext,
      batchId: string,
    ): Promise<{ batch: PayoutBatchTable; lines: PayoutLineView[] }> {
      const batch = await batchInScope(db, batchId, scopeOf(ctx, LEDGER_READ));
      return { batch, lines: (await repo.linesOf(db, batchId)).map(viewOf) };
    },
  };
}

export type Payouts = ReturnType<typeof createPayouts>;
