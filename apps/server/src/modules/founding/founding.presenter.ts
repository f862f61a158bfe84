import type { FoundingApplicationOutput } from '@zhgh/contracts';
import { maskPhone } from '../../core/crypto/mask.ts';
import type { WorkflowDefinition } from '../../core/workflow/definition.ts';
import type { ApplicationRow } from './founding.repository.ts';

/**
 * What leaves the server of a founding application: the contact phone masked (it is decrypted
 * only to be masked), names of the elected as filed (a union's officers are public), the steps
 * the asker may take now.
 */

const names = (json: string | null): string[] => (json ? (JSON.parse(json) as string[]) : []);

export function presentApplication(
  row: ApplicationRow,
  contactPhone: string,
  def: WorkflowDefinition | undefined,
  actions: readonly string[],
  now: Date,
): FoundingApplicationOutput {
  const i = row.instance;
  return {
    id: row.id,
    instanceId: i.id,
    unitName: row.unit_name,
    creditCode: row.credit_code,
    unitType: row.unit_type,
    industry: row.industry,
    regionCode: row.region_code,
    address: row.address,
    employeeCount: row.employee_count,
    contactName: row.contact_name,
    contactPhone: maskPhone(contactPhone),
    handlingOrgId: row.org_id,
    handlingOrgName: row.handling_org_name,
    status: row.status,
    state: i.state,
    stateLabel: def?.states[i.state]?.label ?? { 'zh-CN': i.state, en: i.state },
    stateKind: i.state_kind,
    version: i.version,
    dueAt: i.due_at,
    overdue: i.closed_at === null && i.due_at !== null && i.due_at < now.toISOString(),
    assembly: row.assembly_date
      ? {
          assemblyDate: row.assembly_date,
          expectedMembers: row.assembly_expected_members ?? 0,
          candidates: names(row.assembly_candidates),
        }
      : null,
    election:
      row.elected_on && row.chair_name
        ? {
            electedOn: row.elected_on,
            chairName: row.chair_name,
            viceChairNames: names(row.vice_chair_names),
            committeeNames: names(row.committee_names),
            memberCount: row.member_count ?? 0,
          }
        : null,
    unionOrgId: row.union_org_id,
    workUnitId: row.work_unit_id,
    actions: actions.map((action) => {
      const t = def?.transitions.find((x) => x.action === action);
      return {
        action,
        label: t?.label ?? { 'zh-CN': action, en: action },
        requiresComment: t?.requireComment === true,
        requiredDocuments: [...(t?.requiredDocuments ?? [])],
      };
    }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    foundedAt: row.founded_at,
  };
}
