import type { membershipRoutes, RouteOutput } from '@zhgh/contracts';
import { ElMessageBox } from 'element-plus';
import { t } from '../../i18n/index.ts';

export type Transfer = RouteOutput<typeof membershipRoutes.transfer>;
export type MembershipRequest = RouteOutput<typeof membershipRoutes.requestStep>;
export type Proposal = RouteOutput<typeof membershipRoutes.proposals>['items'][number];
export type MemberHistory = RouteOutput<typeof membershipRoutes.history>;

/** Ask for the reason a step needs (declining, dismissing, expelling); null when cancelled. */
export async function askReason(title: string, minLength = 1): Promise<string | null> {
  try {
    const answer = await ElMessageBox.prompt(t('memberships.reasonPrompt'), title, {
      confirmButtonText: t('common.confirm'),
      cancelButtonText: t('common.cancel'),
      inputType: 'textarea',
      inputValidator: (v: string) => v.trim().length >= minLength || t('memberships.reasonRequired'),
    });
    return answer.value.trim();
  } catch {
    return null;
  }
}

export const stateTag = (kind: string): 'success' | 'danger' | 'info' | 'warning' =>
  kind === 'done' ? 'success' : kind === 'rejected' ? 'danger' : kind === 'withdrawn' ? 'info' : 'warning';
