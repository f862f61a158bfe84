import { AppError } from '../../core/app-error.ts';
import type { SheetRow } from './sheet-row.ts';
import type { SharedStrings } from './xlsx-shared-strings.ts';
import { type XmlHandler, XmlTokenizer } from './xlsx-xml.ts';
import { excelSerialToIso } from './values.ts';

/**
 * A worksheet's XML, fed in chunks, turned into rows of text cells: `<row r>` gives the row
 * number Excel shows (rows Excel left out are simply absent, so blank rows keep their
 * numbers), `<c r t s>` the column, type and style, `<v>` the value, `<is>` an inline string
 * (rich-text runs joined, phonetic guides left out), `<f>` a formula whose cached value is
 * what counts. Rows or cells without `r` follow the one before. Values become text as
 * `cellText` in xlsx-reader.ts says: numbers as Excel's General format shows them, dates as
 * YYYY-MM-DD (by the cell style's number format), booleans TRUE/FALSE, errors blank.
 */

export const MAX_COLUMNS = 1_000;

const SHEET_DATA = 1;
const ROW = 2;
const C = 3;
const V = 4;
const F = 5;
const IS = 6;
const T = 7;
const RPH = 8;
const NAMES = ['sheetData', 'row', 'c', 'v', 'f', 'is', 't', 'rPh'];

const TYPE_N = 0;
const TYPE_S = 1;
const TYPE_STR = 2;
const TYPE_INLINE = 3;
const TYPE_B = 4;
const TYPE_E = 5;
const TYPE_D = 6;

export interface SheetContext {
  strings: SharedStrings | null;
  /** Per cellXfs index: whether its number format shows a date. */
  dateStyles: Uint8Array;
  date1904: boolean;
}

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

/**
 * A date cell's serial as YYYY-MM-DD. Rounded to the millisecond first, as a Date holds it;
 * the 1900 system goes through `excelSerialToIso`, which knows Excel's phantom 1900-02-29.
 */
export function serialDateText(serial: number, date1904: boolean): string {
  const ms = Math.round((serial - 25_569 + (date1904 ? 1462 : 0)) * 86_400_000);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return '';
  if (date1904) return new Date(ms).toISOString().slice(0, 10);
  return excelSerialToIso(ms / 86_400_000 + 25_569) ?? '';
}

export class SheetParser implements XmlHandler {
  /** Rows completed by the chunks fed so far; the caller takes them. */
  readonly rows: SheetRow[] = [];
  /** `</sheetData>` was seen: nothing after it matters. */
  done = false;
  private readonly xml: XmlTokenizer;
  private inSheetData = false;
  private inRow = false;
  private inCell = false;
  private inIs = false;
  private phonetic = 0;
  private rowNumber = 0;
  private cells: string[] = [];
  private last = -1;
  private column = -1;
  private type = TYPE_N;
  private style = 0;
  private hasValue = false;
  private hasFormula = false;
  private hasInline = false;
  // Attributes of the tag being opened, set by `attribute`.
  private attrRow = 0;
  private attrColumn = -1;
  private attrType = TYPE_N;
  private attrStyle = 0;

  constructor(private readonly context: SheetContext) {
    this.xml = new XmlTokenizer(NAMES, this);
  }

  feed(chunk: Buffer): void {
    this.xml.feed(chunk);
  }

  /** The part ended: it must not stop inside the rows. */
  end(): void {
    if (!this.done && (this.inSheetData || this.xml.incomplete))
      throw new AppError('IMPORT_FILE_UNREADABLE', undefined, 'worksheet cut short');
  }

  open(name: number, data: Buffer, attrStart: number, attrEnd: number): void {
    switch (name) {
      case SHEET_DATA:
        this.inSheetData = true;
        break;
      case ROW:
        if (!this.inSheetData) break;
        this.attrRow = 0;
        this.attributes(data, attrStart, attrEnd);
        this.rowNumber = this.attrRow > 0 ? this.attrRow : this.rowNumber + 1;
        this.inRow = true;
        this.cells = [];
        this.last = -1;
        this.column = -1;
        break;
      case C:
        if (!this.inRow || this.inCell) break;
        this.attrColumn = -1;
        this.attrType = TYPE_N;
        this.attrStyle = 0;
        this.attributes(data, attrStart, attrEnd);
        this.column = this.attrColumn >= 0 ? this.attrColumn : this.column + 1;
        this.type = this.attrType;
        this.style = this.attrStyle;
        this.hasValue = this.hasFormula = this.hasInline = false;
        this.inIs = false;
        this.phonetic = 0;
        this.xml.text.length = 0;
        this.inCell = true;
        break;
      case V:
        if (!this.inCell || this.inIs) break;
        this.hasValue = true;
        this.xml.capture = true;
        break;
      case F:
        if (this.inCell) this.hasFormula = true;
        break;
      case IS:
        if (!this.inCell) break;
        this.inIs = true;
        this.hasInline = true;
        break;
      case RPH:
        if (this.inIs) this.phonetic++;
        break;
      case T:
        if (this.inIs && this.phonetic === 0) this.xml.capture = true;
        break;
    }
  }

  close(name: number): void {
    switch (name) {
      case V:
      case T:
        this.xml.capture = false;
        break;
      case RPH:
        if (this.phonetic > 0) this.phonetic--;
        break;
      case IS:
        this.inIs = false;
        break;
      case C:
        if (!this.inCell) break;
        this.inCell = false;
        this.xml.capture = false;
        this.finishCell();
        break;
      case ROW:
        if (!this.inRow) break;
        this.inRow = false;
        this.finishRow();
        break;
      case SHEET_DATA:
        if (this.inSheetData) this.done = true;
        this.inSheetData = false;
        break;
    }
  }

