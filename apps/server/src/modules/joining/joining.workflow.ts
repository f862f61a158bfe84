import { JOIN_WORK_PROOF } from '@zhgh/contracts';
import { AppError, fieldError } from '../../core/app-error.ts';
import {
  closesIn,
  type Effect,
  type EffectContext,
  type EffectMany,
  type Guard,
  type Label,
  type WorkflowDefinition,
} from '../../core/workflow/definition.ts';
import { documentsNeeded } from './joining.policy.ts';
import { joiningRepository as repo } from './joining.repository.ts';

/**
 * Joining on the workflow engine (decision 0013, 0016): submitted → the union reviews within
 * 3 working days → approved (membership, member number, e-member card, welcome), or rejected
 * with a reason. The worker may correct and resubmit a pending or rejected application, or
 * appeal a rejection to the higher union, which decides it there. An approved application is
 * final: nothing leaves `approved`.
 */

export const JOIN_KEY = 'membership.join';
/** Working days a union has to decide (DOMAIN §3.2). */
export const JOIN_REVIEW_WORKING_DAYS = 3;

/** The instance's own data: ids and codes only; the ID number and phone stay in join_application. */
export interface JoinData extends Record<string, unknown> {
  applicationId: string;
  unionOrgId: string;
  source: 'portal' | 'list' | 'event';
}

const t = (zh: string, en: string): Label => ({ 'zh-CN': zh, en });

export const JOIN_DOCUMENT_KINDS = {
  [JOIN_WORK_PROOF]: t(
    '工作证明（劳动合同、单位证明或平台接单记录）',
    'Proof of work (contract, employer’s letter or platform record)',
  ),
} as const;

/**
 * What approval does in the step's unit of work, for one application or a batch chunk at once;
 * the service supplies it (members, cards). It also moves each application to the approved
 * state (one write per application rather than two). Answers the welcome of each, in order.
 */
export type Approval = (es: readonly EffectContext<JoinData>[]) => Promise<Label[]>;

