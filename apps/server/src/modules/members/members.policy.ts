import {
  ageOn,
  type BankCardProblem,
  type FieldError,
  type IdNumberProblem,
  MIN_MEMBER_AGE,
  normalizeIdNumber,
  parseBankCard,
  parseIdNumber,
} from '@zhgh/contracts';
import { pinyin } from 'pinyin-pro';
import { AppError, fieldError } from '../../core/app-error.ts';
import type { OrganizationTable } from '../../db/schema.ts';

/**
 * Cipher and blind-index contexts of the person's sensitive columns. Anything that stores or
 * looks up these values (the roster import too) uses these, or the indexes will not match.
 */
export const PERSON_FIELD_CONTEXTS = {
  idNumber: 'person.id_number',
  phone: 'person.phone',
  bankCard: 'person.bank_card',
} as const;

/**
 * Rules of the real-name member record (DOMAIN §3.2), as the rulebook states them:
 * - one person (ID number), one open membership in the whole system; a phone belongs to one person;
 * - the ID number passes GB 11643; gender and birth date come from it and must agree with
 *   what was typed;
 * - a member is at least MIN_MEMBER_AGE (16) on the day they join, and nobody joins in the future;
 * - a new-form worker names their group (八大群体), nobody else does;
 * - the bank card for payouts passes the Luhn check;
 * - members join a union that is active and is not a federation (a federation's own staff
 *   belong to its organ union, a grassroots union).
 * (That the union lies in the actor's scope is the scope helper's check.)
 */

type Message = { 'zh-CN': string; en: string };

const ID_NUMBER_PROBLEMS: Record<IdNumberProblem, Message> = {
  empty: { 'zh-CN': '请填写身份证号', en: 'The ID number is missing' },
  length: {
    'zh-CN': '身份证号长度不对：应为 18 位（或 15 位旧号码）',
    en: 'Wrong length: an ID number has 18 characters (or 15 for a legacy number)',
  },
  format: {
    'zh-CN': '身份证号格式不对：只能是数字，最后一位可以是 X',
    en: 'Wrong format: an ID number is digits only, with an X allowed as the last character',
  },
  region: {
    'zh-CN': '身份证号前两位不是有效的省级行政区划代码',
    en: 'Unknown region: the first two digits are not a province code',
  },
  date: {
    'zh-CN': '身份证号中的出生日期不存在或晚于今天',
    en: 'Impossible birth date: the date in the ID number does not exist or lies in the future',
  },
  checksum: {
    'zh-CN': '身份证号校验位不符（最后一位），请核对是否输错',
    en: 'Wrong check character: the last character does not match (GB 11643); check for a typo',
  },
};

const BANK_CARD_PROBLEMS: Record<BankCardProblem, Message> = {
  empty: { 'zh-CN': '银行卡号为空', en: 'The bank card number is empty' },
  format: { 'zh-CN': '银行卡号只能是数字', en: 'A bank card number has digits only' },
  length: { 'zh-CN': '银行卡号应为 12 到 19 位数字', en: 'A bank card number has 12 to 19 digits' },
  checksum: {
    'zh-CN': '银行卡号校验位不符，请核对是否输错',
    en: 'The check digit does not match (Luhn); check the card number for a typo',
  },
};

export function idNumberError(field: string, problem: IdNumberProblem): FieldError {
  return fieldError(field, problem === 'empty' ? 'required' : 'format', ID_NUMBER_PROBLEMS[problem]);
}

export function bankCardError(field: string, problem: BankCardProblem): FieldError {
  return fieldError(field, problem === 'checksum' ? 'invalid' : 'format', BANK_CARD_PROBLEMS[problem]);
}

export interface Identity {
  /** Normalized 18-character ID number. */
  idNumber: string;
  gender: 'male' | 'female';
  birthDate: string;
}

/** What registration checks before touching the database, and what it derives. */
export interface RegistrationInput {
  idNumber: string;
  gender?: 'male' | 'female' | undefined;
  birthDate?: string | undefined;
  joinDate: string;
  bankCard?: string | undefined;
}

/**
 * Check a registration's identity and dates; every broken rule becomes a field error (all at
 * once, so a form shows them together). MEMBER_TOO_YOUNG only for an otherwise valid input.
 */
