import {
  ENROLLMENT_LIST_FIELDS,
  ENROLLMENT_LIST_REQUIRED,
  type EnrollmentListField,
  type EnrollmentProblem,
  type EnrollmentProblemCode,
  enrollmentProblemMessage,
  ROSTER_FIELD_LABELS,
  type RosterField,
  type RosterProblemParams,
} from '@zhgh/contracts';
import type { EnrollmentEventTable } from '../../db/schema.ts';
import type { HeaderMapping } from '../imports/header-mapping.ts';
import { createRosterValidator } from '../imports/roster-rows.ts';
import type { SheetRow } from '../imports/sheet-row.ts';
import { text } from '../imports/values.ts';

/**
 * The rules of group enrollment (集中入会), pure:
 * - a list row is read by the roster import's validator (ID numbers normalized and checked,
 *   phones, code lists by code or label, under-16s, in-file duplicates), restricted to the
 *   list's six columns; name, ID number, phone, employer and employment type are required,
 *   and a new-form worker names their group;
 * - an event takes applications between its opening and its end, until its quota is reached,
 *   unless the union closed it.
 */

const LIST_FIELDS: ReadonlySet<RosterField> = new Set(ENROLLMENT_LIST_FIELDS);

/** One list row, ready to become a join application. */
export interface ListRow {
  name: string;
  idNumber: string;
  phone: string;
  workUnitName: string;
  employmentType: string;
  newFormGroup: string | null;
}

export interface ListOutcome {
  rowNumber: number;
  /** The cells as read, for the error report. */
  cells: string[];
  /** The list's fields as parsed, null when empty or unreadable. */
  values: Record<EnrollmentListField, string | null>;
  row: ListRow | null;
  problems: EnrollmentProblem[];
}

/** The header mapping with every column outside the list's six left unread. */
export function listMapping(mapping: HeaderMapping): HeaderMapping {
  const columnOf: HeaderMapping['columnOf'] = {};
  for (const f of ENROLLMENT_LIST_FIELDS) if (mapping.columnOf[f] !== undefined) columnOf[f] = mapping.columnOf[f];
  return {
    ...mapping,
    mapped: mapping.mapped.filter((m) => LIST_FIELDS.has(m.field)),
    columnOf,
    missingRequired: ENROLLMENT_LIST_REQUIRED.filter((f) => columnOf[f] === undefined),
  };
}

/** A problem of a list row, named by its column as the file writes it. */
export function listProblem(
  mapping: HeaderMapping,
  rowNumber: number,
  field: RosterField | null,
  code: EnrollmentProblemCode,
  params: RosterProblemParams = {},
): EnrollmentProblem {
  const index = field ? mapping.columnOf[field] : undefined;
  const column = index === undefined ? null : mapping.headers[index] || ROSTER_FIELD_LABELS[field!].zh;
  return {
    row: rowNumber,
    column,
    field,
    code,
    message: enrollmentProblemMessage(code, {
      column: column ?? (field ? ROSTER_FIELD_LABELS[field].zh : ''),
      ...params,
    }),
  };
}

/**
 * A validator of list rows. Like the roster's, it remembers the ID numbers and phones it has
 * seen, so a duplicate in the file is reported on the later row, naming the earlier one.
 */
export function createListValidator(full: HeaderMapping, options: { today: string }) {
  const mapping = listMapping(full);
  // Regions are not a list column: the roster validator never asks.
  const roster = createRosterValidator(mapping, { today: options.today, isKnownRegion: () => false });
  return function validate(sheetRow: SheetRow): ListOutcome {
    const outcome = roster(sheetRow);
    const problems: EnrollmentProblem[] = outcome.problems.filter((p) => p.field === null || LIST_FIELDS.has(p.field));
    const v = outcome.values;
    const values: ListOutcome['values'] = {
      name: v.name,
      idNumber: v.idNumber,
      phone: v.phone,
      workUnitName: v.workUnitName,
      employmentType: v.employmentType,
      newFormGroup: v.newFormGroup,
    };
    // Required here though optional in a roster: empty cells (a bad value is reported already).
    for (const field of ENROLLMENT_LIST_REQUIRED) {
      const index = mapping.columnOf[field];
      if (index === undefined) continue;
      if (text(sheetRow.cells[index]) === null && !problems.some((p) => p.field === field)) {
        problems.push(listProblem(mapping, sheetRow.rowNumber, field, 'required'));
      }
    }
    const ok =
      problems.length === 0 &&
      mapping.missingRequired.length === 0 &&
      values.name !== null &&
      values.idNumber !== null &&
      values.phone !== null &&
      values.workUnitName !== null &&
      values.employmentType !== null;
    return {
      rowNumber: sheetRow.rowNumber,
      cells: sheetRow.cells,
      values,
      row: ok
        ? {
            name: values.name!,
            idNumber: values.idNumber!,
            phone: values.phone!,
            workUnitName: values.workUnitName!,
            employmentType: values.employmentType!,
            newFormGroup: values.newFormGroup,
          }
        : null,
      problems,
    };
  };
}
export type ListValidator = ReturnType<typeof createListValidator>;

/** The problems of a row whose required column is missing from the file altogether. */
export function missingColumnProblems(mapping: HeaderMapping, rowNumber: number): EnrollmentProblem[] {
  return listMapping(mapping).missingRequired.map((field) => listProblem(mapping, rowNumber, field, 'required'));
}

export type EventState = 'not_yet' | 'open' | 'ended' | 'full' | 'closed';

/** What a worker scanning the event's code at `now` meets. */
export function eventState(
  event: Pick<EnrollmentEventTable, 'status' | 'opens_at' | 'closes_at' | 'quota' | 'joined'>,
  now: Date,
): EventState {
  if (event.status === 'closed') return 'closed';
  const at = now.getTime();
  if (at < Date.parse(event.opens_at)) return 'not_yet';
  if (at >= Date.parse(event.closes_at)) return 'ended';
  if (event.quota !== null && event.joined >= event.quota) return 'full';
  return 'open';
}

/** The error a worker gets for an event that takes no application now. */
export function eventRefusal(state: EventState) {
  switch (state) {
    case 'not_yet':
      return 'ENROLLMENT_EVENT_NOT_OPEN' as const;
    case 'ended':
    case 'closed':
      return 'ENROLLMENT_EVENT_CLOSED' as const;
    case 'full':
      return 'ENROLLMENT_EVENT_FULL' as const;
    case 'open':
      return null;
  }
}

/** The portal page an event's QR code opens (the portal is served at /m/). */
export function joinPath(code: string): string {
  return `/m/join/e/${code}`;
}

/** Base32 letters (lowercase, no 0/1/8/9 look-alikes): what a QR code and a typed link carry well. */
const CODE_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** 12 characters: 60 bits, so codes cannot be guessed or enumerated. */
export const EVENT_CODE_LENGTH = 12;

/** An event code from random bytes (one byte per character, 5 bits used). */
export function eventCode(random: Uint8Array): string {
  if (random.length < EVENT_CODE_LENGTH) throw new Error('eventCode needs 12 random bytes');
  let out = '';
  for (let i = 0; i < EVENT_CODE_LENGTH; i++) out += CODE_ALPHABET[random[i]! & 31];
  return out;
}
