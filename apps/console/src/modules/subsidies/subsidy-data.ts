import { type RouteOutput, subsidyRoutes } from '@zhgh/contracts';

export type SubsidyApplication = RouteOutput<typeof subsidyRoutes.application>;
export type SubsidyPlan = RouteOutput<typeof subsidyRoutes.createPlan>;
export type SubsidyPolicy = RouteOutput<typeof subsidyRoutes.addPolicy>;
export type SubsidyReport = RouteOutput<typeof subsidyRoutes.report>;

/** Fen as yuan with two decimals, for display only (amounts stay integer fen everywhere else). */
export function yuan(fen: number | null | undefined): string {
  return fen === null || fen === undefined ? '—' : (fen / 100).toFixed(2);
}

/** Yuan typed in a form as integer fen; null when it is not a number. */
export function toFen(yuanText: string | number | null | undefined): number | null {
  const n = typeof yuanText === 'number' ? yuanText : Number(String(yuanText ?? '').trim());
  if (!Number.isFinite(n) || n <= 0) return null;
  return Math.round(n * 100);
}

/** Where the finance pages show a payout batch (send, bank file, reconciliation). */
export const batchPath = (batchId: string) => ({ path: '/finance/payout-batches', query: { batch: batchId } });

export const thisYear = () => new Date().getFullYear();
