import type { CodeItem, Locale, memberRoutes, MembershipStatus, RouteOutput } from '@zhgh/contracts';
import type { CallInput } from '@zhgh/web';

export type MemberRow = RouteOutput<typeof memberRoutes.list>['items'][number];
export type MemberDetail = RouteOutput<typeof memberRoutes.get>;
export type Membership = MemberDetail['membership'];
export type MemberUpdateBody = NonNullable<CallInput<typeof memberRoutes.update>['body']>;
export type MemberRegisterBody = NonNullable<CallInput<typeof memberRoutes.register>['body']>;

/** The label of a code in the UI's language; a code the list does not know shows as itself. */
export function codeLabel(list: readonly CodeItem[], code: string | null | undefined, locale: Locale): string {
  if (!code) return '—';
  const item = list.find((i) => i.code === code);
  if (!item) return code;
  return locale === 'zh-CN' ? item.zh : item.en;
}

/** Tag colour of a membership status: open ones stand out, closed ones fade. */
export function statusTagType(status: MembershipStatus): 'success' | 'warning' | 'info' {
  if (status === 'active') return 'success';
  if (status === 'retained') return 'warning';
  return 'info';
}

/** What the member form edits; empty strings are "not typed". */
export interface MemberEditForm {
  name: string;
  ethnicity: string;
  politicalStatus: string;
  education: string;
  householdType: string;
  householdRegion: string;
  employmentType: string;
  newFormGroup: string;
  workUnitName: string;
  /** Typed only to replace the stored one: the form never sees the full value. */
  phone: string;
  bankCard: string;
  clearPhone: boolean;
  clearBankCard: boolean;
}

const DIFFED = [
  'ethnicity',
  'politicalStatus',
  'education',
  'householdType',
  'householdRegion',
  'employmentType',
] as const satisfies readonly (keyof MemberEditForm & keyof MemberDetail)[];

/** The edit form filled from a member: masked fields start empty (typing replaces them). */
export function editFormOf(m: MemberDetail): MemberEditForm {
  return {
    name: '',
    ethnicity: m.ethnicity ?? '',
    politicalStatus: m.politicalStatus ?? '',
    education: m.education ?? '',
    householdType: m.householdType ?? '',
    householdRegion: m.householdRegion ?? '',
    employmentType: m.employmentType,
    newFormGroup: m.newFormGroup ?? '',
    workUnitName: m.workUnitId ? '' : (m.workUnitName ?? ''),
    phone: '',
    bankCard: '',
    clearPhone: false,
    clearBankCard: false,
  };
}

/**
 * The PATCH body: only what changed, so the audit event lists exactly the fields the cadre
 * touched. The name travels only when retyped (the shown one is masked); a new-form group goes
 * with the employment type, since the server checks them together.
 */
export function updateBodyOf(before: MemberDetail, form: MemberEditForm): MemberUpdateBody {
  const body: Record<string, string | null> = {};
  if (form.name.trim()) body.name = form.name.trim();
  for (const key of DIFFED) {
    const value = form[key].trim();
    if (value && value !== (before[key] ?? '')) body[key] = value;
  }
  const group = form.employmentType === 'new_form' ? form.newFormGroup || null : null;
  if ('employmentType' in body || group !== before.newFormGroup) body.newFormGroup = group;
  if (!before.workUnitId) {
    const unit = form.workUnitName.trim() || null;
    if (unit !== before.workUnitName) body.workUnitName = unit;
  }
  if (form.clearPhone) body.phone = null;
  else if (form.phone.trim()) body.phone = form.phone.trim();
  if (form.clearBankCard) body.bankCard = null;
  else if (form.bankCard.trim()) body.bankCard = form.bankCard.replace(/\s+/g, '');
  // Code fields come from selects that offer only the contract's codes; the server validates again.
  return body as MemberUpdateBody;
}

/** What registration adds to the edit form: identity and the membership itself. */
export interface MemberRegisterForm extends MemberEditForm {
  orgId: string | undefined;
  idNumber: string;
  joinDate: string;
  memberNumber: string;
  cardNumber: string;
}

function optional(value: string): string | undefined {
  return value.trim() || undefined;
}

/** The registration body: optional fields left out when empty, a new-form group only for new-form workers. */
export function registerBodyOf(form: MemberRegisterForm): MemberRegisterBody {
  const body = {
    orgId: form.orgId ?? '',
    name: form.name.trim(),
    idNumber: form.idNumber.trim().toUpperCase(),
    ethnicity: form.ethnicity,
    politicalStatus: form.politicalStatus,
    education: form.education,
    householdType: form.householdType,
    householdRegion: form.householdRegion.trim(),
    employmentType: form.employmentType,
    ...(form.employmentType === 'new_form' ? { newFormGroup: form.newFormGroup } : {}),
    workUnitName: optional(form.workUnitName) ?? null,
    phone: optional(form.phone),
    bankCard: optional(form.bankCard.replace(/\s+/g, '')),
    joinDate: form.joinDate,
    memberNumber: optional(form.memberNumber),
    cardNumber: optional(form.cardNumber),
  };
  // As above: the selects hold contract codes only, and the server is the judge.
  return body as MemberRegisterBody;
}

/** Whether the list's search box holds an ID number or phone (exact match) or a name (prefix). */
export function searchKind(q: string): 'idNumber' | 'phone' | 'name' | null {
  const v = q.trim();
  if (!v) return null;
  if (/^\d{17}[\dXx]$/.test(v) || /^\d{15}$/.test(v)) return 'idNumber';
  if (/^1[3-9]\d{9}$/.test(v)) return 'phone';
  return 'name';
}

/** A membership's span for the timeline: `2020-01-05 – 2024-06-30`, or `since` while open. */
export function membershipSpan(m: Pick<Membership, 'startedOn' | 'endedOn'>, now: string): string {
  return m.endedOn ? `${m.startedOn} – ${m.endedOn}` : `${m.startedOn} – ${now}`;
}
