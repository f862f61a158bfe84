import {
  type CodeItem,
  EDUCATION_LEVELS,
  EMPLOYMENT_TYPES,
  ETHNICITIES,
  type FederationLevel,
  GENDERS,
  HOUSEHOLD_TYPES,
  MEMBER_EXPORT_EXTRA_LABELS,
  NEW_FORM_GROUPS,
  type OrgType,
  POLITICAL_STATUSES,
  ROSTER_FIELD_LABELS,
  ROSTER_FIELDS,
  type RosterField,
  UNION_EXPORT_COLUMNS,
} from '@zhgh/contracts';
import { localDate } from '../../core/calendar.ts';
import { maskBankCard, maskIdNumber, maskName, maskPhone } from '../../core/crypto/mask.ts';
import { LEVEL_ZH, TYPE_ZH } from '../orgs/orgs.policy.ts';
import { regionsRepository } from '../regions/regions.repository.ts';
import type { ExportCell, ExportColumn } from './export-file.ts';
import { maskBirthDate } from './exports.policy.ts';
import type { MemberExportRow, UnionExportRow } from './exports.repository.ts';

/**
 * What an export shows: each exported row as cells, code values as their Chinese labels,
 * and names, ID numbers, phones and bank cards masked as every response masks them unless the
 * export is sensitive.
 */

/** Columns whose digits must stay text in Excel. */
const TEXT_FIELDS: ReadonlySet<RosterField> = new Set([
  'idNumber',
  'phone',
  'bankCard',
  'memberNumber',
  'cardNumber',
  'householdRegion',
  'birthDate',
  'joinDate',
]);
const WIDE_FIELDS: ReadonlySet<RosterField> = new Set(['idNumber', 'bankCard']);

/**
 * The roster fields in the import template's column order, under the template's labels
 * (without the required marks), so an export can be edited and imported again; then the
 * union and the membership status.
 */
export const MEMBER_EXPORT_COLUMNS: readonly ExportColumn[] = [
  ...ROSTER_FIELDS.map((field) => ({
    header: ROSTER_FIELD_LABELS[field].zh,
    width: WIDE_FIELDS.has(field) ? 22 : field === 'workUnitName' ? 30 : 14,
    text: TEXT_FIELDS.has(field),
  })),
  { header: MEMBER_EXPORT_EXTRA_LABELS.orgName.zh, width: 30 },
  { header: MEMBER_EXPORT_EXTRA_LABELS.status.zh, width: 10 },
];

export const UNION_COLUMNS: readonly ExportColumn[] = UNION_EXPORT_COLUMNS.map((c) => ({
  header: c.zh,
  width: c.key === 'name' || c.key === 'parent' || c.key === 'workUnit' ? 30 : c.key === 'creditCode' ? 22 : 12,
  text: c.key === 'creditCode',
}));

const MEMBERSHIP_STATUS_ZH: Record<MemberExportRow['status'], string> = {
  active: '正常',
  retained: '保留会籍',
  transferred_out: '已转出',
  withdrawn: '已退会',
};

const ORG_STATUS_ZH: Record<UnionExportRow['status'], string> = {
  active: '正常',
  dissolved: '已撤销',
  merged: '已合并',
};

/** A code as its Chinese label; an unknown code as it is (never silently blank). */
function label(list: readonly CodeItem[], code: string | null): string | null {
  if (code === null) return null;
  return list.find((i) => i.code === code)?.zh ?? code;
}

/** The decrypted sensitive values of a member row. */
export interface MemberSecrets {
  idNumber: string;
  phone: string | null;
  bankCard: string | null;
}

export function memberCells(row: MemberExportRow, secrets: MemberSecrets, sensitive: boolean): ExportCell[] {
  const values: Record<RosterField, string | null> = {
    // Masked as in every list and detail: an export must not show more than the screens do.
    name: sensitive ? row.name : maskName(row.name),
    idNumber: sensitive ? secrets.idNumber : maskIdNumber(secrets.idNumber),
    gender: label(GENDERS, row.gender),
    birthDate: sensitive ? row.birth_date : maskBirthDate(row.birth_date),
    ethnicity: label(ETHNICITIES, row.ethnicity),
    politicalStatus: label(POLITICAL_STATUSES, row.political_status),
    education: label(EDUCATION_LEVELS, row.education),
    householdType: label(HOUSEHOLD_TYPES, row.household_type),
    // The template takes the region as its code; the code keeps the export importable.
    householdRegion: row.household_region,
    phone: secrets.phone === null ? null : sensitive ? secrets.phone : maskPhone(secrets.phone),
    workUnitName: row.unit_name ?? row.work_unit_name,
    employmentType: label(EMPLOYMENT_TYPES, row.employment_type),
    newFormGroup: label(NEW_FORM_GROUPS, row.new_form_group),
    joinDate: row.started_on,
    memberNumber: row.member_number,
    cardNumber: row.card_number,
    bankCard: secrets.bankCard === null ? null : sensitive ? secrets.bankCard : maskBankCard(secrets.bankCard),
  };
  return [...ROSTER_FIELDS.map((f) => values[f]), row.org_name, MEMBERSHIP_STATUS_ZH[row.status]];
}

/** `陕西省西安市雁塔区` for a county code; the code itself when the table does not know it. */
export function regionName(code: string | null): string | null {
  if (!code) return null;
  const names: string[] = [];
  for (
    let r = regionsRepository.findByCode(code);
    r;
    r = r.parentCode ? regionsRepository.findByCode(r.parentCode) : undefined
  ) {
    // Municipalities repeat their name at city level (北京市 → 市辖区): keep each name once.
    if (names[0] !== r.name) names.unshift(r.name);
  }
  return names.length > 0 ? names.join('') : code;
}

export function unionCells(
  row: UnionExportRow,
  members: number,
  units: readonly { name: string; creditCode: string | null }[],
): ExportCell[] {
  return [
    row.name,
    TYPE_ZH[row.type as OrgType] ?? row.type,
    row.level ? (LEVEL_ZH[row.level as FederationLevel] ?? row.level) : null,
    regionName(row.region_code),
    row.parent_name,
    ORG_STATUS_ZH[row.status],
    localDate(new Date(row.created_at)),
    members,
    units.length > 0 ? units.map((u) => u.name).join('；') : null,
    units.some((u) => u.creditCode) ? units.map((u) => u.creditCode ?? '').join('；') : null,
  ];
}
