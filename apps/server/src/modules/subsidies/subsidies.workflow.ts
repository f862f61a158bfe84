import type { HardshipCause } from '@zhgh/contracts';
import type { Transaction } from 'kysely';
import { AppError, fieldError } from '../../core/app-error.ts';
import { formatYuan } from '../../core/ledger/bank-file.ts';
import type { Guard, OrgStoppedRule, TransitionDef, WorkflowDefinition } from '../../core/workflow/definition.ts';
import type { DB, SubsidyKind } from '../../db/schema.ts';
import { DEFAULT_NOTICE_DAYS, eligibilityProblems, type PolicyRule } from './subsidies.policy.ts';
import { subsidiesRepository as repo } from './subsidies.repository.ts';

/**
 * The two applied-for subsidies on the workflow engine (decision 0013), in the seed's steps:
 * apply → grassroots household survey and verification → public notice (objections) → the
 * city federation's payment plan → paying (bank transfer) → paid, or failed and owed again.
 * A rejection states its reason; the applicant may resubmit or appeal to the higher union.
 */

export const HARDSHIP_KEY = 'subsidy.hardship';
export const FARMER_KEY = 'subsidy.farmer';
export const SUBSIDY_KEYS = [HARDSHIP_KEY, FARMER_KEY] as const;
export const keyOfKind = (kind: 'hardship' | 'farmer') => (kind === 'hardship' ? HARDSHIP_KEY : FARMER_KEY);
export const kindOfKey = (key: string): 'hardship' | 'farmer' => (key === HARDSHIP_KEY ? 'hardship' : 'farmer');

export interface SubsidyData extends Record<string, unknown> {
  kind: 'hardship' | 'farmer';
  year: number;
  personId: string;
  modelWorkerId: string;
  personName: string;
  /** YYYY-MM-DD (Beijing): the farmer age rule is judged on this day. */
  appliedOn: string;
  cause: HardshipCause | null;
  description: string | null;
  requestedAmountFen: number | null;
  approvedAmountFen: number | null;
  surveyFindings: string | null;
  /** The notice period of the rule in force when the survey passed; set by the verify step. */
  noticeDays?: number;
}

/** Causes whose documents are the diagnosis and the medical bills; the others show proof of the hardship. */
export const ILLNESS_CAUSES: readonly string[] = ['serious_illness_self', 'serious_illness_family'];

/** The rule in force for a kind on a date where the instance is handled (the module resolves it). */
export type RuleLookup = (
  trx: Transaction<DB>,
  orgPath: string,
  kind: SubsidyKind,
  date: string,
) => Promise<PolicyRule>;

const t = (zh: string, en: string) => ({ 'zh-CN': zh, en });

