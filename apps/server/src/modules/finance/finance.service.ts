import fs from 'node:fs';
import type { accountOpenBody, allocationBody, FieldError, payoutCreateBody, reversalBody } from '@zhgh/contracts';
import type { z } from 'zod';
import { narrowScope, requireInScope, type Scope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { LEDGER_PAY, LEDGER_READ, type Ledger } from '../../core/ledger/ledger.ts';
import { PAYOUT_CARD_CONTEXT, type PayoutLineView, type Payouts } from '../../core/ledger/payouts.ts';
import type { LedgerAccountTable, PayoutBatchTable } from '../../db/schema.ts';
import type { UploadedFile } from '../../http/files.ts';
import {
  presentAccount,
  presentBatch,
  presentLine,
  presentStatementLine,
  presentTransfer,
} from './finance.presenter.ts';
import { financeRepository as repo } from './finance.repository.ts';

type Page = { page: number; pageSize: number };

const text = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/**
 * Client keys live in their own namespace, so no request can name a key the platform itself
 * uses (`payout:<line>:send`) and collide with a batch's transfer.
 */
const clientKey = (key: string) => `client:${key}`;

/**
 * The finance screens over the ledger (decision 0012). The ledger core owns every rule about
 * money (balances, holds, idempotency, reversals) and checks scope on every call it serves;
 * this service adds what a cadre's request needs around it: the org subtree of lists, the
 * kinds an allocation may join, the idempotency key of the request, masking.
 */
export function createFinanceService(deps: CoreDeps, ledger: Ledger, payouts: Payouts) {
  const { db, cipher } = deps;

  const scopeOf = (ctx: RequestContext, permission: string): Scope => scopeFor(ctx.principal, permission);

  /** `?orgId=` narrows a list to a subtree that must lie in scope (else 404, as a missing id). */
  async function listScope(ctx: RequestContext, permission: string, orgId: string | undefined): Promise<Scope> {
    const scope = scopeOf(ctx, permission);
    if (!orgId) return scope;
    const org = await repo.findOrg(db, orgId);
    if (!org) throw AppError.notFound(`no organization ${orgId}`);
    return narrowScope(scope, org.path);
  }

  async function accountView(id: string) {
    const row = await repo.findAccountRow(db, id);
    if (!row) throw AppError.notFound(`no ledger account ${id}`);
    return presentAccount(row);
  }

  async function batchView(batch: PayoutBatchTable) {
    const row = await repo.findBatchRow(db, batch.id);
    if (!row) throw AppError.notFound(`no payout batch ${batch.id}`);
    return presentBatch(row);
  }

  async function linesView(batchId: string, lines: PayoutLineView[]) {
    const cards = await repo.lineCards(db, batchId);
    return lines.map((l) => {
      const c = cards.get(l.id);
      return presentLine(l, c ? cipher.decrypt(c, PAYOUT_CARD_CONTEXT) : null);
    });
  }

  function requireKey(header: string | undefined, body: string | undefined): string {
    const key = body ?? header?.trim();
    if (!key) {
      throw AppError.invalid(
        'body.idempotencyKey',
        'required',
        text(
          '请提供幂等键（请求头 Idempotency-Key 或字段 idempotencyKey）',
          'An idempotency key is required (Idempotency-Key header or idempotencyKey field)',
        ),
      );
    }
    if (body !== undefined && header !== undefined && header.trim() !== body) {
      throw AppError.invalid(
        'body.idempotencyKey',
        'invalid',
        text('请求头与字段中的幂等键不一致', 'The Idempotency-Key header and the idempotencyKey field differ'),
      );
    }
    if (key.length > 100 || !/^[\x21-\x7e]{8,}$/.test(key)) {
      throw AppError.invalid(
        'body.idempotencyKey',
        'format',
        text(
          '幂等键须为 8–100 个不含空格的 ASCII 字符',
          'The idempotency key must be 8–100 printable ASCII characters',
        ),
      );
    }
    return key;
  }

  async function payAccount(ctx: RequestContext, id: string): Promise<LedgerAccountTable> {
    const account = await repo.findAccount(db, id);
    if (!account) throw AppError.notFound(`no ledger account ${id}`);
    requireInScope(scopeOf(ctx, LEDGER_PAY), account.org_path);
    return account;
  }

  return {
    async listAccounts(
      ctx: RequestContext,
      query: Page & {
        orgId?: string | undefined;
        kind?: LedgerAccountTable['kind'] | undefined;
        purpose?: string | undefined;
      },
    ) {
      const scope = await listScope(ctx, LEDGER_READ, query.orgId);
      const { rows, total } = await repo.listAccounts(
        db,
        scope,
        { kind: query.kind, purpose: query.purpose },
        { limit: query.pageSize, offset: (query.page - 1) * query.pageSize },
      );
      return { items: rows.map(presentAccount), total, page: query.page, pageSize: query.pageSize };
    },

    async getAccount(ctx: RequestContext, id: string) {
      // The ledger's own read decides scope (404 outside, as for a missing id).
      await ledger.balance(ctx, id);
      return accountView(id);
    },

    async statement(ctx: RequestContext, id: string, page: { cursor?: string | undefined; limit: number }) {
      const r = await ledger.statement(ctx, id, { cursor: page.cursor ?? null, limit: page.limit });
      return {
        account: await accountView(id),
        items: r.items.map(presentStatementLine),
        nextCursor: r.nextCursor,
      };
    },

    async openAccount(ctx: RequestContext, input: z.infer<typeof accountOpenBody>) {
      const org = await repo.findOrg(db, input.orgId);
      if (!org) throw AppError.notFound(`no organization ${input.orgId}`);
      requireInScope(scopeOf(ctx, LEDGER_PAY), org.path);
      // A merged or dissolved union takes no new money: its funds passed on or await its ancestors.
      if (org.status !== 'active') throw new AppError('ORG_NOT_ACTIVE');
      const account = await ledger.open(ctx, { kind: input.kind, orgId: org.id, purpose: input.purpose });
      return accountView(account.id);
    },

    /** Funding → budget of one purpose: the only transfer a cadre posts by hand. */
    async allocate(ctx: RequestContext, input: z.infer<typeof allocationBody>, headerKey: string | undefined) {
      const key = requireKey(headerKey, input.idempotencyKey);
      const debit = await payAccount(ctx, input.debitAccountId);
      const credit = await payAccount(ctx, input.creditAccountId);
      const errors: FieldError[] = [];
      if (debit.kind !== 'funding') {
        errors.push(
          fieldError('body.debitAccountId', 'invalid', text('付款账户必须是资金来源账户', 'must be a funding account')),
        );
      }
      if (credit.kind !== 'budget') {
        errors.push(
          fieldError('body.creditAccountId', 'invalid', text('收款账户必须是预算账户', 'must be a budget account')),
        );
      } else if ((await repo.findOrg(db, credit.org_id))?.status !== 'active') {
        errors.push(
          fieldError(
            'body.creditAccountId',
            'invalid',
            text('该预算账户所属组织已合并或撤销，不能再下达预算', 'belongs to a union that was merged or dissolved'),
          ),
        );
      } else if (debit.purpose !== credit.purpose) {
        errors.push(
          fieldError(
            'body.creditAccountId',
            'invalid',
            text('预算账户的用途必须与资金来源账户相同', 'must have the purpose of the funding account'),
          ),
        );
      }
      if (errors.length > 0) throw new AppError('VALIDATION_FAILED', errors);
      const transfer = await ledger.transfer(ctx, {
        idempotencyKey: clientKey(key),
        debitAccountId: debit.id,
        creditAccountId: credit.id,
        amount: input.amount,
        kind: 'allocation',
        memo: input.memo ?? null,
      });
      return presentTransfer(transfer);
    },

    async reverse(
      ctx: RequestContext,
      transferId: string,
      input: z.infer<typeof reversalBody>,
      headerKey: string | undefined,
    ) {
      const key = requireKey(headerKey, input.idempotencyKey);
      const transfer = await ledger.reverseTransfer(ctx, {
        transferId,
        idempotencyKey: clientKey(key),
        memo: input.reason,
      });
      return presentTransfer(transfer);
    },

    async listBatches(
      ctx: RequestContext,
      query: Page & { orgId?: string | undefined; status?: PayoutBatchTable['status'] | undefined },
    ) {
      const scope = await listScope(ctx, LEDGER_READ, query.orgId);
      const { rows, total } = await repo.listBatches(
        db,
        scope,
        { status: query.status },
        { limit: query.pageSize, offset: (query.page - 1) * query.pageSize },
      );
      return { items: rows.map(presentBatch), total, page: query.page, pageSize: query.pageSize };
    },

    async getBatch(ctx: RequestContext, id: string) {
      const { batch, lines } = await payouts.getBatch(ctx, id);
      const counts = { draft: 0, sent: 0, paid: 0, failed: 0, cancelled: 0 };
      for (const l of lines) counts[l.status]++;
      return { ...(await batchView(batch)), counts, lines: await linesView(batch.id, lines) };
    },

    async createBatch(ctx: RequestContext, input: z.infer<typeof payoutCreateBody>) {
      const r = await payouts.createBatch(ctx, {
        orgId: input.orgId,
        purpose: input.purpose,
        memo: input.memo ?? null,
        ...(input.lines
          ? { lines: input.lines.map((l) => ({ personId: l.personId, amount: l.amount, memo: l.memo ?? null })) }
          : {}),
      });
      return { batch: await batchView(r.batch), lines: await linesView(r.batch.id, r.lines), skipped: r.skipped };
    },

    async cancelBatch(ctx: RequestContext, id: string) {
      return batchView(await payouts.cancelBatch(ctx, id));
    },

    /** The file is fetched with `bankFile`, whose every download is audited. */
    async sendBatch(ctx: RequestContext, id: string) {
      return batchView((await payouts.sendBatch(ctx, id)).batch);
    },

    async bankFile(ctx: RequestContext, id: string) {
      const body = await payouts.bankFile(ctx, id);
      const batch = (await repo.findBatchRow(db, id))!;
      return { filename: `${batch.batch_no}.csv`, body };
    },

    async reconcile(ctx: RequestContext, id: string, file: UploadedFile) {
      const bytes = await fs.promises.readFile(file.path);
      const r = await payouts.reconcile(ctx, id, bytes);
      const { lines } = await payouts.getBatch(ctx, id);
      const failures = lines
        .filter((l) => l.status === 'failed')
        .map((l) => {
          const p = presentLine(l, null);
          return { lineNo: p.lineNo, payeeName: p.payeeName, amount: p.amount, reason: l.failure_reason ?? '' };
        });
      return {
        batch: await batchView(r.batch),
        paid: r.paid,
        failed: r.failed,
        unchanged: r.unchanged,
        notified: r.notified,
        failures,
      };
    },
  };
}

export type FinanceService = ReturnType<typeof createFinanceService>;
