import { financeRoutes, IDEMPOTENCY_KEY_HEADER } from '@zhgh/contracts';
import type { FastifyRequest } from 'fastify';
import type { RouteBinder } from '../../http/router.ts';
import type { FinanceService } from './finance.service.ts';

const keyOf = (request: FastifyRequest): string | undefined => {
  const v = request.headers[IDEMPOTENCY_KEY_HEADER];
  return Array.isArray(v) ? v[0] : v;
};

export function bindFinanceRoutes(bind: RouteBinder, finance: FinanceService): void {
  bind(financeRoutes.accounts, ({ ctx, input }) => finance.listAccounts(ctx, input.query));
  bind(financeRoutes.account, ({ ctx, input }) => finance.getAccount(ctx, input.params.id));
  bind(financeRoutes.statement, ({ ctx, input }) => finance.statement(ctx, input.params.id, input.query));
  bind(financeRoutes.openAccount, ({ ctx, input }) => finance.openAccount(ctx, input.body));
  bind(financeRoutes.allocate, ({ ctx, input, request }) => finance.allocate(ctx, input.body, keyOf(request)));
  bind(financeRoutes.reverse, ({ ctx, input, request }) =>
    finance.reverse(ctx, input.params.id, input.body, keyOf(request)),
  );
  bind(financeRoutes.batches, ({ ctx, input }) => finance.listBatches(ctx, input.query));
  bind(financeRoutes.batch, ({ ctx, input }) => finance.getBatch(ctx, input.params.id));
  bind(financeRoutes.createBatch, ({ ctx, input }) => finance.createBatch(ctx, input.body));
  bind(financeRoutes.cancelBatch, ({ ctx, input }) => finance.cancelBatch(ctx, input.params.id));
  bind(financeRoutes.sendBatch, ({ ctx, input }) => finance.sendBatch(ctx, input.params.id));
  bind(financeRoutes.bankFile, ({ ctx, input }) => finance.bankFile(ctx, input.params.id));
  bind(financeRoutes.reconcile, ({ ctx, input, file }) => finance.reconcile(ctx, input.params.id, file!));
}
