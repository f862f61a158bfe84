import type {
  WorkflowInstanceOutput,
  workflowAttachmentOutput,
  workflowHistoryEntry,
  workflowInstanceSummary,
  workflowNoticeOutput,
  workflowObjectionOutput,
} from '@zhgh/contracts';
import type { z } from 'zod';
import { maskName } from '../../core/crypto/mask.ts';
import type { InstanceView, Label, WorkflowDefinition } from '../../core/workflow/definition.ts';
import type { BoardRow } from '../../core/workflow/workflow.repository.ts';
import type {
  WorkflowAttachmentTable,
  WorkflowHistoryTable,
  WorkflowNoticeTable,
  WorkflowObjectionTable,
} from '../../db/schema.ts';

/**
 * What leaves the server of a workflow instance. The module's own data stays inside: each
 * module presents its fields on its own routes, masked its own way. Notice names are masked
 * here, and an applicant never learns who objected.
 */

const unknownLabel = (code: string): Label => ({ 'zh-CN': code, en: code });

export function presentSummary(
  view: InstanceView,
  def: WorkflowDefinition | undefined,
  actions: readonly string[],
  now: Date,
): z.infer<typeof workflowInstanceSummary> {
  const transitions = def?.transitions ?? [];
  return {
    id: view.id,
    definitionKey: view.definitionKey,
    definitionVersion: view.definitionVersion,
    title: def?.label ?? unknownLabel(view.definitionKey),
    subjectType: view.subjectType,
    subjectId: view.subjectId,
    orgId: view.orgId,
    state: view.state,
    stateLabel: def?.states[view.state]?.label ?? unknownLabel(view.state),
    stateKind: view.stateKind,
    version: view.version,
    dueAt: view.dueAt,
    overdue: view.closedAt === null && view.dueAt !== null && view.dueAt < now.toISOString(),
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    closedAt: view.closedAt,
    actions: actions.map((action) => {
      const t = transitions.find((x) => x.action === action);
      return {
        action,
        label: t?.label ?? unknownLabel(action),
        requiresComment: t?.requireComment === true,
        requiredDocuments: [...(t?.requiredDocuments ?? [])],
      };
    }),
  };
}

export function presentHistory(h: WorkflowHistoryTable, asApplicant: boolean): z.infer<typeof workflowHistoryEntry> {
  return {
    seq: h.seq,
    at: h.at,
    action: h.action,
    fromState: h.from_state,
    toState: h.to_state,
    comment: h.comment,
    actorKind: h.actor_kind,
    actorId: asApplicant && h.action === 'object' ? null : h.actor_id,
  };
}

export function presentAttachment(
  a: WorkflowAttachmentTable,
  def: WorkflowDefinition | undefined,
): z.infer<typeof workflowAttachmentOutput> {
  return {
    id: a.id,
    kind: a.kind,
    kindLabel: def?.documentKinds?.[a.kind] ?? unknownLabel(a.kind),
    fileName: a.file_name,
    contentType: a.content_type,
    sizeBytes: a.size_bytes,
    sha256: a.sha256,
    createdAt: a.created_at,
  };
}

export function presentNotice(
  n: WorkflowNoticeTable,
  definitionKey: string,
  def: WorkflowDefinition | undefined,
): z.infer<typeof workflowNoticeOutput> {
  return {
    id: n.id,
    instanceId: n.instance_id,
    definitionKey,
    title: def?.label ?? unknownLabel(definitionKey),
    subjectName: maskName(n.subject_name),
    summary: n.summary,
    orgId: n.org_id,
    status: n.status,
    startsAt: n.starts_at,
    endsAt: n.ends_at,
  };
}

export function presentBoardRow(n: BoardRow, def: WorkflowDefinition | undefined) {
  return presentNotice(n, n.definition_key, def);
}

export function presentObjection(o: WorkflowObjectionTable): z.infer<typeof workflowObjectionOutput> {
  return {
    id: o.id,
    noticeId: o.notice_id,
    reason: o.reason,
    status: o.status,
    decisionReason: o.decision_reason,
    createdAt: o.created_at,
    decidedAt: o.decided_at,
  };
}

export function presentInstance(
  detail: {
    instance: InstanceView;
    definition: WorkflowDefinition;
    history: WorkflowHistoryTable[];
    attachments: WorkflowAttachmentTable[];
    notices: WorkflowNoticeTable[];
    objections: WorkflowObjectionTable[];
    actions: string[];
    asApplicant: boolean;
  },
  now: Date,
): WorkflowInstanceOutput {
  const def = detail.definition;
  return {
    ...presentSummary(detail.instance, def, detail.actions, now),
    history: detail.history.map((h) => presentHistory(h, detail.asApplicant)),
    attachments: detail.attachments.map((a) => presentAttachment(a, def)),
    notices: detail.notices.map((n) => presentNotice(n, def.key, def)),
    objections: detail.objections.map(presentObjection),
  };
}
