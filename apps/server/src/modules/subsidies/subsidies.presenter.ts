import type {
  SubsidyApplicationOutput,
  subsidyAwardOutput,
  subsidyPlanOutput,
  subsidyPolicyOutput,
} from '@zhgh/contracts';
import type { z } from 'zod';
import { maskName } from '../../core/crypto/mask.ts';
import type { InstanceView, WorkflowDefinition } from '../../core/workflow/definition.ts';
import type { SubsidyAwardTable, SubsidyKind, SubsidyPlanTable, SubsidyPolicyTable } from '../../db/schema.ts';
import type { SubsidyData } from './subsidies.workflow.ts';

/** What leaves the server of subsidies: names masked, money in fen, bank cards never. */

export type PlanSkip = { personName: string; kind: SubsidyKind; reason: string };
type AwardWithLine = SubsidyAwardTable & { line_status?: string | null };

/** The award as the payee and the cadres see it: `sent` while the bank has it. */
function awardStatus(a: AwardWithLine): z.infer<typeof subsidyAwardOutput>['status'] {
  return a.status === 'planned' && a.line_status === 'sent' ? 'sent' : a.status;
}

export function presentPolicy(
  p: Omit<SubsidyPolicyTable, 'id' | 'org_id' | 'org_path' | 'province_root' | 'created_by' | 'created_at'> & {
    id: string | null;
    org_id: string | null;
    created_at: string | null;
  },
  builtIn: boolean,
): z.infer<typeof subsidyPolicyOutput> {
  return {
    id: p.id,
    orgId: p.org_id,
    kind: p.kind,
    effectiveFrom: p.effective_from,
    effectiveTo: p.effective_to,
    amountMinFen: Number(p.amount_min_fen),
    amountMaxFen: Number(p.amount_max_fen),
    menMinAge: p.men_min_age,
    womenMinAge: p.women_min_age,
    timesPerYear: p.times_per_year,
    noticeDays: p.notice_days,
    builtIn,
    createdAt: p.created_at,
  };
}

export function presentApplication(
  view: InstanceView,
  def: WorkflowDefinition,
  actions: readonly string[],
  award: AwardWithLine | null,
  now: Date,
): SubsidyApplicationOutput {
  const d = view.data as SubsidyData;
  return {
    id: view.id,
    kind: d.kind,
    year: d.year,
    personName: maskName(d.personName),
    modelWorkerId: d.modelWorkerId,
    orgId: view.orgId,
    state: view.state,
    stateLabel: def.states[view.state]?.label ?? { 'zh-CN': view.state, en: view.state },
    stateKind: view.stateKind,
    version: view.version,
    overdue: view.closedAt === null && view.dueAt !== null && view.dueAt < now.toISOString(),
    cause: d.cause,
    description: d.description,
    requestedAmountFen: d.requestedAmountFen,
    approvedAmountFen: d.approvedAmountFen,
    surveyFindings: d.surveyFindings,
    award: award
      ? {
          id: award.id,
          amountFen: award.amount_fen === null ? null : Number(award.amount_fen),
          status: awardStatus(award),
          failureReason: award.failure_reason,
        }
      : null,
    actions: actions.map((action) => {
      const t = def.transitions.find((x) => x.action === action);
      return {
        action,
        label: t?.label ?? { 'zh-CN': action, en: action },
        requiresComment: t?.requireComment === true,
        requiredDocuments: [...(t?.requiredDocuments ?? [])],
      };
    }),
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
  };
}

export function presentAward(a: AwardWithLine, personName: string): z.infer<typeof subsidyAwardOutput> {
  return {
    id: a.id,
    kind: a.kind,
    year: a.year,
    personName: maskName(personName),
    amountFen: a.amount_fen === null ? null : Number(a.amount_fen),
    status: awardStatus(a),
    failureReason: a.failure_reason,
    applicationId: a.instance_id,
    planId: a.plan_id,
    paymentDate: a.payment_date,
    paidAt: a.paid_at,
  };
}

export function presentPlan(
  p: SubsidyPlanTable,
  totals: readonly { kind: SubsidyKind; n: number; total: number | null }[],
  skipped: readonly PlanSkip[],
): z.infer<typeof subsidyPlanOutput> {
  return {
    id: p.id,
    orgId: p.org_id,
    year: p.year,
    kind: p.kind,
    paymentDate: p.payment_date,
    status: p.status,
    payoutBatchId: p.payout_batch_id,
    awardCount: p.award_count,
    totalFen: Number(p.total_fen),
    byKind: totals.map((x) => ({ kind: x.kind, count: Number(x.n), totalFen: Number(x.total ?? 0) })),
    skipped: skipped.map((s) => ({ ...s, personName: maskName(s.personName) })),
    createdAt: p.created_at,
  };
}
