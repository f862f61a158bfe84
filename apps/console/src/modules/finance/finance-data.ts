import type { financeRoutes, RouteOutput } from '@zhgh/contracts';

export type LedgerAccount = RouteOutput<typeof financeRoutes.account>;
export type StatementPage = RouteOutput<typeof financeRoutes.statement>;
export type PayoutBatch = RouteOutput<typeof financeRoutes.batches>['items'][number];
export type PayoutBatchDetail = RouteOutput<typeof financeRoutes.batch>;
export type ReconcileSummary = RouteOutput<typeof financeRoutes.reconcile>;

/** Integer fen → `12,345.67` yuan, exactly (no floating point on the way). */
export function formatYuan(fen: number): string {
  const negative = fen < 0;
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * A typed amount in yuan (`1234.5`, `1,234.56`) → integer fen, or null when it is not a
 * positive amount with at most two decimals. Parsed as text so 0.1 + 0.2 never happens.
 */
export function parseYuan(text: string): number | null {
  const m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text.trim().replace(/,/g, ''));
  if (!m) return null;
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return fen > 0 && Number.isSafeInteger(fen) ? fen : null;
}

/** A fresh idempotency key for one intended transfer: a retried click sends the same one. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export const BATCH_STATUS_TAG = {
  draft: 'info',
  sent: 'warning',
  reconciled: 'success',
  cancelled: 'info',
} as const;

export const LINE_STATUS_TAG = {
  draft: 'info',
  sent: 'warning',
  paid: 'success',
  failed: 'danger',
  cancelled: 'info',
} as const;

export const TRANSFER_KINDS = [
  'allocation',
  'payment',
  'payout_send',
  'payout_settle',
  'payout_return',
  'reversal',
  'org_merge',
] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

/** Transfer kinds the console names; other modules' own kinds show as their code. */
export function isKnownTransferKind(kind: string): kind is TransferKind {
  return (TRANSFER_KINDS as readonly string[]).includes(kind);
}
