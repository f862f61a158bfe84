import type {
  activityRecordOutput,
  inactivityProposalOutput,
  MembershipRequestOutput,
  membershipHistoryEntry,
  TransferOutput,
  unionLookupOutput,
} from '@zhgh/contracts';
import type { z } from 'zod';
import { maskName } from '../../core/crypto/mask.ts';
import type { InstanceView, WorkflowDefinition } from '../../core/workflow/definition.ts';
import type { MembershipChangeTable } from '../../db/schema.ts';
import { presentSummary } from '../workflow/workflow.presenter.ts';
import type { HistoryMembership, ProposalRow, RequestRow, TransferRow } from './memberships.repository.ts';
import type { RequestData, TransferData } from './memberships.workflow.ts';

/**
 * What leaves the server of membership changes: names masked, no ID number or phone ever
 * (the instance data holds neither). The union a transfer leaves is named only to those who
 * may know where the person is a member (see the service).
 */

type Summary = ReturnType<typeof presentSummary>;

function common(
  summary: Summary,
  data: { personId: string; personName: string; memberNumber: string | null; comment: string | null },
) {
  return {
    id: summary.id,
    personId: data.personId,
    personName: maskName(data.personName),
    memberNumber: data.memberNumber,
    state: summary.state,
    stateLabel: summary.stateLabel,
    stateKind: summary.stateKind,
    version: summary.version,
    overdue: summary.overdue,
    comment: data.comment,
    actions: summary.actions,
    createdAt: summary.createdAt,
    closedAt: summary.closedAt,
  };
}

export function presentTransfer(
  row: TransferRow,
  view: InstanceView,
  def: WorkflowDefinition | undefined,
  actions: readonly string[],
  now: Date,
  showFrom: boolean,
): TransferOutput {
  const data = view.data as TransferData;
  return {
    ...common(presentSummary(view, def, actions, now), {
      personId: row.transfer_person_id,
      personName: data.personName ?? row.person_name,
      memberNumber: row.member_number,
      comment: data.comment ?? null,
    }),
    fromOrgId: showFrom ? row.from_org_id : null,
    fromOrgName: showFrom ? row.from_org_name : null,
    toOrgId: row.to_org_id,
    toOrgName: row.to_org_name,
    startedBy: row.started_by,
  };
}

export function presentRequest(
  row: RequestRow,
  view: InstanceView,
  def: WorkflowDefinition | undefined,
  actions: readonly string[],
  now: Date,
): MembershipRequestOutput {
  const data = view.data as RequestData;
  return {
    ...common(presentSummary(view, def, actions, now), data),
    kind: data.kind,
    reasonCode: data.reasonCode,
    orgId: row.org_id,
    orgName: row.org_name,
  };
}

export function presentHistory(
  memberships: readonly HistoryMembership[],
  changes: readonly MembershipChangeTable[],
): z.infer<typeof membershipHistoryEntry>[] {
  return memberships.map((m) => ({
    id: m.id,
    orgId: m.org_id,
    orgName: m.org_name,
    status: m.status,
    startedOn: m.started_on,
    endedOn: m.ended_on,
    endReason: m.end_reason,
    memberNumber: m.member_number,
    changes: changes
      .filter((c) => c.membership_id === m.id)
      .map((c) => ({ kind: c.kind, reasonCode: c.reason_code, reason: c.reason, on: c.on_date })),
  }));
}

export function presentActivity(row: {
  kind: 'dues' | 'activity';
  month: string | null;
  occurred_on: string;
  title: string | null;
  org_name: string;
}): z.infer<typeof activityRecordOutput> {
  return { kind: row.kind, month: row.month, occurredOn: row.occurred_on, title: row.title, orgName: row.org_name };
}

export function presentProposal(row: ProposalRow): z.infer<typeof inactivityProposalOutput> {
  return {
    id: row.id,
    personId: row.person_id,
    personName: maskName(row.person_name),
    memberNumber: row.member_number,
    orgId: row.org_id,
    orgName: row.org_name,
    runOn: row.run_on,
    lastSignOn: row.last_sign_on,
    status: row.status,
    reason: row.reason,
    decidedAt: row.decided_at,
  };
}

export function presentUnion(row: {
  id: string;
  name: string;
  type: string;
  region_code: string | null;
  parent_name: string | null;
}): z.infer<typeof unionLookupOutput> {
  return {
    id: row.id,
    name: row.name,
    type: row.type === 'joint' ? 'joint' : 'grassroots',
    regionCode: row.region_code,
    parentName: row.parent_name,
  };
}