export function subsidyDefinitions(ruleFor: RuleLookup): WorkflowDefinition<SubsidyData>[] {
  const eligible: Guard<SubsidyData> = async (i, g) => {
    const worker = await repo.findWorker(g.trx, i.data.modelWorkerId);
    if (!worker) return AppError.notFound();
    const rule = await ruleFor(g.trx, i.orgPath, i.data.kind, i.data.appliedOn);
    const problems = eligibilityProblems(i.data.kind, worker, worker, rule, i.data.appliedOn);
    return problems.length > 0 ? new AppError('SUBSIDY_NOT_ELIGIBLE', problems) : null;
  };

  const surveyRecorded: Guard<SubsidyData> = async (i, g) => {
    if (!i.data.surveyFindings?.trim()) {
      return AppError.invalid(
        'body.surveyFindings',
        'required',
        t('请填写入户调查核实情况', 'record the survey findings'),
      );
    }
    const amount = i.data.approvedAmountFen;
    if (amount === null || amount === undefined) {
      return AppError.invalid('body.approvedAmountFen', 'required', t('请填写核定金额', 'give the approved amount'));
    }
    const rule = await ruleFor(g.trx, i.orgPath, i.data.kind, i.data.appliedOn);
    if (amount < rule.amount_min_fen || amount > rule.amount_max_fen) {
      return AppError.invalid(
        'body.approvedAmountFen',
        amount < rule.amount_min_fen ? 'too_small' : 'too_big',
        t(
          `核定金额须在 ${formatYuan(rule.amount_min_fen)}–${formatYuan(rule.amount_max_fen)} 元之间`,
          `must lie between ${formatYuan(rule.amount_min_fen)} and ${formatYuan(rule.amount_max_fen)} yuan`,
        ),
      );
    }
    return null;
  };

  // The documents depend on the cause, which the engine's static list cannot say.
  const documentsForCause: Guard<SubsidyData> = async (i, g) => {
    const needed =
      i.data.kind === 'hardship'
        ? ILLNESS_CAUSES.includes(i.data.cause ?? '')
          ? ['diagnosis', 'bills']
          : ['proof']
        : [];
    if (i.data.kind === 'farmer') {
      const worker = await repo.findWorker(g.trx, i.data.modelWorkerId);
      const rule = await ruleFor(g.trx, i.orgPath, 'farmer', i.data.appliedOn);
      // Old enough needs nothing but the ID number; otherwise the lost work capacity is shown.
      const byAge = worker
        ? eligibilityProblems('farmer', { ...worker, lost_work_capacity: 0 }, worker, rule, i.data.appliedOn).length ===
          0
        : true;
      if (!byAge) needed.push('capacityProof');
    }
    if (needed.length === 0) return null;
    const have = new Set(
      (await g.trx.selectFrom('workflow_attachment').select('kind').where('instance_id', '=', i.id).execute()).map(
        (r) => r.kind,
      ),
    );
    const missing = needed.filter((k) => !have.has(k));
    if (missing.length === 0) return null;
    return new AppError(
      'WORKFLOW_DOCUMENT_MISSING',
      missing.map((k) => fieldError(`documents.${k}`, 'required', DOCUMENT_KINDS[k as keyof typeof DOCUMENT_KINDS])),
    );
  };

  // Payment steps follow the award the plan or the bank settled, so nobody can click them by hand.
  const awardIs =
    (status: 'planned' | 'paid' | 'failed'): Guard<SubsidyData> =>
    async (i, g) => {
      const award = await repo.awardOfInstance(g.trx, i.id);
      return award?.status === status
        ? null
        : new AppError('WORKFLOW_ACTION_UNAVAILABLE', undefined, `award of ${i.id} is not ${status}`);
    };

  const review = { permission: 'subsidy.review', orgLevel: 'handling' } as const;
  const pay = { permission: 'finance.pay', orgLevel: 'higher' } as const;

  const transitions: TransitionDef<SubsidyData>[] = [
    {
      action: 'verify',
      from: 'survey',
      to: 'notice',
      label: t('入户调查核实通过并公示', 'Survey verified: publish'),
      by: review,
      guards: ['eligible', 'surveyRecorded', 'documentsForCause'],
    },
    {
      action: 'reject',
      from: 'survey',
      to: 'rejected',
      label: t('不予补助', 'Reject'),
      by: review,
      requireComment: true,
    },
    {
      action: 'objectionUpheld',
      from: 'notice',
      to: 'survey',
      label: t('异议成立，重新调查核实', 'Objection upheld: survey again'),
      by: review,
      requireComment: true,
    },
    {
      action: 'pass',
      from: 'notice',
      to: 'plan',
      label: t('公示无异议，报市总工会', 'Notice passed: to the payment plan'),
      by: review,
    },
    {
      action: 'schedule',
      from: 'plan',
      to: 'paying',
      label: t('列入支付计划', 'Put on the payment plan'),
      by: pay,
      guards: ['awardPlanned'],
    },
    {
      action: 'settlePaid',
      from: 'paying',
      to: 'paid',
      label: t('银行转账成功', 'Bank transfer paid'),
      by: pay,
      guards: ['awardPaid'],
    },
    {
      action: 'settleFailed',
      from: 'paying',
      to: 'plan',
      label: t('银行转账失败，重新列入计划', 'Bank transfer failed: owed again'),
      by: pay,
      guards: ['awardFailed'],
    },
    {
      action: 'resubmit',
      from: 'rejected',
      to: 'survey',
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
    },
    {
      action: 'appealGrant',
      from: 'appealReview',
      to: 'notice',
      label: t('申诉成立，核实后公示', 'Appeal granted: verify and publish'),
      by: review,
      requireComment: true,
      guards: ['eligible', 'surveyRecorded', 'documentsForCause'],
    },
    {
      action: 'appealDeny',
      from: 'appealReview',
      to: 'appealDenied',
      label: t('维持原决定', 'Appeal denied'),
      by: review,
      requireComment: true,
    },
  ];

  // A refused application open to resubmission or appeal goes with the union's work: to the union
  // it merged into, or to the one above a dissolved union. Its award, if any, is the plan's (the
  // city's) and names the handling union only once planned, which a refused one never is.
  const onOrgStopped: OrgStoppedRule<SubsidyData> = { merged: 'follow', dissolved: 'follow' };

  const states = (title: string): WorkflowDefinition<SubsidyData>['states'] => ({
    survey: { kind: 'review', label: t('基层工会入户调查核实', 'Household survey'), deadlineWorkingDays: 10 },
    notice: {
      kind: 'notice',
      label: t('公示', 'Public notice'),
      notice: {
        // The period of the rule in force when the survey passed (set with the verify step).
        days: DEFAULT_NOTICE_DAYS,
        reviewPermission: 'subsidy.review',
        onUpheld: 'objectionUpheld',
        publish: (i) => ({
          subjectName: i.data.personName,
          summary: `拟发放${title} ${formatYuan(i.data.approvedAmountFen ?? 0)} 元（${i.data.year} 年度）`,
          days: i.data.noticeDays ?? null,
        }),
      },
    },
    plan: { kind: 'review', label: t('市总工会支付计划', 'Payment plan') },
    paying: { kind: 'review', label: t('银行转账中', 'Bank transfer') },
    paid: { kind: 'done', label: t('已发放', 'Paid') },
    rejected: { kind: 'rejected', label: t('未通过', 'Rejected') },
    appealReview: { kind: 'review', label: t('上级工会复核申诉', 'Appeal review') },
    appealDenied: { kind: 'rejected', label: t('申诉未获支持', 'Appeal denied') },
  });

  const guards = {
    eligible,
    surveyRecorded,
    documentsForCause,
    awardPlanned: awardIs('planned'),
    awardPaid: awardIs('paid'),
    awardFailed: awardIs('failed'),
  };

  return [
    {
      key: HARDSHIP_KEY,
      version: 1,
      label: t('劳模特殊困难补助', 'Model worker special hardship subsidy'),
      subjectType: 'model_worker',
      initial: 'survey',
      startPermission: 'subsidy.review',
      documentKinds: {
        diagnosis: DOCUMENT_KINDS.diagnosis,
        bills: DOCUMENT_KINDS.bills,
        proof: DOCUMENT_KINDS.proof,
      },
      guards,
      states: states('特殊困难补助'),
      transitions,
      onOrgStopped,
    },
    {
      key: FARMER_KEY,
      version: 1,
      label: t('农民劳模生活补助', 'Farmer model worker allowance'),
      subjectType: 'model_worker',
      initial: 'survey',
      startPermission: 'subsidy.review',
      documentKinds: { capacityProof: DOCUMENT_KINDS.capacityProof },
      guards,
      states: states('农民劳模生活补助'),
      transitions,
      onOrgStopped,
    },
  ];
}

export const DOCUMENT_KINDS = {
  diagnosis: t('诊断证明', 'Diagnosis'),
  bills: t('医疗费用票据及报销结算单', 'Medical bills and insurance settlement'),
  proof: t('困难情况证明材料', 'Proof of the hardship'),
  capacityProof: t('丧失劳动能力鉴定', 'Assessment of lost work capacity'),
} as const satisfies Record<string, { 'zh-CN': string; en: string }>;
