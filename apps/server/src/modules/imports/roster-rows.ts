import {
  EDUCATION_LEVELS,
  EMPLOYMENT_TYPES,
  ETHNICITIES,
  GENDERS,
  HOUSEHOLD_TYPES,
  MIN_MEMBER_AGE,
  NEW_FORM_GROUPS,
  parseBankCard,
  parseIdNumber,
  POLITICAL_STATUSES,
  ROSTER_FIELD_LABELS,
  type CodeItem,
  type IdNumberProblem,
  type RosterField,
  type RosterProblem,
  type RosterProblemCode,
  type RosterProblemParams,
  rosterProblemMessage,
  type RosterRow,
} from '@zhgh/contracts';
import { DigitKeyMap } from './digit-key-map.ts';
import type { HeaderMapping } from './header-mapping.ts';
import type { SheetRow } from './sheet-row.ts';
import {
  allowedLabels,
  digitText,
  hasRoundedTail,
  isScientific,
  parseCode,
  parseDate,
  parsePhone,
  text,
  toHalfWidth,
} from './values.ts';

/**
 * One roster row to a `RosterRow` or the list of what is wrong with it, each problem named
 * by the column header the user sees. The validator remembers ID numbers and phones it has
 * seen, so an in-file duplicate is reported on the later row with the earlier row's number.
 */

export type ParsedValues = Record<RosterField, string | null>;

export interface RowOutcome {
  rowNumber: number;
  /** The cells as read, for the error report. */
  cells: string[];
  /** Each field as parsed, null when empty or unreadable (for previews). */
  values: ParsedValues;
  /** The typed row, when nothing is wrong and every required value is there. */
  row: RosterRow | null;
  problems: RosterProblem[];
}

export interface RosterValidatorOptions {
  /** Today's date (YYYY-MM-DD, Beijing time): join dates may not be later. */
  today: string;
  /** Whether a 6-digit code is a real region (GB/T 2260). */
  isKnownRegion: (code: string) => boolean;
  /** Rows the file is expected to hold, to size the duplicate checks' tables once. */
  expectedRows?: number;
}

const LIMITS = { name: 50, workUnitName: 100 } as const;
const PRESIZED_ROWS = 1_000_000;
const NAME_MIN = 2;
/** Member and card numbers, as the members module takes them. */
const NUMBER_FORMAT = /^[A-Za-z0-9-]{4,32}$/;

const ID_PROBLEMS: Record<Exclude<IdNumberProblem, 'empty'>, RosterProblemCode> = {
  length: 'id_length',
  format: 'id_format',
  region: 'id_region',
  date: 'id_date',
  checksum: 'id_checksum',
};

/** GB/T 2261.1 gender codes and the letters some systems export. */
const GENDER_ALIASES: Record<string, 'male' | 'female'> = { '1': 'male', '2': 'female', m: 'male', f: 'female' };

const CJK_AND_SPACES = /^[\s\u3000\u3400-\u9fff\uf900-\ufaff·•.]+$/u;

