import type {
  ledgerAccountOutput,
  ledgerTransferOutput,
  payoutBatchOutput,
  payoutLineOutput,
  statementLineOutput,
} from '@zhgh/contracts';
import type { z } from 'zod';
import { maskCardToLast4, maskName } from '../../core/crypto/mask.ts';
import { availableOf, balanceOf, type StatementLine } from '../../core/ledger/ledger.ts';
import type { PayoutLineView } from '../../core/ledger/payouts.ts';
import type { LedgerTransferTable } from '../../db/schema.ts';
import type { AccountRow, BatchRow } from './finance.repository.ts';

export function presentAccount(a: AccountRow): z.infer<typeof ledgerAccountOutput> {
  return {
    id: a.id,
    kind: a.kind,
    purpose: a.purpose,
    orgId: a.org_id,
    orgName: a.org_name,
    personId: a.person_id,
    personName: a.person_name === null ? null : maskName(a.person_name),
    balance: balanceOf(a),
    available: availableOf(a),
    pending: a.debits_pending,
    debitsPosted: a.debits_posted,
    creditsPosted: a.credits_posted,
    createdAt: a.created_at,
    updatedAt: a.updated_at,
  };
}

export function presentTransfer(t: LedgerTransferTable): z.infer<typeof ledgerTransferOutput> {
  return {
    id: t.id,
    debitAccountId: t.debit_account_id,
    creditAccountId: t.credit_account_id,
    amount: t.amount,
    kind: t.kind,
    memo: t.memo,
    reference: t.reference_type && t.reference_id ? { type: t.reference_type, id: t.reference_id } : null,
    reversalOf: t.reversal_of,
    occurredAt: t.occurred_at,
    createdAt: t.created_at,
  };
}

export function presentStatementLine(l: StatementLine): z.infer<typeof statementLineOutput> {
  return { transfer: presentTransfer(l.transfer), side: l.side, change: l.change };
}

export function presentBatch(b: BatchRow): z.infer<typeof payoutBatchOutput> {
  return {
    id: b.id,
    batchNo: b.batch_no,
    orgId: b.org_id,
    orgName: b.org_name,
    purpose: b.purpose,
    status: b.status,
    lineCount: b.line_count,
    totalAmount: b.total_amount,
    memo: b.memo,
    createdAt: b.created_at,
    sentAt: b.sent_at,
    reconciledAt: b.reconciled_at,
  };
}

/** `card` is the decrypted card: it leaves the server as its last 4 digits, never whole. */
export function presentLine(l: PayoutLineView, card: string | null): z.infer<typeof payoutLineOutput> {
  return {
    id: l.id,
    lineNo: l.line_no,
    personId: l.person_id,
    payeeName: maskName(l.payee_name),
    bankCard: card === null ? '' : maskCardToLast4(card),
    amount: l.amount,
    memo: l.memo,
    reference: l.reference_type && l.reference_id ? { type: l.reference_type, id: l.reference_id } : null,
    status: l.status,
    failureReason: l.failure_reason,
    resultAt: l.result_at,
  };
}
