import type { RosterProblem } from '@zhgh/contracts';
import type { BlindIndexer } from '../../core/crypto/blind-index.ts';
import type { FieldCipher } from '../../core/crypto/field-cipher.ts';
import type { PersonTable } from '../../db/schema.ts';
import { nameInitials, PERSON_FIELD_CONTEXTS } from '../members/members.policy.ts';
import type { FileKind } from './file-check.ts';
import type { HeaderMapping, MappingOverride } from './header-mapping.ts';
import { openRosterFile, scanRoster } from './roster-scan.ts';

/**
 * The roster import's work apart from the database: read the file, validate every row (the
 * in-file duplicate checks see every row, those of committed chunks too), and turn each good
 * row into what the person row stores — pinyin initials, blind indexes, ciphertexts — in
 * chunks of `chunkRows` rows, so the job's chunk transaction only decides and writes.
 */

export interface PrepareInput {
  file: string;
  format: FileKind;
  override: MappingOverride | null;
  /** The import's "today" (YYYY-MM-DD, Beijing). */
  today: string;
  /** Rows up to this file row belong to committed chunks: validated, not handed out. */
  skipThrough: number;
  chunkRows: number;
  /** Rows the file is expected to hold (the job's estimate). */
  expectedRows: number;
}

/** A good row as the person row stores it: sensitive values only as blind index and ciphertext. */
export type PreparedPerson = Omit<
  PersonTable,
  'id' | 'work_unit_id' | 'real_name_verified' | 'created_at' | 'updated_at' | 'id_number_cipher'
> & {
  id_number_cipher: string;
  joinDate: string | null;
  memberNumber: string | null;
  cardNumber: string | null;
};

export interface PreparedRow {
  rowNumber: number;
  /**
   * The cells as read, for the error report, already as the problem row stores them (JSON):
   * one string per row crosses from the worker thread instead of one per cell.
   */
  cellsJson: string;
  /** What is wrong with the row within the file. */
  problems: RosterProblem[];
  /** The row to write, when nothing is wrong in the file and every required value is there. */
  person: PreparedPerson | null;
}

export type PrepareMessage = { kind: 'mapping'; mapping: HeaderMapping } | { kind: 'rows'; rows: PreparedRow[] };

export interface PrepareWorkerInput {
  input: PrepareInput;
  cipher: FieldCipher['spec'];
  blind: BlindIndexer['spec'];
}

/** The mapping first, then the rows after `skipThrough` in chunks of `chunkRows`. */
export async function* prepareRoster(
  input: PrepareInput,
  crypto: { cipher: FieldCipher; blind: BlindIndexer },
): AsyncGenerator<PrepareMessage> {
  const { cipher, blind } = crypto;
  const C = PERSON_FIELD_CONTEXTS;
  // Pinyin initials cost more than the rest of a row's fields together, and rosters repeat
  // names (王伟, 张敏 …): a bounded cache per run.
  const initialsCache = new Map<string, string>();
  const initialsOf = (name: string): string => {
    let v = initialsCache.get(name);
    if (v === undefined) {
      if (initialsCache.size >= 100_000) initialsCache.clear();
      v = nameInitials(name);
      initialsCache.set(name, v);
    }
    return v;
  };

  const source = await openRosterFile(input.file, { kind: input.format, size: 0 });
  try {
    const scan = await scanRoster(source.rows, {
      today: input.today,
      expectedRows: input.expectedRows,
      ...(input.override ? { override: input.override } : {}),
    });
    yield { kind: 'mapping', mapping: scan.mapping };
    let rows: PreparedRow[] = [];
    for await (const o of scan.outcomes) {
      // Rows of committed chunks were validated again (for in-file duplicates) but are not written.
      if (o.rowNumber <= input.skipThrough) continue;
      const r = o.row;
      rows.push({
        rowNumber: o.rowNumber,
        cellsJson: JSON.stringify(o.cells),
        problems: o.problems,
        person: r && {
          name: r.name,
          name_initials: initialsOf(r.name),
          id_number_cipher: cipher.encrypt(r.idNumber, C.idNumber),
          id_number_index: blind.index(r.idNumber, C.idNumber),
          gender: r.gender,
          birth_date: r.birthDate,
          ethnicity: r.ethnicity,
          political_status: r.politicalStatus,
          education: r.education,
          household_type: r.householdType,
          household_region: r.householdRegion,
          phone_cipher: r.phone ? cipher.encrypt(r.phone, C.phone) : null,
          phone_index: r.phone ? blind.index(r.phone, C.phone) : null,
          bank_card_cipher: r.bankCard ? cipher.encrypt(r.bankCard, C.bankCard) : null,
          bank_card_index: r.bankCard ? blind.index(r.bankCard, C.bankCard) : null,
          employment_type: r.employmentType,
          new_form_group: r.newFormGroup,
          work_unit_name: r.workUnitName,
          joinDate: r.joinDate,
          memberNumber: r.memberNumber,
          cardNumber: r.cardNumber,
        },
      });
      if (rows.length >= input.chunkRows) {
        yield { kind: 'rows', rows };
        rows = [];
      }
    }
    if (rows.length > 0) yield { kind: 'rows', rows };
  } finally {
    await source.rows.return(undefined);
    source.close();
  }
}