export function checkRegistration(
  input: RegistrationInput,
  today: string,
  extra: FieldError[] = [],
): { identity: Identity; bankCard: string | null } {
  const errors = [...extra];
  const parsed = parseIdNumber(input.idNumber, new Date(`${today}T00:00:00Z`));
  let identity: Identity | null = null;
  if (!parsed.ok) {
    errors.push(idNumberError('body.idNumber', parsed.problem));
  } else {
    identity = { idNumber: parsed.value, gender: parsed.gender, birthDate: parsed.birthDate };
    if (input.gender && input.gender !== parsed.gender) {
      errors.push(
        fieldError('body.gender', 'invalid', {
          'zh-CN': `性别与身份证号不符：身份证号显示为${parsed.gender === 'male' ? '男' : '女'}`,
          en: `The gender does not agree with the ID number, which says ${parsed.gender}`,
        }),
      );
    }
    if (input.birthDate && input.birthDate !== parsed.birthDate) {
      errors.push(
        fieldError('body.birthDate', 'invalid', {
          'zh-CN': `出生日期与身份证号不符：身份证号显示为 ${parsed.birthDate}`,
          en: `The birth date does not agree with the ID number, which says ${parsed.birthDate}`,
        }),
      );
    }
  }
  if (input.joinDate > today) {
    errors.push(
      fieldError('body.joinDate', 'too_big', {
        'zh-CN': '入会日期不能晚于今天',
        en: 'The join date cannot be in the future',
      }),
    );
  }
  let bankCard: string | null = null;
  if (input.bankCard !== undefined) {
    const card = parseBankCard(input.bankCard);
    if (card.ok) bankCard = card.value;
    else errors.push(bankCardError('body.bankCard', card.problem));
  }
  if (errors.length > 0) throw new AppError('VALIDATION_FAILED', errors);
  checkAge(identity!.birthDate, input.joinDate);
  return { identity: identity!, bankCard };
}

/** Under MIN_MEMBER_AGE on the join date: refused, naming the ID number (where the age comes from). */
export function checkAge(birthDate: string, joinDate: string): void {
  const age = ageOn(birthDate, new Date(`${joinDate}T00:00:00Z`));
  if (age < MIN_MEMBER_AGE) {
    throw new AppError('MEMBER_TOO_YOUNG', [
      fieldError('body.idNumber', 'invalid', {
        'zh-CN': `入会日期时未满 ${MIN_MEMBER_AGE} 周岁（当时 ${Math.max(age, 0)} 岁）`,
        en: `Under ${MIN_MEMBER_AGE} on the join date (age ${Math.max(age, 0)})`,
      }),
    ]);
  }
}

/**
 * Employment: a new-form worker names their group; nobody else has one. A registered work
 * unit or a typed employer name, not both.
 */
export function employmentErrors(input: {
  employmentType: string;
  newFormGroup?: string | null | undefined;
  workUnitId?: string | null | undefined;
  workUnitName?: string | null | undefined;
}): FieldError[] {
  const errors: FieldError[] = [];
  if (input.employmentType === 'new_form' && !input.newFormGroup) {
    errors.push(
      fieldError('body.newFormGroup', 'required', {
        'zh-CN': '新就业形态劳动者须选择所属群体（快递员、网约车司机、外卖送餐员等）',
        en: 'A new-form worker needs their group (courier, ride-hailing driver, delivery rider …)',
      }),
    );
  }
  if (input.employmentType !== 'new_form' && input.newFormGroup) {
    errors.push(
      fieldError('body.newFormGroup', 'invalid', {
        'zh-CN': '只有新就业形态劳动者填写所属群体',
        en: 'Only new-form workers have a group',
      }),
    );
  }
  if (input.workUnitId && input.workUnitName) {
    errors.push(
      fieldError('body.workUnitName', 'invalid', {
        'zh-CN': '已选择登记的工作单位时不再填写单位名称',
        en: 'Give a registered work unit or an employer name, not both',
      }),
    );
  }
  return errors;
}

/** Members join an active union that is not a federation. */
export function checkUnionAcceptsMembers(org: Pick<OrganizationTable, 'type' | 'status'>): void {
  if (org.status !== 'active') throw new AppError('ORG_NOT_ACTIVE');
  if (org.type === 'federation') {
    throw new AppError('MEMBER_ORG_NOT_ELIGIBLE', [
      fieldError('body.orgId', 'invalid', {
        'zh-CN': '请选择基层工会、联合基层工会、乡镇（街道）或行业工会，不能直接登记在总工会',
        en: 'Choose a grassroots, joint, township or industry union, not a federation',
      }),
    ]);
  }
}

/**
 * The ID number has an open membership. Names the union only when the actor could read that
 * membership anyway; otherwise says "another union", so the refusal reveals nothing outside
 * the actor's scope beyond the fact itself, which the rule of one membership makes unavoidable.
 */
