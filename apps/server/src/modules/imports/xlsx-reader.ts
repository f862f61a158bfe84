import fs from 'node:fs';
import ExcelJS from 'exceljs';
import { AppError } from '../../core/app-error.ts';
import type { SheetRow } from './sheet-row.ts';
import { excelSerialToIso } from './values.ts';

/**
 * The first worksheet of an xlsx, streamed through exceljs's WorkbookReader: rows come one at
 * a time, and cells as the text Excel would show in the formula bar. Shared strings and
 * styles are cached by exceljs (styles tell a date from a number). Large numbers keep Excel's
 * own 15-significant-digit form, e.g. `6.10102199001011E+17`: that is what an ID number typed
 * into a General column became, and the validators recognise it as such.
 *
 * Files run through `checkImportFile` first: the archive's sizes are proven before this
 * unpacks anything.
 */

const MAX_COLUMNS = 1_000;

type CellValue = ExcelJS.CellValue;

/** Numbers as Excel displays them in a General cell wide enough. */
export function numberText(n: number): string {
  if (!Number.isFinite(n)) return '';
  if (Math.abs(n) >= 1e15) {
    // Excel keeps 15 significant digits; past 10^15 it shows a mantissa and exponent.
    const [mantissa, exponent] = n.toExponential(14).split('e') as [string, string];
    const m = mantissa.replace(/\.?0+$/, '');
    return `${m}E${exponent.startsWith('-') ? exponent : `+${exponent.replace('+', '')}`}`;
  }
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(15)));
}

export function cellText(value: CellValue, date1904: boolean): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return dateText(value, date1904);
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('formula' in value || 'sharedFormula' in value) {
    return cellText((value as ExcelJS.CellFormulaValue).result as CellValue, date1904);
  }
  if ('error' in value) return '';
  // A shared-string reference left unresolved: exceljs never got to xl/sharedStrings.xml
  // (its streaming unzip can drop the archive's later entries, exceljs issues #2790, #3064).
  // Refuse the file rather than read every text cell as empty.
  if ('sharedString' in value) {
    throw new AppError('IMPORT_FILE_UNREADABLE', undefined, 'shared strings were not read');
  }
  if ('text' in value) return String((value as { text: unknown }).text ?? '');
  return '';
}

/**
 * A date cell. exceljs turns the serial into a Date without Excel's 1900 leap-year bug (it
 * counts 1900-02-29, which never was); going back to the serial and through our own
 * conversion gets early dates right too.
 */
function dateText(d: Date, date1904: boolean): string {
  if (Number.isNaN(d.getTime())) return '';
  if (date1904) return d.toISOString().slice(0, 10);
  const serial = d.getTime() / 86_400_000 + 25_569;
  return excelSerialToIso(serial) ?? '';
}

interface SheetInternals {
  /** The worksheet's source: a temporary file stream, or an entry of the archive. */
  iterator?: { destroy?: () => void; on?: (event: 'error', listener: () => void) => void; path?: unknown };
}

/**
 * Rows of the first worksheet. Reading may stop early (a preview checks only the first
 * rows): the sheets exceljs parked in temporary files are then released one by one, so
 * none is left behind on disk.
 */
export async function* readXlsxRows(path: string): AsyncGenerator<SheetRow> {
  const input = fs.createReadStream(path);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  // exceljs looks up sheet names in the workbook model as each sheet arrives; a sheet stored
  // after the shared strings but before xl/workbook.xml would find no model and crash it.
  // An empty model until the real one is parsed only leaves such a sheet unnamed.
  const internals = reader as unknown as { model?: { sheets?: unknown[] } };
  internals.model ??= { sheets: [] };
  const sheets = reader[Symbol.asyncIterator]();
  let finished = false;
  let parkedInFiles = false;
  try {
    const first = await sheets.next();
    if (!first.done) {
      const sheet = first.value;
      parkedInFiles = typeof (sheet as unknown as SheetInternals).iterator?.path === 'string';
      const date1904 = Boolean(
        (reader as unknown as { properties?: { model?: { date1904?: boolean } } }).properties?.model?.date1904,
      );
      for await (const row of sheet) {
        const values = row.values as CellValue[];
        let last = values.length - 1;
        while (last >= 1 && (values[last] === undefined || values[last] === null)) last--;
        if (last > MAX_COLUMNS) {
          throw new AppError('IMPORT_FILE_UNREADABLE', undefined, `row ${row.number}: over ${MAX_COLUMNS} columns`);
        }
        const cells: string[] = [];
        for (let i = 1; i <= last; i++) cells.push(cellText(values[i], date1904));
        yield { rowNumber: row.number, cells };
      }
    }
    // Other sheets (instructions, code lists) are not read; their sources are let go.
    for (let next = await sheets.next(); !next.done; next = await sheets.next()) release(next.value);
    finished = true;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('IMPORT_FILE_UNREADABLE', undefined, (err as Error).message);
  } finally {
    if (!finished) {
      if (parkedInFiles) {
        // The archive is read through already; walking on deletes each parked sheet.
        try {
          for (let next = await sheets.next(); !next.done; next = await sheets.next()) release(next.value);
        } catch {
          // Already failing or stopping: nothing more to release.
        }
      } else {
        await sheets.return?.(undefined);
      }
    }
    input.destroy();
  }
}

/**
 * Let a parked sheet go unread. Its file stream may not have opened yet when exceljs deletes
 * the file right after; the late ENOENT of a stream nobody reads is expected, not an error.
 */
function release(sheet: unknown): void {
  const source = (sheet as SheetInternals).iterator;
  if (source && typeof source.path === 'string') {
    source.on?.('error', () => {});
    source.destroy?.();
  }
}