export function joinDefinition(approve: Approval): WorkflowDefinition<JoinData> {
  const review = { permission: 'membership.review', orgLevel: 'handling' } as const;

  // join_application follows the instance's state; `pending` is what the one-pending index counts.
  const follow: Effect<JoinData> = async (e) => {
    const kind = def.states[e.to]!.kind;
    await repo.updateApplication(e.trx, e.instance.id, {
      state: e.to,
      pending: kind === 'review' ? 1 : 0,
      updated_at: e.now.toISOString(),
    });
  };
  const approved: Effect<JoinData> = async (e) => ({ applicantMessage: (await approve([e]))[0]! });
  // 一键审核: the memberships of a whole chunk are opened set-based.
  const approvedMany: EffectMany<JoinData> = async (es) =>
    (await approve(es)).map((applicantMessage) => ({ applicantMessage }));

  // The proof of work depends on the employment type and the route, which a static list cannot say.
  const documents: Guard<JoinData> = async (i, g) => {
    const app = await repo.findByInstance(g.trx, i.id);
    if (!app) return AppError.notFound();
    const needed = documentsNeeded(app.source, app.employment_type, app.route);
    if (needed.length === 0) return null;
    const have = (await repo.attachedKinds(g.trx, [i.id])).get(i.id) ?? new Set<string>();
    const missing = needed.filter((k) => !have.has(k));
    if (missing.length === 0) return null;
    return new AppError(
      'WORKFLOW_DOCUMENT_MISSING',
      missing.map((k) =>
        fieldError(`documents.${k}`, 'required', {
          'zh-CN': `请上传：${JOIN_DOCUMENT_KINDS[k as keyof typeof JOIN_DOCUMENT_KINDS]['zh-CN']}`,
          en: `Upload: ${JOIN_DOCUMENT_KINDS[k as keyof typeof JOIN_DOCUMENT_KINDS].en}`,
        }),
      ),
    );
  };

  const def: WorkflowDefinition<JoinData> = {
    key: JOIN_KEY,
    version: 1,
    label: t('入会申请', 'Join application'),
    subjectType: 'join_application',
    initial: 'submitted',
    startPermission: 'membership.enroll',
    documentKinds: JOIN_DOCUMENT_KINDS,
    guards: { documents },
    states: {
      submitted: {
        kind: 'review',
        label: t('工会审核中', 'Under review by the union'),
        deadlineWorkingDays: JOIN_REVIEW_WORKING_DAYS,
      },
      approved: { kind: 'done', label: t('已入会', 'Joined') },
      rejected: { kind: 'rejected', label: t('未通过', 'Rejected') },
      appealReview: {
        kind: 'review',
        label: t('上级工会复核申诉', 'Appeal under review by the higher union'),
        deadlineWorkingDays: JOIN_REVIEW_WORKING_DAYS,
      },
      appealDenied: { kind: 'rejected', label: t('申诉未获支持', 'Appeal denied') },
      withdrawn: { kind: 'withdrawn', label: t('已撤回', 'Withdrawn') },
    },
    transitions: [
      {
        action: 'approve',
        from: 'submitted',
        to: 'approved',
        label: t('审核通过', 'Approve'),
        by: review,
        guards: ['documents'],
        effect: approved,
        effectMany: approvedMany,
      },
      {
        action: 'reject',
        from: 'submitted',
        to: 'rejected',
        label: t('不予通过', 'Reject'),
        by: review,
        requireComment: true,
        effect: follow,
      },
      {
        action: 'resubmit',
        from: ['submitted', 'rejected'],
        to: 'submitted',
        label: t('修改后重新提交', 'Correct and resubmit'),
        by: 'applicant',
        effect: follow,
      },
      {
        action: 'appeal',
        from: 'rejected',
        to: 'appealReview',
        label: t('向上级工会申诉', 'Appeal to the higher union'),
        by: 'applicant',
        requireComment: true,
        handlingOrg: 'parent',
        effect: follow,
      },
      {
        action: 'appealGrant',
        from: 'appealReview',
        to: 'approved',
        label: t('申诉成立，准予入会', 'Appeal granted: approve'),
        by: review,
        requireComment: true,
        guards: ['documents'],
        effect: approved,
        effectMany: approvedMany,
      },
      {
        action: 'appealDeny',
        from: 'appealReview',
        to: 'appealDenied',
        label: t('维持原决定', 'Appeal denied'),
        by: review,
        requireComment: true,
        effect: follow,
      },
      {
        action: 'withdraw',
        from: ['submitted', 'rejected'],
        to: 'withdrawn',
        label: t('撤回申请', 'Withdraw'),
        by: 'applicant',
        effect: follow,
      },
    ],
    // A refused application, open to resubmission or appeal, follows its union into a merger (its
    // members went there too); at a dissolved union there is nothing left to join, so it closes
    // and the applicant may apply to another, as does one under appeal at the union above.
    onOrgStopped: {
      merged: 'follow',
      dissolved: { close: 'withdrawn' },
      standingOn: (trx, stop) => repo.openInstancesFor(trx, stop.org.id, openStates(def)),
      records: async (e) => {
        const at = e.now.toISOString();
        if (e.stop.reason === 'merged') {
          // Every open one naming the union, wherever its instance is (an appeal sits above). A
          // scan of the table: merges are rare, and an index would cost every application.
          await repo.repointOpenApplications(e.trx, e.stop.org.id, e.stop.successor.id, openStates(def), at);
        }
        for (const i of e.closed)
          await repo.updateApplication(e.trx, i.id, { state: i.state, pending: 0, updated_at: at });
      },
    },
  };
  return def;
}

/** States an application can still leave (the engine leaves instances in them open). */
function openStates(def: WorkflowDefinition<JoinData>): string[] {
  return Object.keys(def.states).filter((s) => !closesIn(def, s));
}
