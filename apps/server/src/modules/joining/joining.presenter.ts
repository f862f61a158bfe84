import type { JoinApplicationOutput } from '@zhgh/contracts';
import { maskIdNumber, maskName, maskPhone } from '../../core/crypto/mask.ts';
import type { InstanceView, WorkflowDefinition } from '../../core/workflow/definition.ts';
import type { JoinApplicationTable } from '../../db/schema.ts';

/** Join applications leave the server masked: name, ID number and phone, as members do. */

export interface ApplicationView {
  app: JoinApplicationTable;
  instance: InstanceView;
  definition: WorkflowDefinition;
  actions: readonly string[];
  /** Decrypted by the service for masking only. */
  idNumber: string;
  phone: string | null;
  age: number;
  unionName: string;
  documentsNeeded: readonly string[];
  documentsAttached: ReadonlySet<string>;
  rejectionReason: string | null;
  memberNumber: string | null;
}

export function presentApplication(v: ApplicationView, now: Date): JoinApplicationOutput {
  const { app, instance: i, definition: def } = v;
  return {
    id: i.id,
    source: app.source,
    batchId: app.batch_id,
    name: maskName(app.name),
    idNumber: maskIdNumber(v.idNumber),
    phone: v.phone ? maskPhone(v.phone) : null,
    gender: app.gender,
    age: v.age,
    employmentType: app.employment_type as JoinApplicationOutput['employmentType'],
    newFormGroup: app.new_form_group as JoinApplicationOutput['newFormGroup'],
    workUnitId: app.work_unit_id,
    workUnitName: app.work_unit_name,
    workRegionCode: app.work_region_code,
    unionId: app.union_org_id,
    unionName: v.unionName,
    route: app.route,
    orgId: i.orgId,
    state: i.state,
    stateLabel: def.states[i.state]?.label ?? { 'zh-CN': i.state, en: i.state },
    stateKind: i.stateKind,
    version: i.version,
    dueAt: i.closedAt === null ? i.dueAt : null,
    overdue: i.closedAt === null && i.dueAt !== null && i.dueAt < now.toISOString(),
    documentsNeeded: [...v.documentsNeeded],
    documentsMissing: v.documentsNeeded.filter((k) => !v.documentsAttached.has(k)),
    rejectionReason: i.stateKind === 'rejected' ? v.rejectionReason : null,
    memberNumber: v.memberNumber,
    actions: v.actions.map((action) => {
      const t = def.transitions.find((x) => x.action === action);
      return {
        action,
        label: t?.label ?? { 'zh-CN': action, en: action },
        requiresComment: t?.requireComment === true,
        requiredDocuments: [...(t?.requiredDocuments ?? [])],
      };
    }),
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}
