import { z } from 'zod';
import { idSchema, isoTime, pageOf, pageQuery } from './common.ts';
import { defineRoute, fileAnswer } from './route.ts';

/**
 * Finance (decision 0012): accounts and transfers of the ledger in integer fen, and payout
 * batches that send approved payables to the bank as a file and settle them from the bank's
 * result file. Reads need finance.read, anything that moves money finance.pay, both over the
 * organization concerned; outside scope a record does not exist (404).
 */

export const FINANCE_ACCOUNT_KINDS = ['funding', 'budget', 'payable', 'clearing', 'bank'] as const;
/** Kinds a cadre opens by hand; payables, clearing and bank accounts are opened by the flows that use them. */
export const OPENABLE_ACCOUNT_KINDS = ['funding', 'budget'] as const;
export const PAYOUT_BATCH_STATUSES = ['draft', 'sent', 'reconciled', 'cancelled'] as const;
export const PAYOUT_LINE_STATUSES = ['draft', 'sent', 'paid', 'failed', 'cancelled'] as const;

/** Largest bank result file accepted; a batch of 100,000 lines is about 8 MB. */
export const PAYOUT_RESULT_MAX_BYTES = 16 * 1024 * 1024;
export const BANK_FILE_CONTENT_TYPE = 'text/csv; charset=utf-8';
/** Header that carries a client's idempotency key (the body field `idempotencyKey` also does). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

const fen = z.number().int().describe('Amount in fen (分), an integer');
const reference = z
  .object({
    type: z.string().describe('Kind of record, e.g. subsidy_payment'),
    id: z.string().describe('Its id'),
  })
  .nullable();
const purposeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_.]{0,63}$/, 'must be a lower-case code: letters, digits, _ and .')
  .describe('Purpose code, e.g. model_worker_subsidy');
const idempotencyKey = z
  .string()
  .trim()
  .min(8)
  .max(100)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .describe('Client-chosen key: the same key with the same content gives the same transfer; other content is 409');

export const ledgerAccountOutput = z.object({
  id: idSchema,
  kind: z.enum(FINANCE_ACCOUNT_KINDS).describe('funding, budget, payable (owed to one person), clearing, bank'),
  purpose: z.string().describe('Purpose code; clearing and bank accounts use general'),
  orgId: z.string().describe('Organization the account belongs to'),
  orgName: z.string().describe('Name of the organization the account belongs to'),
  personId: z.string().nullable().describe('Payee of a payable account'),
  personName: z.string().nullable().describe('Payee’s name, masked (张*)'),
  balance: fen.describe('Posted balance on the account’s normal side, in fen'),
  available: fen.describe('Balance less what draft payout batches hold, in fen'),
  pending: fen.describe('Held by draft payout batches, in fen'),
  debitsPosted: fen.describe('Posted debits, in fen'),
  creditsPosted: fen.describe('Posted credits, in fen'),
  createdAt: isoTime,
  updatedAt: isoTime,
});

export const ledgerTransferOutput = z.object({
  id: idSchema,
  debitAccountId: z.string().describe('Account the money leaves'),
  creditAccountId: z.string().describe('Account the money goes to'),
  amount: fen,
  kind: z.string().describe('allocation, payment, payout_send, payout_settle, payout_return, reversal …'),
  memo: z.string().nullable().describe('Memo; a reversal’s reason'),
  reference: reference.describe('What caused the transfer'),
  reversalOf: z.string().nullable().describe('The transfer this one reverses'),
  occurredAt: isoTime,
  createdAt: isoTime,
});

export const statementLineOutput = z.object({
  transfer: ledgerTransferOutput.describe('The transfer'),
  side: z.enum(['debit', 'credit']).describe('Side of the transfer this account is on'),
  change: fen.describe('Signed change of this account’s balance'),
});

export const payoutBatchOutput = z.object({
  id: idSchema,
  batchNo: z.string().describe('PB + Beijing date + 8 hex characters, as in the bank file'),
  orgId: z.string().describe('The paying organization'),
  orgName: z.string().describe('Its name'),
  purpose: z.string().describe('Purpose code of the payables it pays'),
  status: z.enum(PAYOUT_BATCH_STATUSES).describe('draft → sent → reconciled, or cancelled'),
  lineCount: z.number().int().describe('Lines in the batch'),
  totalAmount: fen.describe('Sum of the lines, in fen'),
  memo: z.string().nullable().describe('用途 written in the bank file'),
  createdAt: isoTime,
  sentAt: isoTime.nullable().describe('When it was sent; null while a draft'),
  reconciledAt: isoTime.nullable().describe('When every line was settled'),
});

export const payoutLineOutput = z.object({
  id: idSchema,
  lineNo: z.number().int().describe('Line number in the batch and the bank file'),
  personId: z.string().describe('The payee'),
  payeeName: z.string().describe('Payee’s name, masked (张*)'),
  bankCard: z.string().describe('Bank card, masked to its last 4 digits'),
  amount: fen,
  memo: z.string().nullable().describe('The line’s own 用途, else the batch’s'),
  reference: reference.describe('The record the line pays, e.g. a subsidy payment'),
  status: z.enum(PAYOUT_LINE_STATUSES).describe('draft, sent, paid, failed or cancelled'),
  failureReason: z.string().nullable().describe('The bank’s reason for a failed payment'),
  resultAt: isoTime.nullable().describe('When the bank’s result was applied'),
});

const lineCounts = z.object({
  draft: z.number().int().describe('Lines not sent yet'),
  sent: z.number().int().describe('Lines at the bank, not reconciled'),
  paid: z.number().int().describe('Lines the bank paid'),
  failed: z.number().int().describe('Lines the bank returned'),
  cancelled: z.number().int().describe('Lines of a cancelled draft'),
});

export const payoutBatchDetailOutput = payoutBatchOutput.extend({
  counts: lineCounts.describe('Lines by status'),
  lines: z.array(payoutLineOutput).describe('Every line, in line order'),
});

export const payoutCreateOutput = z.object({
  batch: payoutBatchOutput.describe('The draft batch'),
  lines: z.array(payoutLineOutput).describe('Its lines'),
  skipped: z
    .array(
      z.object({
        personId: z.string().describe('The payee left out'),
        reason: z.string().describe('Why: no_bank_card'),
      }),
    )
    .describe('Payees left out of a collected batch'),
});

export const reconcileOutput = z.object({
  batch: payoutBatchOutput.describe('The batch after this file'),
  paid: z.number().int().describe('Lines this file settled as paid'),
  failed: z.number().int().describe('Lines this file settled as failed (their money is payable again)'),
  unchanged: z.number().int().describe('Lines the file named that had been reconciled before with the same result'),
  notified: z.number().int().describe('Failed payees told by SMS'),
  failures: z
    .array(
      z.object({
        lineNo: z.number().int().describe('Line number'),
        payeeName: z.string().describe('Payee, masked'),
        amount: fen,
        reason: z.string().describe('The bank’s reason'),
      }),
    )
    .describe('Every failed line of the batch, with the bank’s reason'),
});

export const accountOpenBody = z.strictObject({
  orgId: idSchema.describe('Organization in your finance.pay scope'),
  kind: z.enum(OPENABLE_ACCOUNT_KINDS).describe('funding (where money comes from) or budget'),
  purpose: purposeSchema,
});

export const allocationBody = z.strictObject({
  debitAccountId: idSchema.describe('A funding account'),
  creditAccountId: idSchema.describe('A budget account of the same purpose'),
  amount: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('Amount in fen, > 0'),
  memo: z.string().trim().max(200).nullable().optional(),
  idempotencyKey: idempotencyKey.optional().describe('Or the Idempotency-Key header; one of them is required'),
});

export const reversalBody = z.strictObject({
  reason: z.string().trim().min(2).max(200).describe('Why the transfer is reversed; kept as its memo'),
  idempotencyKey: idempotencyKey.optional(),
});

export const payoutCreateBody = z.strictObject({
  orgId: idSchema.describe('The paying organization, in your finance.pay scope'),
  purpose: purposeSchema,
  memo: z.string().trim().max(100).nullable().optional().describe('用途 in the bank file'),
  lines: z
    .array(
      z.strictObject({
        personId: idSchema,
        amount: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('Fen'),
        memo: z.string().trim().max(100).nullable().optional(),
      }),
    )
    .min(1)
    .max(100_000)
    .optional()
    .describe('Explicit lines; without them every payable of the organization and purpose with free money'),
});

const idParams = z.object({ id: idSchema });

export const financeRoutes = {
  accounts: defineRoute({
    id: 'finance.accounts',
    method: 'GET',
    path: '/api/finance/accounts',
    tag: 'finance',
    summary: 'Ledger accounts of organizations in your scope, with balances',
    permission: 'finance.read',
    query: pageQuery.extend({
      orgId: z.string().max(64).optional().describe('Only this organization and below; must be in your scope'),
      kind: z.enum(FINANCE_ACCOUNT_KINDS).optional(),
      purpose: purposeSchema.optional(),
    }),
    output: pageOf(ledgerAccountOutput),
    errors: ['NOT_FOUND'],
  }),
  account: defineRoute({
    id: 'finance.account',
    method: 'GET',
    path: '/api/finance/accounts/:id',
    tag: 'finance',
    summary: 'One account with its balance',
    permission: 'finance.read',
    params: idParams,
    output: ledgerAccountOutput,
    errors: ['NOT_FOUND'],
  }),
  statement: defineRoute({
    id: 'finance.statement',
    method: 'GET',
    path: '/api/finance/accounts/:id/statement',
    tag: 'finance',
    summary: 'An account’s transfers, newest first, keyset-paged',
    permission: 'finance.read',
    params: idParams,
    query: z.object({
      cursor: z.string().max(64).optional().describe('nextCursor of the previous page'),
      limit: z.coerce.number().int().min(1).max(500).default(50),
    }),
    output: z.object({
      account: ledgerAccountOutput.describe('The account with its balance now'),
      items: z.array(statementLineOutput).describe('Transfers of this page, newest first'),
      nextCursor: z.string().nullable().describe('Pass as cursor for older transfers; null at the end'),
    }),
    errors: ['NOT_FOUND'],
  }),
  openAccount: defineRoute({
    id: 'finance.openAccount',
    method: 'POST',
    path: '/api/finance/accounts',
    tag: 'finance',
    summary: 'Open (or find) the funding or budget account of an organization for a purpose',
    permission: 'finance.pay',
    body: accountOpenBody,
    output: ledgerAccountOutput,
    errors: ['NOT_FOUND', 'ORG_NOT_ACTIVE'],
  }),
  allocate: defineRoute({
    id: 'finance.allocate',
    method: 'POST',
    path: '/api/finance/transfers',
    tag: 'finance',
    summary: 'Allocate a budget: a transfer from a funding account to a budget account of the same purpose',
    permission: 'finance.pay',
    body: allocationBody,
    output: ledgerTransferOutput,
    status: 201,
    errors: ['NOT_FOUND', 'LEDGER_IDEMPOTENCY_CONFLICT', 'LEDGER_INSUFFICIENT_FUNDS'],
  }),
  reverse: defineRoute({
    id: 'finance.reverse',
    method: 'POST',
    path: '/api/finance/transfers/:id/reversal',
    tag: 'finance',
    summary: 'Reverse a transfer in full, once, with a reason',
    permission: 'finance.pay',
    params: idParams,
    body: reversalBody,
    output: ledgerTransferOutput,
    status: 201,
    errors: [
      'NOT_FOUND',
      'LEDGER_IDEMPOTENCY_CONFLICT',
      'LEDGER_ALREADY_REVERSED',
      'LEDGER_NOT_REVERSIBLE',
      'LEDGER_INSUFFICIENT_FUNDS',
    ],
  }),
  batches: defineRoute({
    id: 'payout.list',
    method: 'GET',
    path: '/api/finance/payout-batches',
    tag: 'finance',
    summary: 'Payout batches of organizations in your scope, newest first',
    permission: 'finance.read',
    query: pageQuery.extend({
      orgId: z.string().max(64).optional().describe('Only this organization and below; must be in your scope'),
      status: z.enum(PAYOUT_BATCH_STATUSES).optional(),
    }),
    output: pageOf(payoutBatchOutput),
    errors: ['NOT_FOUND'],
  }),
  batch: defineRoute({
    id: 'payout.get',
    method: 'GET',
    path: '/api/finance/payout-batches/:id',
    tag: 'finance',
    summary: 'A payout batch with its lines (names and cards masked)',
    permission: 'finance.read',
    params: idParams,
    output: payoutBatchDetailOutput,
    errors: ['NOT_FOUND'],
  }),
  createBatch: defineRoute({
    id: 'payout.create',
    method: 'POST',
    path: '/api/finance/payout-batches',
    tag: 'finance',
    summary: 'A draft batch of payables; each line holds its money until the batch is sent or cancelled',
    permission: 'finance.pay',
    body: payoutCreateBody,
    output: payoutCreateOutput,
    status: 201,
    errors: ['NOT_FOUND', 'LEDGER_INSUFFICIENT_FUNDS', 'PAYOUT_NO_BANK_CARD', 'PAYOUT_NOTHING_TO_PAY'],
  }),
  cancelBatch: defineRoute({
    id: 'payout.cancel',
    method: 'POST',
    path: '/api/finance/payout-batches/:id/cancel',
    tag: 'finance',
    summary: 'Cancel a draft batch, releasing what its lines held',
    permission: 'finance.pay',
    params: idParams,
    output: payoutBatchOutput,
    errors: ['NOT_FOUND', 'PAYOUT_BATCH_STATE'],
  }),
  sendBatch: defineRoute({
    id: 'payout.send',
    method: 'POST',
    path: '/api/finance/payout-batches/:id/send',
    tag: 'finance',
    summary: 'Send a draft: every line moves payable → clearing in one transaction; then download the bank file',
    permission: 'finance.pay',
    params: idParams,
    output: payoutBatchOutput,
    errors: ['NOT_FOUND', 'PAYOUT_BATCH_STATE', 'LEDGER_INSUFFICIENT_FUNDS'],
  }),
  bankFile: defineRoute({
    id: 'payout.bankFile',
    method: 'GET',
    path: '/api/finance/payout-batches/:id/bank-file',
    tag: 'finance',
    summary: 'The bank file of a sent batch (full card numbers: every download is audited)',
    permission: 'finance.pay',
    params: idParams,
    output: fileAnswer,
    download: {
      contentType: BANK_FILE_CONTENT_TYPE,
      description: 'CSV, UTF-8 with BOM, CRLF; layout in docs/decisions/0012-ledger.md',
    },
    errors: ['NOT_FOUND', 'PAYOUT_BATCH_STATE'],
  }),
  reconcile: defineRoute({
    id: 'payout.reconcile',
    method: 'POST',
    path: '/api/finance/payout-batches/:id/results',
    tag: 'finance',
    summary: 'Upload the bank’s result file: paid lines settle, failed ones are payable again and the payee is told',
    permission: 'finance.pay',
    params: idParams,
    body: z.strictObject({}),
    upload: {
      field: 'file',
      maxBytes: PAYOUT_RESULT_MAX_BYTES,
      description: 'CSV in UTF-8 or GBK with the columns 行号/参考号, 结果, 原因 (decision 0012)',
    },
    output: reconcileOutput,
    errors: ['NOT_FOUND', 'PAYOUT_BATCH_STATE', 'PAYOUT_RESULT_FILE_INVALID', 'FILE_TOO_LARGE'],
  }),
};
