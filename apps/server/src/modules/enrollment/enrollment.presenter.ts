import type { EnrollmentBatchOutput, EnrollmentEventOutput } from '@zhgh/contracts';
import { maskIdNumber, maskName, maskPhone } from '../../core/crypto/mask.ts';
import type { EnrollmentEventTable } from '../../db/schema.ts';
import { eventState, joinPath, type ListOutcome } from './enrollment.policy.ts';
import type { FieldCipher } from '../../core/crypto/field-cipher.ts';
import type { WorkflowDefinition } from '../../core/workflow/definition.ts';
import { PERSON_FIELD_CONTEXTS } from '../members/members.policy.ts';
import type { BatchApplicationRow, BatchRow } from './enrollment.repository.ts';

/** Applications of a batch per kind of state. */
export interface BatchTally {
  pending: number;
  approved: number;
  rejected: number;
  other: number;
}

export const emptyTally = (): BatchTally => ({ pending: 0, approved: 0, rejected: 0, other: 0 });

export function presentEvent(e: EnrollmentEventTable, now: Date): EnrollmentEventOutput {
  return {
    id: e.id,
    batchId: e.batch_id,
    code: e.code,
    joinPath: joinPath(e.code),
    place: e.place,
    opensAt: e.opens_at,
    closesAt: e.closes_at,
    workUnitId: e.work_unit_id,
    workUnitName: e.work_unit_name,
    employmentType: e.employment_type as EnrollmentEventOutput['employmentType'],
    newFormGroup: e.new_form_group as EnrollmentEventOutput['newFormGroup'],
    quota: e.quota,
    joined: e.joined,
    status: e.status,
    state: eventState(e, now),
    closedAt: e.closed_at,
  };
}

export function presentBatch(
  b: BatchRow,
  tally: BatchTally,
  event: EnrollmentEventTable | undefined,
  now: Date,
): EnrollmentBatchOutput {
  return {
    id: b.id,
    orgId: b.org_id,
    orgName: b.org_name,
    kind: b.kind,
    title: b.title,
    fileName: b.file_name,
    jobId: b.job_id,
    rowsRead: b.rows_read,
    createdCount: b.created_count,
    refusedCount: b.refused_count,
    duplicateCount: b.duplicate_count,
    ...tally,
    event: event ? presentEvent(event, now) : null,
    createdAt: b.created_at,
  };
}

/** A previewed row: the personal values masked, the rest as parsed. */
export function presentPreviewRow(o: ListOutcome) {
  const v = o.values;
  return {
    row: o.rowNumber,
    name: v.name === null ? null : maskName(v.name),
    idNumber: v.idNumber === null ? null : maskIdNumber(v.idNumber),
    phone: v.phone === null ? null : maskPhone(v.phone),
    workUnitName: v.workUnitName,
    employmentType: v.employmentType,
    newFormGroup: v.newFormGroup,
    ok: o.row !== null,
  };
}

/** A join application of a batch: the person masked, the state in both locales. */
export function presentApplication(r: BatchApplicationRow, def: WorkflowDefinition | undefined, cipher: FieldCipher) {
  const label = def?.states[r.state]?.label ?? { 'zh-CN': r.state, en: r.state };
  return {
    id: r.instance_id,
    name: maskName(r.name),
    idNumber: maskIdNumber(cipher.decrypt(r.id_number_cipher, PERSON_FIELD_CONTEXTS.idNumber)),
    phone: r.phone_cipher ? maskPhone(cipher.decrypt(r.phone_cipher, PERSON_FIELD_CONTEXTS.phone)) : null,
    source: r.source === 'event' ? ('event' as const) : ('list' as const),
    state: r.state,
    stateLabel: label,
    stateKind: r.state_kind,
    createdAt: r.created_at,
  };
}