  private finishRow(): void {
    const cells = this.cells;
    // Cells are placed by column; the gaps between them are blank.
    for (let i = 0; i <= this.last; i++) if (cells[i] === undefined) cells[i] = '';
    cells.length = this.last + 1;
    this.rows.push({ rowNumber: this.rowNumber, cells });
  }

  private finishCell(): void {
    const value = this.cellValue();
    if (value === null) return;
    if (this.column >= MAX_COLUMNS) {
      throw new AppError('IMPORT_FILE_UNREADABLE', undefined, `row ${this.rowNumber}: over ${MAX_COLUMNS} columns`);
    }
    this.cells[this.column] = value;
    if (this.column > this.last) this.last = this.column;
  }

  /** The cell as text, or null for a cell with no value at all (it does not extend the row). */
  private cellValue(): string | null {
    const text = this.xml.text;
    if (this.hasInline && !this.hasValue) return text.toString();
    if (!this.hasValue) return this.hasFormula ? '' : null;
    switch (this.type) {
      case TYPE_S: {
        const s = this.context.strings?.get(parseIndex(text.bytes, text.length));
        // An empty or missing shared string is no value, as an empty cell.
        if (s === undefined || s === '') return this.hasFormula ? '' : null;
        return s;
      }
      case TYPE_STR:
      case TYPE_INLINE:
        return text.toString();
      case TYPE_B:
        return parseInt(text.ascii(), 10) !== 0 ? 'TRUE' : 'FALSE';
      case TYPE_E:
        return '';
      case TYPE_D: {
        // ISO 8601 (strict OOXML): the date part, as a date cell shows.
        const m = /^\s*(\d{4}-\d{2}-\d{2})/.exec(text.ascii());
        return m ? m[1]! : '';
      }
      default: {
        const n = parseNumber(text.bytes, text.length);
        const dateStyles = this.context.dateStyles;
        if (this.style < dateStyles.length && dateStyles[this.style] === 1) {
          return serialDateText(n, this.context.date1904);
        }
        return numberText(n);
      }
    }
  }

  /** Reads r, t and s of `<row>` or `<c>` into the attr* fields. */
  private attributes(data: Buffer, start: number, end: number): void {
    let p = start;
    while (p < end) {
      let b = data[p]!;
      if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) {
        p++;
        continue;
      }
      const nameStart = p;
      while (p < end && data[p] !== 0x3d && data[p] !== 0x20) p++;
      const nameLength = p - nameStart;
      while (p < end && data[p] !== 0x22 && data[p] !== 0x27) p++;
      if (p >= end) return;
      const quote = data[p]!;
      const valueStart = ++p;
      while (p < end && data[p] !== quote) p++;
      const valueEnd = p;
      p++;
      if (nameLength !== 1) continue;
      b = data[nameStart]!;
      if (b === 0x72 /* r */) {
        if (this.inRow) this.attrColumn = parseColumn(data, valueStart, valueEnd);
        else this.attrRow = parseUint(data, valueStart, valueEnd);
      } else if (b === 0x74 /* t */) {
        this.attrType = parseType(data, valueStart, valueEnd);
      } else if (b === 0x73 /* s */) {
        this.attrStyle = parseUint(data, valueStart, valueEnd);
      }
    }
  }
}

/** `AB12` → 27 (0-based column); -1 when there are no letters. */
function parseColumn(data: Buffer, start: number, end: number): number {
  let col = 0;
  let p = start;
  if (data[p] === 0x24 /* $ */) p++;
  for (; p < end; p++) {
    let b = data[p]!;
    if (b >= 0x61 && b <= 0x7a) b -= 0x20;
    if (b < 0x41 || b > 0x5a) break;
    col = col * 26 + (b - 0x40);
    if (col > 1_000_000) return 1_000_000;
  }
  return col - 1;
}

/** Digits only; 0 when there are none (or too many to be a row or style). */
function parseUint(data: Buffer, start: number, end: number): number {
  let n = 0;
  for (let p = start; p < end; p++) {
    const d = data[p]! - 0x30;
    if (d < 0 || d > 9) return 0;
    n = n * 10 + d;
    if (n > 0x7fffffff) return 0;
  }
  return n;
}

function parseType(data: Buffer, start: number, end: number): number {
  const length = end - start;
  const b = data[start];
  if (length === 1) {
    if (b === 0x73) return TYPE_S;
    if (b === 0x62) return TYPE_B;
    if (b === 0x65) return TYPE_E;
    if (b === 0x64) return TYPE_D;
    return TYPE_N;
  }
  if (length === 3 && data.toString('latin1', start, end) === 'str') return TYPE_STR;
  if (length === 9 && data.toString('latin1', start, end) === 'inlineStr') return TYPE_INLINE;
  return TYPE_N;
}

/** A shared-string index; NaN when the value is not one (no string then). */
function parseIndex(bytes: Buffer, length: number): number {
  let n = 0;
  let p = 0;
  while (p < length && bytes[p] === 0x20) p++;
  if (p === length) return NaN;
  for (; p < length; p++) {
    const d = bytes[p]! - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  return n;
}

/** A `<v>` number: plain digits (the usual case) without building a string; else parseFloat. */
function parseNumber(bytes: Buffer, length: number): number {
  if (length > 0 && length <= 15) {
    let n = 0;
    let p = 0;
    for (; p < length; p++) {
      const d = bytes[p]! - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (p === length) return n;
  }
  return parseFloat(bytes.toString('latin1', 0, length));
}
