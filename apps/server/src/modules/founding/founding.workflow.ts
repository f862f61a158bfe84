import { FOUNDING_DOCUMENT_LABELS } from '@zhgh/contracts';
import { AppError } from '../../core/app-error.ts';
import type { Effect, Guard, TransitionDef, WorkflowDefinition } from '../../core/workflow/definition.ts';
import { FOUNDING_DEADLINES } from './founding.policy.ts';
import { foundingRepository as repo } from './founding.repository.ts';

/**
 * Union founding on the workflow engine (decision 0013), in the steps of the issue:
 * applied (the higher union reviews, business licence) → preparing (the workplace files its
 * member-assembly request) → assembly review → electing (the workplace files the election
 * results with the minutes and the vote count) → results review → founded. Every review may
 * reject with a reason; the applicant corrects and resubmits, or appeals to the union above,
 * or withdraws. The instance data is only what names the application: the workplace's fields
 * (its contact phone encrypted) and what the steps filed live in `founding_application`.
 */

export const FOUNDING_KEY = 'union.founding';

export interface FoundingData extends Record<string, unknown> {
  applicationId: string;
  unitName: string;
  creditCode: string;
}

/** What the module does at the steps that change more than the instance. */
export interface FoundingEffects {
  /** The final approval: the union in the tree, the work unit covered, the chair recorded. */
  found: Effect<FoundingData>;
}

const t = (zh: string, en: string) => ({ 'zh-CN': zh, en });

