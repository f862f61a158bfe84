import { accessRoutes, type RouteOutput } from '@zhgh/contracts';

export type Grant = RouteOutput<typeof accessRoutes.createGrant>;
export type GrantStatus = 'active' | 'revoked' | 'expired' | 'pending';

/** Where a grant stands now; the server keeps revoked and lapsed grants for the record. */
export function grantStatus(g: Pick<Grant, 'revokedAt' | 'validFrom' | 'validTo'>, now = Date.now()): GrantStatus {
  if (g.revokedAt) return 'revoked';
  if (g.validTo && Date.parse(g.validTo) <= now) return 'expired';
  if (Date.parse(g.validFrom) > now) return 'pending';
  return 'active';
}

export const STATUS_TAG: Record<GrantStatus, 'success' | 'info' | 'warning' | 'danger'> = {
  active: 'success',
  pending: 'warning',
  expired: 'info',
  revoked: 'danger',
};
