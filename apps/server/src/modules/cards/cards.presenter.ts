import type { CardOutput, CardVerifyResult, VerifyCardOutput } from '@zhgh/contracts';
import { maskName } from '../../core/crypto/mask.ts';
import type { MemberCardTable } from '../../db/schema.ts';

export interface CardMembership {
  member_number: string | null;
  status: string;
  started_on: string;
  org_name: string;
}

const OPEN = new Set(['active', 'retained']);

export function isOpen(status: string): boolean {
  return OPEN.has(status);
}

/** The card as its holder sees it: masked like everywhere else, since a phone can be borrowed. */
export function presentCard(name: string, membership: CardMembership, card: MemberCardTable | undefined): CardOutput {
  return {
    // A card issued on approval counts as issued once a phone claimed its secret.
    issued: card !== undefined && card.claimed_at !== null,
    cardId: card?.id ?? null,
    issuedAt: card?.issued_at ?? null,
    name: maskName(name),
    memberNumber: membership.member_number,
    unionName: membership.org_name,
    membershipStatus: membership.status,
    memberSince: membership.started_on,
    valid: isOpen(membership.status),
  };
}

/** An invalid answer says nothing about anybody: a forger learns no name from a guessed id. */
export function presentVerification(
  result: CardVerifyResult,
  checkedAt: string,
  who: { name: string; membership: CardMembership } | null,
): VerifyCardOutput {
  const details = result !== 'invalid' && who !== null;
  return {
    result,
    membershipStatus: details ? who.membership.status : null,
    maskedName: details ? maskName(who.name) : null,
    unionName: details ? who.membership.org_name : null,
    checkedAt,
  };
}
