import type { SeparatedDuty } from '@zhgh/contracts';
import { AppError } from '../../core/app-error.ts';
import type { RoleTable, UserAccountTable } from '../../db/schema.ts';

/**
 * Rules for granting roles, as the rulebook states them:
 * - nobody grants a role to themselves;
 * - nobody holds two of the three separated administrator roles (三员分立);
 * - a role is only for the user kinds it was made for.
 * (That the organization lies in the granter's scope is the scope helper's check.)
 */
export function checkGrant(
  granterId: string,
  user: UserAccountTable,
  role: RoleTable,
  heldDuties: readonly string[],
): void {
  if (granterId === user.id) throw new AppError('SELF_GRANT');
  const kinds = JSON.parse(role.user_kinds) as string[];
  if (!kinds.includes(user.kind)) throw new AppError('ROLE_NOT_FOR_USER_KIND');
  if (role.separated_duty && heldDuties.some((d) => d !== role.separated_duty)) {
    throw new AppError('SEPARATION_OF_DUTIES');
  }
}

/** Revoking your own grant is refused too: a security administrator cannot quietly step aside and back. */
export function checkRevoke(revokerId: string, grantUserId: string): void {
  if (revokerId === grantUserId) throw new AppError('SELF_GRANT');
}

export function separatedDutyOf(role: RoleTable): SeparatedDuty | null {
  return role.separated_duty;
}
