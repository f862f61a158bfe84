import type { RetentionReason } from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import type { Effect, WorkflowDefinition } from '../../core/workflow/definition.ts';
import type { DB } from '../../db/schema.ts';

/**
 * Membership changes on the one engine (decision 0013, 0017).
 *
 * - `membership.transfer` is handled by the union the member moves to: it accepts (the
 *   membership moves, with the same member number and the history kept) or declines with a
 *   reason. The union left is a party: its cadres see the transfer and comment, but it has no
 *   step, so it cannot block a worker who changed jobs.
 * - `membership.retain` and `membership.withdraw` are the member's requests, decided by their
 *   union (`membership.review` at the handling level).
 * The member may cancel a request the union has not decided yet.
 */

export const TRANSFER_KEY = 'membership.transfer';
export const RETAIN_KEY = 'membership.retain';
export const WITHDRAW_KEY = 'membership.withdraw';
export const REQUEST_KEYS = [RETAIN_KEY, WITHDRAW_KEY] as const;
export const MEMBERSHIP_KEYS = [TRANSFER_KEY, RETAIN_KEY, WITHDRAW_KEY] as const;

/** Working days the deciding union has (as for joining, DOMAIN §3.2). */
export const DECISION_WORKING_DAYS = 3;

export interface TransferData extends Record<string, unknown> {
  personId: string;
  /** The person's name (never an ID number or phone: instance data is not encrypted). */
  personName: string;
  memberNumber: string | null;
  fromMembershipId: string;
  fromOrgId: string;
  toOrgId: string;
  startedBy: 'member' | 'from_union' | 'to_union';
  comment: string | null;
}

export interface RequestData extends Record<string, unknown> {
  kind: 'retain' | 'withdraw';
  personId: string;
  personName: string;
  memberNumber: string | null;
  membershipId: string;
  reasonCode: RetentionReason | null;
  comment: string | null;
}

/** What the module does when a step decides: the effects run in the step's unit of work. */
export interface MembershipEffects {
  moveMembership: Effect<TransferData>;
  retain: Effect<RequestData>;
  withdraw: Effect<RequestData>;
  /** Paths of the union a transfer leaves, read when the instance is loaded. */
  transferParties: (q: Kysely<DB>, instanceId: string) => Promise<readonly string[]>;
}

const t = (zh: string, en: string) => ({ 'zh-CN': zh, en });
const review = { permission: 'membership.review', orgLevel: 'handling' } as const;

export function membershipDefinitions(effects: MembershipEffects) {
  const transfer: WorkflowDefinition<TransferData> = {
    key: TRANSFER_KEY,
    version: 1,
    label: t('会员转会', 'Membership transfer'),
    subjectType: 'person',
    initial: 'review',
    startPermission: 'membership.review',
    parties: (q, i) => effects.transferParties(q, i.id),
    states: {
      review: {
        kind: 'review',
        label: t('转入工会审核', 'Review by the union joined'),
        deadlineWorkingDays: DECISION_WORKING_DAYS,
      },
      accepted: { kind: 'done', label: t('已转入', 'Transferred') },
      declined: { kind: 'rejected', label: t('未接收', 'Declined') },
      cancelled: { kind: 'withdrawn', label: t('已撤回', 'Cancelled') },
    },
    transitions: [
      {
        action: 'accept',
        from: 'review',
        to: 'accepted',
        label: t('同意转入', 'Accept'),
        by: review,
        effect: effects.moveMembership,
      },
      {
        action: 'decline',
        from: 'review',
        to: 'declined',
        label: t('不予接收', 'Decline'),
        by: review,
        requireComment: true,
      },
      { action: 'cancel', from: 'review', to: 'cancelled', label: t('撤回申请', 'Cancel'), by: 'applicant' },
    ],
  };

  const request = (
    key: string,
    label: ReturnType<typeof t>,
    approved: ReturnType<typeof t>,
    effect: Effect<RequestData>,
  ): WorkflowDefinition<RequestData> => ({
    key,
    version: 1,
    label,
    subjectType: 'person',
    initial: 'review',
    states: {
      review: {
        kind: 'review',
        label: t('所在工会审核', 'Review by the union'),
        deadlineWorkingDays: DECISION_WORKING_DAYS,
      },
      approved: { kind: 'done', label: approved },
      declined: { kind: 'rejected', label: t('未同意', 'Declined') },
      cancelled: { kind: 'withdrawn', label: t('已撤回', 'Cancelled') },
    },
    transitions: [
      { action: 'approve', from: 'review', to: 'approved', label: t('同意', 'Approve'), by: review, effect },
      {
        action: 'decline',
        from: 'review',
        to: 'declined',
        label: t('不同意', 'Decline'),
        by: review,
        requireComment: true,
      },
      { action: 'cancel', from: 'review', to: 'cancelled', label: t('撤回申请', 'Cancel'), by: 'applicant' },
    ],
  });

  return {
    transfer,
    retain: request(RETAIN_KEY, t('保留会籍', 'Membership retention'), t('已保留会籍', 'Retained'), effects.retain),
    withdraw: request(WITHDRAW_KEY, t('退会', 'Withdrawal'), t('已退会', 'Withdrawn'), effects.withdraw),
  };
}
