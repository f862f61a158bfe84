import { AppError } from '../../core/app-error.ts';
import { regionsRepository } from '../regions/regions.repository.ts';
import { type Delimiter, openCsv, type TextEncoding } from './csv-reader.ts';
import type { FileCheck, FileKind } from './file-check.ts';
import { type HeaderMapping, mapHeader, type MappingOverride, MappingOverrideError } from './header-mapping.ts';
import { createRosterValidator, type RowOutcome } from './roster-rows.ts';
import { isBlankRow, type SheetRow } from './sheet-row.ts';
import { readXlsxRows } from './xlsx-reader.ts';

/**
 * A roster file to validated rows: the part the preview, the import job's worker thread and
 * group enrollment share. It touches no database (regions are a table in memory), so the
 * worker thread loads only this and the readers, not the services.
 */

export interface RosterSource {
  format: FileKind;
  encoding: TextEncoding | null;
  delimiter: Delimiter | null;
  rows: AsyncGenerator<SheetRow>;
  close: () => void;
}

/** Rows of a checked file, whatever its format. */
export async function openRosterFile(path: string, check: FileCheck): Promise<RosterSource> {
  if (check.kind === 'xlsx') {
    const rows = readXlsxRows(path);
    return { format: 'xlsx', encoding: null, delimiter: null, rows, close: () => void rows.return(undefined) };
  }
  const csv = await openCsv(path);
  return { format: 'csv', encoding: csv.encoding, delimiter: csv.delimiter, rows: csv.rows, close: csv.close };
}

export interface RosterScan {
  headerRow: number;
  mapping: HeaderMapping;
  /** Each non-blank data row, validated, with its cells as read (for the error report). */
  outcomes: AsyncGenerator<RowOutcome>;
}

export interface ScanOptions {
  override?: MappingOverride;
  /** Today, YYYY-MM-DD in Beijing time. */
  today: string;
  /** Rows the file is expected to hold (sizes the in-file duplicate checks). */
  expectedRows?: number;
}

const isKnownRegion = (code: string) => regionsRepository.findByCode(code) !== undefined;

/**
 * Find the header (the first non-blank row) and map it. Throws IMPORT_FILE_EMPTY when there is
 * no header, VALIDATION_FAILED on `body.mapping` when the override names a column the header
 * lacks. The rows after the header are left to the caller; the roster and group enrollment's
 * list share this step.
 */
export async function readHeader(
  rows: AsyncIterator<SheetRow>,
  override?: MappingOverride,
): Promise<{ headerRow: number; mapping: HeaderMapping }> {
  let header: SheetRow | null = null;
  for (let next = await rows.next(); !next.done; next = await rows.next()) {
    if (!isBlankRow(next.value.cells)) {
      header = next.value;
      break;
    }
  }
  if (!header) throw new AppError('IMPORT_FILE_EMPTY');
  try {
    return { headerRow: header.rowNumber, mapping: mapHeader(header.cells, override) };
  } catch (err) {
    if (err instanceof MappingOverrideError) {
      throw AppError.invalid(`body.mapping.${err.columnIndex}`, 'invalid', {
        'zh-CN': `表头没有第 ${Number(err.columnIndex) + 1} 列`,
        en: `The header has no column ${Number(err.columnIndex) + 1}`,
      });
    }
    throw err;
  }
}

/** The header (see `readHeader`), then each non-blank row after it, validated one at a time. */
export async function scanRoster(rows: AsyncIterator<SheetRow>, options: ScanOptions): Promise<RosterScan> {
  const { headerRow, mapping } = await readHeader(rows, options.override);
  const validate = createRosterValidator(mapping, {
    today: options.today,
    isKnownRegion,
    ...(options.expectedRows ? { expectedRows: options.expectedRows } : {}),
  });
  async function* outcomes() {
    for (let next = await rows.next(); !next.done; next = await rows.next()) {
      if (isBlankRow(next.value.cells)) continue;
      yield validate(next.value);
    }
  }
  return { headerRow, mapping, outcomes: outcomes() };
}