/** Whole years from one YYYY-MM-DD to another (as `ageOn`, on the ISO strings). */
function ageAt(birthDate: string, day: string): number {
  const years = Number(day.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return day.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

/** Names padded for alignment (王, ideographic space, 明) lose their spaces; others keep single ones. */
function cleanName(raw: string): string | null {
  const t = text(raw);
  if (t === null) return null;
  return CJK_AND_SPACES.test(t) ? t.replace(/[\s\u3000]+/g, '') : t.replace(/\s+/g, ' ');
}

export function createRosterValidator(mapping: HeaderMapping, options: RosterValidatorOptions) {
  // Validated ID numbers and phones are all digits (the ID's check character follows from
  // its first 17), so they fit the compact map: a million rows' duplicate checks in ~30 MB.
  // An estimate from a file's declared sizes is trusted up to the largest roster the import is
  // built for; a bigger file grows the tables as it goes.
  const expected = Math.min(options.expectedRows ?? 1024, PRESIZED_ROWS);
  const seenIds = new DigitKeyMap(expected);
  const seenPhones = new DigitKeyMap(expected);
  const todayDate = new Date(`${options.today}T00:00:00Z`);
  const { columnOf, headers } = mapping;
  // The row being validated. The helpers below read these instead of closing over each row,
  // so a million rows do not make seven million closures.
  let rowNumber = 0;
  let cells: string[] = [];
  let problems: RosterProblem[] = [];

  const raw = (field: RosterField): string => {
    const index = columnOf[field];
    return index === undefined ? '' : (cells[index] ?? '');
  };
  const columnName = (field: RosterField) => {
    const index = columnOf[field];
    return index === undefined ? null : headers[index] || ROSTER_FIELD_LABELS[field].zh;
  };
  const report = (field: RosterField | null, code: RosterProblemCode, params: RosterProblemParams = {}) => {
    const column = field ? columnName(field) : null;
    problems.push({
      row: rowNumber,
      column,
      field,
      code,
      message: rosterProblemMessage(code, {
        column: column ?? (field ? ROSTER_FIELD_LABELS[field].zh : ''),
        ...params,
      }),
    });
  };
  const present = (field: RosterField) => columnOf[field] !== undefined;
  const required = (field: RosterField, value: string | null): value is string => {
    if (value !== null) return true;
    if (present(field)) report(field, 'required');
    return false;
  };
  const limited = (field: keyof typeof LIMITS, value: string | null): string | null => {
    if (value !== null && value.length > LIMITS[field]) {
      report(field, 'too_long', { max: LIMITS[field] });
      return null;
    }
    return value;
  };
  const code = <L extends readonly CodeItem[]>(
    field: RosterField,
    list: L,
    isRequired = false,
  ): L[number]['code'] | null => {
    const t = text(raw(field));
    if (t === null) {
      if (isRequired) required(field, null);
      return null;
    }
    const hit = parseCode(list, t);
    if (hit === null) report(field, 'code_unknown', { allowed: allowedLabels(list) });
    return hit;
  };

  return function validate(sheetRow: SheetRow): RowOutcome {
    rowNumber = sheetRow.rowNumber;
    cells = sheetRow.cells;
    problems = [];
    const values = {} as ParsedValues;

    // Name.
    let name = cleanName(raw('name'));
    if (required('name', name)) {
      if ([...name].length < NAME_MIN) {
        report('name', 'too_short', { max: NAME_MIN });
        name = null;
      } else name = limited('name', name);
    }
    values.name = name;

    // ID number: gender and birth date come from it.
    let id: ReturnType<typeof parseIdNumber> | null = null;
    const idRaw = text(raw('idNumber'));
    if (required('idNumber', idRaw)) {
      if (isScientific(idRaw)) report('idNumber', 'id_as_number');
      else {
        id = parseIdNumber(idRaw.replace(/^'/, ''), todayDate);
        if (!id.ok) {
          const rounded = id.problem === 'checksum' && hasRoundedTail(idRaw);
          report('idNumber', rounded ? 'id_as_number' : id.problem === 'empty' ? 'required' : ID_PROBLEMS[id.problem]);
        }
      }
    }
    const person = id?.ok ? id : null;
    values.idNumber = person?.value ?? null;
    if (person) {
      const earlier = seenIds.get(person.value);
      if (earlier !== undefined) report('idNumber', 'duplicate_id_number', { otherRow: earlier });
      else seenIds.set(person.value, rowNumber);
    }

    // Gender, typed: must agree with the ID number.
    const genderText = text(raw('gender'));
    let typedGender: 'male' | 'female' | null = null;
    if (genderText !== null) {
      typedGender = GENDER_ALIASES[toHalfWidth(genderText).toLowerCase()] ?? parseCode(GENDERS, genderText);
      if (typedGender === null) report('gender', 'gender_unknown');
      else if (person && typedGender !== person.gender) {
        report('gender', 'gender_mismatch', { expected: person.gender === 'male' ? '男' : '女' });
      }
    }
    values.gender = person?.gender ?? typedGender;

    // Birth date, typed: must agree with the ID number (to the month for 出生年月).
    const birthText = text(raw('birthDate'));
    let typedBirth: string | null = null;
    if (birthText !== null) {
      const parsed = parseDate(birthText);
      if (!parsed) report('birthDate', 'date_invalid');
      else {
        typedBirth = parsed.value;
        const same =
          parsed.precision === 'day'
            ? parsed.value === person?.birthDate
            : parsed.value.slice(0, 7) === person?.birthDate.slice(0, 7);
        if (person && !same) report('birthDate', 'birth_date_mismatch', { expected: person.birthDate });
      }
    }
    values.birthDate = person?.birthDate ?? typedBirth;

    const ethnicity = (values.ethnicity = code('ethnicity', ETHNICITIES, true));
    const politicalStatus = (values.politicalStatus = code('politicalStatus', POLITICAL_STATUSES, true));
    const education = (values.education = code('education', EDUCATION_LEVELS, true));
    const householdType = (values.householdType = code('householdType', HOUSEHOLD_TYPES, true));

    // Household region: a real GB/T 2260 code.
    const regionText = text(raw('householdRegion'));
    let region: string | null = null;
    if (required('householdRegion', regionText)) {
      const digits = digitText(regionText);
      if (/^\d{6}$/.test(digits) && options.isKnownRegion(digits)) region = digits;
      else report('householdRegion', 'region_unknown');
    }
    values.householdRegion = region;

    // Phone: a mainland mobile, unique in the file.
    const phoneText = text(raw('phone'));
    let phone: string | null = null;
    if (phoneText !== null) {
      phone = parsePhone(phoneText);
      if (phone === null) report('phone', 'phone_invalid');
      else {
        const earlier = seenPhones.get(phone);
        if (earlier !== undefined) report('phone', 'duplicate_phone', { otherRow: earlier });
        else seenPhones.set(phone, rowNumber);
      }
    }
    values.phone = phone;

    values.workUnitName = limited('workUnitName', text(raw('workUnitName')));

    // Employment type, and the new-form group that only new-form workers have.
    const employmentText = text(raw('employmentType'));
    const employmentType = required('employmentType', employmentText) ? code('employmentType', EMPLOYMENT_TYPES) : null;
    values.employmentType = employmentType;
    const groupText = text(raw('newFormGroup'));
    const newFormGroup = code('newFormGroup', NEW_FORM_GROUPS);
    values.newFormGroup = newFormGroup;
    if (employmentType === 'new_form' && groupText === null) report('newFormGroup', 'new_form_group_required');
    if (employmentType !== null && employmentType !== 'new_form' && newFormGroup !== null) {
      report('newFormGroup', 'new_form_group_unexpected');
    }

    // Join date: not in the future; the person at least 16 on that day (or today).
    const joinText = text(raw('joinDate'));
    let joinDate: string | null = null;
    if (joinText !== null) {
      const parsed = parseDate(joinText);
      if (!parsed) report('joinDate', 'date_invalid');
      else if (parsed.value > options.today) report('joinDate', 'join_date_future');
      else joinDate = parsed.value;
    }
    values.joinDate = joinDate;
    if (person && (joinDate !== null || joinText === null)) {
      const day = joinDate ?? options.today;
      if (ageAt(person.birthDate, day) < MIN_MEMBER_AGE) {
        report(joinDate === null ? 'idNumber' : 'joinDate', 'under_age', { max: MIN_MEMBER_AGE });
      }
    }

    // Member number and card number: letters, digits and dashes; long digit runs must not
    // have been rounded by Excel.
    for (const field of ['memberNumber', 'cardNumber'] as const) {
      const t = text(raw(field));
      let v: string | null = null;
      if (t !== null) {
        const cleaned = toHalfWidth(t).replace(/^'/, '').replace(/\s+/g, '');
        if (isScientific(t)) report(field, 'number_as_number');
        else if (!NUMBER_FORMAT.test(cleaned)) report(field, 'number_format');
        else v = cleaned;
      }
      values[field] = v;
    }

    // Bank card: 12–19 digits passing Luhn.
    const cardText = text(raw('bankCard'));
    let bankCard: string | null = null;
    if (cardText !== null) {
      const card = isScientific(cardText) ? null : parseBankCard(digitText(cardText));
      if (card === null || (!card.ok && card.problem === 'checksum' && hasRoundedTail(cardText))) {
        report('bankCard', 'number_as_number');
      } else if (!card.ok) report('bankCard', card.problem === 'checksum' ? 'bank_card_checksum' : 'bank_card_invalid');
      else bankCard = card.value;
    }
    values.bankCard = bankCard;

    let row: RosterRow | null = null;
    if (
      problems.length === 0 &&
      person &&
      name !== null &&
      ethnicity !== null &&
      politicalStatus !== null &&
      education !== null &&
      householdType !== null &&
      region !== null &&
      employmentType !== null
    ) {
      row = {
        name,
        idNumber: person.value,
        gender: person.gender,
        birthDate: person.birthDate,
        ethnicity,
        politicalStatus,
        education,
        householdType,
        householdRegion: region,
        phone,
        workUnitName: values.workUnitName,
        employmentType,
        newFormGroup,
        joinDate,
        memberNumber: values.memberNumber,
        cardNumber: values.cardNumber,
        bankCard,
      };
    }
    return { rowNumber, cells, values, row, problems };
  };
}
export type RosterValidator = ReturnType<typeof createRosterValidator>;
