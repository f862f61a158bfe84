import type { memberDetailOutput, memberRowOutput, membershipOutput } from '@zhgh/contracts';
import type { z } from 'zod';
import { maskBankCard, maskIdNumber, maskName, maskPhone } from '../../core/crypto/mask.ts';
import type { PersonTable } from '../../db/schema.ts';
import type { MemberListRow, MembershipRow } from './members.repository.ts';

/**
 * Members leave the server masked: name `王*明`, ID number `6101**********1234`, phone
 * `138****1234`, bank card `6222***********0123`. The birth date is not shown (the masked ID
 * hides it too); the age is. Full values only through `reveal`.
 */

/** A list row with the sensitive values the service decrypted for masking. */
export interface MemberListView {
  row: MemberListRow;
  idNumber: string;
  phone: string | null;
  age: number;
}

/** One member with the sensitive values the service decrypted for masking. */
export interface MemberView {
  person: PersonTable;
  membership: MembershipRow;
  workUnitName: string | null;
  idNumber: string;
  phone: string | null;
  bankCard: string | null;
  age: number;
}

export function presentMembership(m: MembershipRow): z.infer<typeof membershipOutput> {
  return {
    id: m.id,
    orgId: m.org_id,
    orgName: m.org_name,
    status: m.status,
    startedOn: m.started_on,
    endedOn: m.ended_on,
    endReason: m.end_reason,
    memberNumber: m.member_number,
    cardNumber: m.card_number,
  };
}

export function presentMemberRow(v: MemberListView): z.infer<typeof memberRowOutput> {
  const r = v.row;
  return {
    id: r.id,
    name: maskName(r.name),
    gender: r.gender,
    age: v.age,
    idNumber: maskIdNumber(v.idNumber),
    phone: v.phone ? maskPhone(v.phone) : null,
    employmentType: r.employment_type as z.infer<typeof memberRowOutput>['employmentType'],
    membershipId: r.membership_id,
    orgId: r.org_id,
    orgName: r.org_name,
    status: r.status,
    joinedOn: r.started_on,
    endedOn: r.ended_on,
    memberNumber: r.member_number,
  };
}

export function presentMember(v: MemberView): z.infer<typeof memberDetailOutput> {
  const p = v.person;
  type Out = z.infer<typeof memberDetailOutput>;
  return {
    id: p.id,
    name: maskName(p.name),
    gender: p.gender,
    age: v.age,
    idNumber: maskIdNumber(v.idNumber),
    phone: v.phone ? maskPhone(v.phone) : null,
    bankCard: v.bankCard ? maskBankCard(v.bankCard) : null,
    ethnicity: p.ethnicity,
    politicalStatus: p.political_status,
    education: p.education,
    householdType: p.household_type,
    householdRegion: p.household_region,
    employmentType: p.employment_type as Out['employmentType'],
    newFormGroup: p.new_form_group as Out['newFormGroup'],
    workUnitId: p.work_unit_id,
    workUnitName: v.workUnitName,
    realNameVerified: p.real_name_verified === 1,
    membership: presentMembership(v.membership),
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
}
