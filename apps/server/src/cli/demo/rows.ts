import type { BlindIndexer } from '../../core/crypto/blind-index.ts';
import type { FieldCipher } from '../../core/crypto/field-cipher.ts';
import type { MembershipTable, PersonTable, WorkUnitTable } from '../../db/schema.ts';
import { nameInitials, PERSON_FIELD_CONTEXTS as C } from '../../modules/members/members.policy.ts';
import type { DemoMember, DemoWorkUnit, IdSource } from './federation.ts';

/**
 * Demo people as the members service stores them: the same ciphers and blind-index contexts,
 * the same derived columns (pinyin initials, birth date and gender from the ID number), so
 * search, reveal and the uniqueness rules treat them exactly like registered members.
 */
export interface Sealing {
  cipher: FieldCipher;
  blind: BlindIndexer;
}

/** The work-units service's context for contact phones. */
const CONTACT_PHONE = 'work_unit.contact_phone';

const initialsCache = new Map<string, string>();
/** nameInitials, remembered: a few hundred thousand distinct names among millions of people. */
function initialsOf(name: string): string {
  let v = initialsCache.get(name);
  if (v === undefined) {
    v = nameInitials(name);
    initialsCache.set(name, v);
  }
  return v;
}

export function workUnitRow(u: DemoWorkUnit, sealing: Sealing): WorkUnitTable {
  return {
    ...u.row,
    contact_phone_cipher: u.contactPhone ? sealing.cipher.encrypt(u.contactPhone, CONTACT_PHONE) : null,
  };
}

export function memberRows(
  m: DemoMember,
  sealing: Sealing,
  ids: IdSource,
  memberNumber: string,
  now: string,
): { person: PersonTable; membership: MembershipTable } {
  const idIndex = sealing.blind.index(m.idNumber, C.idNumber);
  const person: PersonTable = {
    id: ids.next(),
    name: m.name,
    name_initials: initialsOf(m.name),
    id_number_cipher: sealing.cipher.encrypt(m.idNumber, C.idNumber),
    id_number_index: idIndex,
    gender: m.gender,
    birth_date: m.birthDate,
    ethnicity: m.ethnicity,
    political_status: m.politicalStatus,
    education: m.education,
    household_type: m.householdType,
    household_region: m.householdRegion,
    phone_cipher: m.phone ? sealing.cipher.encrypt(m.phone, C.phone) : null,
    phone_index: m.phone ? sealing.blind.index(m.phone, C.phone) : null,
    bank_card_cipher: null,
    bank_card_index: null,
    employment_type: m.employmentType,
    new_form_group: m.newFormGroup,
    work_unit_id: m.workUnitId,
    work_unit_name: m.workUnitName,
    real_name_verified: m.realNameVerified ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  const org = m.union.org;
  const membership: MembershipTable = {
    id: ids.next(),
    person_id: person.id,
    id_number_index: idIndex,
    org_id: org.id,
    org_path: org.path,
    province_root: org.province_root,
    name: person.name,
    name_initials: person.name_initials,
    status: m.status,
    started_on: m.joinDate,
    ended_on: null,
    end_reason: null,
    member_number: memberNumber,
    card_number: null,
    created_at: now,
    updated_at: now,
  };
  return { person, membership };
}