export function idNumberTaken(field: string, holder: { orgName: string } | null): AppError {
  return new AppError('MEMBER_ID_NUMBER_TAKEN', [
    fieldError(
      field,
      'invalid',
      holder
        ? {
            'zh-CN': `此人已是「${holder.orgName}」的会员。如其工作已变动，请由该工会办理会籍转出（会籍接转）后再登记`,
            en: `This person is already a member of "${holder.orgName}". If they changed jobs, have that union transfer the membership out first`,
          }
        : {
            'zh-CN':
              '此人已是其他工会的会员。如其工作已变动，请其原工会办理会籍转出（会籍接转），或请上级工会协助查询后再登记',
            en: 'This person is already a member of another union. If they changed jobs, the membership is transferred out by that union first (ask your higher federation to help find it)',
          },
    ),
  ]);
}

export function phoneTaken(field: string): AppError {
  return new AppError('PHONE_TAKEN', [
    fieldError(field, 'invalid', {
      'zh-CN': '该手机号已登记在另一名会员名下',
      en: 'This phone number is already registered to another person',
    }),
  ]);
}

export function memberNumberTaken(field: string): AppError {
  return new AppError('MEMBER_NUMBER_TAKEN', [
    fieldError(field, 'invalid', {
      'zh-CN': '该会员号已被另一名在册会员使用',
      en: 'This member number belongs to another open membership',
    }),
  ]);
}

/**
 * Member numbers generated by the platform: the year of issue (Beijing time) and an 8-digit
 * sequence of that year, `2026` + `00000001` → `202600000001`. Twelve digits, so numbers sort
 * by issue as text and as numbers; independent of the province root, so a member keeps the
 * number across transfers and mergers anywhere (the number is unique among open memberships).
 * The sequence is a counter row per year (migration 0004); 10⁸ a year is beyond China's yearly
 * joins. A number typed from an earlier system is kept as typed; a generated number that
 * happens to equal one is skipped.
 */
export const MEMBER_NUMBER_SEQUENCE_DIGITS = 8;

export function formatMemberNumber(year: number, sequence: number): string {
  const seq = String(sequence);
  if (seq.length > MEMBER_NUMBER_SEQUENCE_DIGITS) throw new Error(`member number sequence of ${year} exhausted`);
  return `${year}${seq.padStart(MEMBER_NUMBER_SEQUENCE_DIGITS, '0')}`;
}

/**
 * Pinyin initials of a name, surname mode (单 as a surname reads shan, 曾 zeng, 解 xie),
 * lowercase; Latin letters kept, anything else (·, digits) dropped. "zs" finds 张三.
 */
export function nameInitials(name: string): string {
  const parts = pinyin(name, { pattern: 'first', toneType: 'none', type: 'array', surname: 'head' });
  return parts
    .map((p) => p.toLowerCase())
    .filter((p) => /^[a-z]$/.test(p))
    .join('');
}

/** How a search term `q` is matched. */
export type MemberSearch =
  | { kind: 'idNumber'; idNumber: string | null }
  | { kind: 'phone'; phone: string }
  | { kind: 'initials'; initials: string }
  | { kind: 'name'; prefix: string }
  | { kind: 'none' };

/**
 * An ID number (18 characters, or 15 digits) or an 11-digit mobile number is an exact match
 * through the blind index; Latin letters are pinyin initials; anything else a name prefix.
 * An ID-shaped term that fails its check matches nobody (`idNumber: null`), as does a term
 * left empty without LIKE wildcards.
 */
export function classifySearch(q: string, today: string): MemberSearch {
  const compact = normalizeIdNumber(q);
  if (/^1[3-9]\d{9}$/.test(compact)) return { kind: 'phone', phone: compact };
  if (/^\d{17}[\dX]$/.test(compact) || /^\d{15}$/.test(compact)) {
    const parsed = parseIdNumber(compact, new Date(`${today}T00:00:00Z`));
    return { kind: 'idNumber', idNumber: parsed.ok ? parsed.value : null };
  }
  // LIKE wildcards are never the user's: a term of only those matches nobody, not everybody.
  const trimmed = q.trim().replace(/[%_\\]/g, '');
  if (trimmed === '') return { kind: 'none' };
  if (/^[A-Za-z]+$/.test(trimmed)) return { kind: 'initials', initials: trimmed.toLowerCase() };
  return { kind: 'name', prefix: trimmed };
}
