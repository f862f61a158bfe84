import type { modelWorkerDetailOutput, modelWorkerRowOutput } from '@zhgh/contracts';
import type { z } from 'zod';
import { maskBankCard, maskIdNumber, maskName, maskPhone } from '../../core/crypto/mask.ts';
import type { ModelWorkerRow } from './model-workers.repository.ts';

/**
 * Registry entries leave the server masked like members: name `王*明`, ID number
 * `6101**********1234`, phone `138****1234`, bank card `6222***********0123`. Full values
 * only through the member record's reveal.
 */
export interface ModelWorkerView {
  row: ModelWorkerRow;
  idNumber: string;
  phone: string | null;
  bankCard: string | null;
  age: number;
}

export function presentModelWorkerRow(v: ModelWorkerView): z.infer<typeof modelWorkerRowOutput> {
  const r = v.row;
  return {
    id: r.id,
    personId: r.person_id,
    name: maskName(r.name),
    gender: r.gender,
    age: v.age,
    idNumber: maskIdNumber(v.idNumber),
    category: r.category,
    level: r.level,
    title: r.title,
    yearAwarded: r.year_awarded,
    certificateNo: r.certificate_no,
    honorStatus: r.honor_status,
    employmentStatus: r.employment_status,
    farmer: r.farmer === 1,
    orgId: r.org_id,
    orgName: r.org_name,
  };
}

export function presentModelWorker(v: ModelWorkerView): z.infer<typeof modelWorkerDetailOutput> {
  const r = v.row;
  return {
    ...presentModelWorkerRow(v),
    phone: v.phone ? maskPhone(v.phone) : null,
    bankCard: v.bankCard ? maskBankCard(v.bankCard) : null,
    bankName: r.bank_name,
    awardingBody: r.awarding_body,
    lostWorkCapacity: r.lost_work_capacity === 1,
    deceasedOn: r.deceased_on,
    revokedOn: r.revoked_on,
    revokedReason: r.revoked_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