export function foundingDefinition(effects: FoundingEffects): WorkflowDefinition<FoundingData> {
  // The step's data was written to the application in this transaction before the step.
  const assemblyFiled: Guard<FoundingData> = async (i, g) => {
    const row = await repo.findByInstance(g.trx, i.id);
    return row?.assembly_date
      ? null
      : AppError.invalid('body.assembly', 'required', t('请填写会员大会申请', 'file the member-assembly request'));
  };
  const electionFiled: Guard<FoundingData> = async (i, g) => {
    const row = await repo.findByInstance(g.trx, i.id);
    return row?.chair_name
      ? null
      : AppError.invalid('body.election', 'required', t('请填写选举结果', 'file the election results'));
  };

  // An appeal hands the instance to the union above: the application is filed with it.
  const followHandling: Effect<FoundingData> = async (e) => {
    const at = e.now.toISOString();
    const row = await repo.findByInstance(e.trx, e.instance.id);
    if (!row) throw new Error(`founding instance ${e.instance.id} has no application`);
    const parent = (await repo.findOrg(e.trx, e.instance.orgId))!;
    await repo.update(e.trx, row.id, {
      org_id: parent.id,
      org_path: parent.path,
      province_root: parent.province_root,
      updated_at: at,
    });
  };

  // Withdrawn or finally refused: the credit code is free for a new application.
  const close: Effect<FoundingData> = async (e) => {
    const row = await repo.findByInstance(e.trx, e.instance.id);
    if (!row) throw new Error(`founding instance ${e.instance.id} has no application`);
    await repo.update(e.trx, row.id, { status: 'closed', updated_at: e.now.toISOString() });
  };

  const review = { permission: 'founding.review', orgLevel: 'handling' } as const;
  const results = ['minutes', 'voteTally'] as const;

  const transitions: TransitionDef<FoundingData>[] = [
    // The application.
    {
      action: 'approve',
      from: 'applied',
      to: 'preparing',
      label: t('同意建会，筹备会员大会', 'Approve: prepare the member assembly'),
      by: review,
      requiredDocuments: ['businessLicence'],
    },
    {
      action: 'reject',
      from: 'applied',
      to: 'rejected',
      label: t('不同意建会', 'Reject the application'),
      by: review,
      requireComment: true,
    },
    {
      action: 'resubmit',
      from: 'rejected',
      to: 'applied',
      label: t('修改后重新提交', 'Correct and resubmit'),
      by: 'applicant',
    },
    {
      action: 'appeal',
      from: 'rejected',
      to: 'appealReview',
      label: t('向上级工会申诉', 'Appeal to the higher union'),
      by: 'applicant',
      requireComment: true,
      handlingOrg: 'parent',
      effect: followHandling,
    },
    {
      action: 'appealGrant',
      from: 'appealReview',
      to: 'preparing',
      label: t('申诉成立，同意建会', 'Appeal granted: prepare the member assembly'),
      by: review,
      requireComment: true,
      requiredDocuments: ['businessLicence'],
    },
    {
      action: 'appealDeny',
      from: 'appealReview',
      to: 'appealDenied',
      label: t('维持原决定', 'Appeal denied'),
      by: review,
      requireComment: true,
      effect: close,
    },

    // The member-assembly request.
    {
      action: 'requestAssembly',
      from: 'preparing',
      to: 'assemblyReview',
      label: t('提交召开会员大会申请', 'Request the member assembly'),
      by: 'applicant',
      guards: ['assemblyFiled'],
      requiredDocuments: ['assemblyPlan'],
    },
    {
      action: 'approveAssembly',
      from: 'assemblyReview',
      to: 'electing',
      label: t('同意召开会员大会', 'Approve the member assembly'),
      by: review,
      guards: ['assemblyFiled'],
    },
    {
      action: 'rejectAssembly',
      from: 'assemblyReview',
      to: 'assemblyRejected',
      label: t('不同意召开会员大会', 'Reject the assembly request'),
      by: review,
      requireComment: true,
    },
    {
      action: 'resubmitAssembly',
      from: 'assemblyRejected',
      to: 'assemblyReview',
      label: t('修改会员大会申请后重新提交', 'Correct and resubmit the assembly request'),
      by: 'applicant',
      guards: ['assemblyFiled'],
      requiredDocuments: ['assemblyPlan'],
    },
    {
      action: 'appealAssembly',
      from: 'assemblyRejected',
      to: 'assemblyAppeal',
      label: t('向上级工会申诉', 'Appeal to the higher union'),
      by: 'applicant',
      requireComment: true,
      handlingOrg: 'parent',
      effect: followHandling,
    },
    {
      action: 'assemblyAppealGrant',
      from: 'assemblyAppeal',
      to: 'electing',
      label: t('申诉成立，同意召开会员大会', 'Appeal granted: hold the assembly'),
      by: review,
      requireComment: true,
      guards: ['assemblyFiled'],
    },
    {
      action: 'assemblyAppealDeny',
      from: 'assemblyAppeal',
      to: 'appealDenied',
      label: t('维持原决定', 'Appeal denied'),
      by: review,
      requireComment: true,
      effect: close,
    },

    // The election results.
    {
      action: 'submitResults',
      from: 'electing',
      to: 'resultsReview',
      label: t('报送选举结果', 'File the election results'),
      by: 'applicant',
      guards: ['electionFiled'],
      requiredDocuments: results,
    },
    {
      action: 'approveResults',
      from: 'resultsReview',
      to: 'founded',
      label: t('批复选举结果，工会成立', 'Approve the results: the union is founded'),
      by: review,
      guards: ['electionFiled'],
      requiredDocuments: results,
      effect: effects.found,
    },
    {
      action: 'rejectResults',
      from: 'resultsReview',
      to: 'resultsRejected',
      label: t('选举结果不予批复', 'Reject the election results'),
      by: review,
      requireComment: true,
    },
    {
      action: 'resubmitResults',
      from: 'resultsRejected',
      to: 'resultsReview',
      label: t('修改选举结果后重新报送', 'Correct and resubmit the results'),
      by: 'applicant',
      guards: ['electionFiled'],
      requiredDocuments: results,
    },
    {
      action: 'appealResults',
      from: 'resultsRejected',
      to: 'resultsAppeal',
      label: t('向上级工会申诉', 'Appeal to the higher union'),
      by: 'applicant',
      requireComment: true,
      handlingOrg: 'parent',
      effect: followHandling,
    },
    {
      action: 'resultsAppealGrant',
      from: 'resultsAppeal',
      to: 'founded',
      label: t('申诉成立，批复选举结果，工会成立', 'Appeal granted: the union is founded'),
      by: review,
      requireComment: true,
      guards: ['electionFiled'],
      requiredDocuments: results,
      effect: effects.found,
    },
    {
      action: 'resultsAppealDeny',
      from: 'resultsAppeal',
      to: 'appealDenied',
      label: t('维持原决定', 'Appeal denied'),
      by: review,
      requireComment: true,
      effect: close,
    },

    // The workplace gives up: the credit code is free again.
    {
      action: 'withdraw',
      from: [
        'applied',
        'preparing',
        'assemblyReview',
        'electing',
        'resultsReview',
        'rejected',
        'assemblyRejected',
        'resultsRejected',
        'appealReview',
        'assemblyAppeal',
        'resultsAppeal',
      ],
      to: 'withdrawn',
      label: t('撤回建会申请', 'Withdraw the application'),
      by: 'applicant',
      effect: close,
    },
  ];

  const d = FOUNDING_DEADLINES;
  return {
    key: FOUNDING_KEY,
    version: 1,
    label: t('网上建会', 'Union founding'),
    subjectType: 'founding_application',
    initial: 'applied',
    documentKinds: FOUNDING_DOCUMENT_LABELS,
    guards: { assemblyFiled, electionFiled },
    states: {
      applied: {
        kind: 'review',
        label: t('上级工会审核建会申请', 'Higher union reviews the application'),
        deadlineWorkingDays: d.applicationReview,
      },
      preparing: {
        kind: 'waiting',
        label: t('筹备会员大会', 'Preparing the member assembly'),
        deadlineWorkingDays: d.preparing,
      },
      assemblyReview: {
        kind: 'review',
        label: t('上级工会审核会员大会申请', 'Higher union reviews the assembly request'),
        deadlineWorkingDays: d.assemblyReview,
      },
      electing: {
        kind: 'waiting',
        label: t('召开会员大会，选举工会委员会', 'Holding the assembly and the election'),
        deadlineWorkingDays: d.electing,
      },
      resultsReview: {
        kind: 'review',
        label: t('上级工会审批选举结果', 'Higher union reviews the election results'),
        deadlineWorkingDays: d.resultsReview,
      },
      founded: { kind: 'done', label: t('工会已成立', 'Union founded') },
      rejected: { kind: 'rejected', label: t('建会申请未通过', 'Application rejected') },
      assemblyRejected: { kind: 'rejected', label: t('会员大会申请未通过', 'Assembly request rejected') },
      resultsRejected: { kind: 'rejected', label: t('选举结果未获批复', 'Election results rejected') },
      appealReview: {
        kind: 'review',
        label: t('上级工会复核申诉（建会申请）', 'Appeal review: the application'),
        deadlineWorkingDays: d.appealReview,
      },
      assemblyAppeal: {
        kind: 'review',
        label: t('上级工会复核申诉（会员大会）', 'Appeal review: the assembly request'),
        deadlineWorkingDays: d.appealReview,
      },
      resultsAppeal: {
        kind: 'review',
        label: t('上级工会复核申诉（选举结果）', 'Appeal review: the election results'),
        deadlineWorkingDays: d.appealReview,
      },
      appealDenied: { kind: 'rejected', label: t('申诉未获支持', 'Appeal denied') },
      withdrawn: { kind: 'withdrawn', label: t('已撤回', 'Withdrawn') },
    },
    transitions,
    // A workplace preparing its assembly, or refused and free to correct or appeal, keeps its
    // application: the union the reviewer merged into, or the one above a dissolved reviewer,
    // takes it over (and the new union will be founded under it), as an appeal hands it up.
    onOrgStopped: {
      merged: 'follow',
      dissolved: 'follow',
      records: async (e) => {
        for (const i of e.followed) {
          await repo.update(e.trx, i.data.applicationId, {
            org_id: e.stop.successor.id,
            org_path: e.stop.successor.path,
            province_root: e.stop.successor.province_root,
            updated_at: e.now.toISOString(),
          });
        }
      },
    },
  };
}
