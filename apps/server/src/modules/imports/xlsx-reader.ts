import path from 'node:path';
import type ExcelJS from 'exceljs';
import { AppError } from '../../core/app-error.ts';
import { DEFAULT_ZIP_LIMITS, type ZipEntry, type ZipLimits } from './file-check.ts';
import type { SheetRow } from './sheet-row.ts';
import { type SharedStrings, SharedStringsParser, type SharedStringsOptions } from './xlsx-shared-strings.ts';
import { numberText, SheetParser } from './xlsx-sheet.ts';
import { XlsxArchive } from './xlsx-zip.ts';
import { decodeEntities, unreadable } from './xlsx-xml.ts';
import { excelSerialToIso } from './values.ts';

export { numberText } from './xlsx-sheet.ts';

/**
 * The first worksheet of an xlsx, streamed by our own reader: rows come one at a time, and
 * cells as the text Excel would show in the formula bar. Large numbers keep Excel's own
 * 15-significant-digit form, e.g. `6.10102199001011E+17`: that is what an ID number typed
 * into a General column became, and the validators recognise it as such.
 *
 * The archive is opened by its central directory (xlsx-zip.ts), so parts are read in the
 * order that suits: the workbook (first sheet, 1904 date system), its relationships, the
 * styles (which cell formats are dates), the shared strings (held as bytes, not strings:
 * xlsx-shared-strings.ts), and only then the sheet, streamed (xlsx-sheet.ts). exceljs read
 * the archive front to back and met the sheet before the shared strings in some files
 * (its issues #2790, #3064); memory for a million rows was 1.4 GB of cached strings.
 *
 * Files run through `checkImportFile` first: the archive's sizes are proven before this
 * unpacks anything, and the same limits hold again while it inflates.
 */

/**
 * A cell value in exceljs's shape as text, by the same rules as the reader: what an exceljs
 * workbook (the template, the error report) holds is compared against what the reader yields.
 */
export function cellText(value: ExcelJS.CellValue, date1904: boolean): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return dateText(value, date1904);
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('formula' in value || 'sharedFormula' in value) {
    return cellText((value as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue, date1904);
  }
  if ('error' in value) return '';
  // A shared-string reference left unresolved (exceljs never got to xl/sharedStrings.xml):
  // refuse rather than read every text cell as empty.
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

const REL_WORKSHEET = /\/worksheet$/;
const REL_SHARED_STRINGS = /\/sharedStrings$/;
const REL_STYLES = /\/styles$/;

interface Relationship {
  type: string;
  /** The part's name inside the archive. */
  target: string;
}

/** Attributes of one start tag, by qualified name, entities decoded. */
function attributesOf(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    out.set(m[1]!, decodeEntities(m[2] ?? m[3] ?? ''));
  }
  return out;
}

/** Start tags of an element (any namespace prefix) in a small part's text. */
function* tags(xml: string, local: string): Generator<Map<string, string>> {
  const re = new RegExp(`<(?:[\\w.-]+:)?${local}(?=[\\s/>])([^>]*)>`, 'g');
  for (const m of xml.matchAll(re)) yield attributesOf(m[1]!);
}

/** The part an element's children are in: `<cellXfs>…</cellXfs>`. */
function section(xml: string, local: string): string {
  const re = new RegExp(`<(?:[\\w.-]+:)?${local}(?=[\\s/>])[^>]*?(/?)>`, 'g');
  const open = re.exec(xml);
  if (!open || open[1] === '/') return '';
  const close = new RegExp(`</(?:[\\w.-]+:)?${local}\\s*>`, 'g');
  close.lastIndex = re.lastIndex;
  const end = close.exec(xml);
  return xml.slice(re.lastIndex, end ? end.index : xml.length);
}

async function relationships(archive: XlsxArchive, part: string): Promise<Map<string, Relationship>> {
  const dir = path.posix.dirname(part);
  const relsName = `${dir}/_rels/${path.posix.basename(part)}.rels`;
  const entry = archive.entry(relsName);
  const out = new Map<string, Relationship>();
  if (!entry) return out;
  for (const attrs of tags(await archive.text(entry), 'Relationship')) {
    const id = attrs.get('Id');
    const target = attrs.get('Target');
    if (!id || !target || attrs.get('TargetMode') === 'External') continue;
    const resolved = target.startsWith('/') ? target.slice(1) : path.posix.normalize(`${dir}/${target}`);
    out.set(id, { type: attrs.get('Type') ?? '', target: resolved });
  }
  return out;
}

/** Whether a number format shows a date (or a time): exceljs's rule, quotes and [..] aside. */
export function isDateFormat(code: string): boolean {
  const bare = code.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '');
  return /[ymdhMsb]/.test(bare);
}

/**
 * Built-in formats that show dates: 14–22 and 45–47 everywhere; 27–36 and 50–58 in Chinese,
 * Japanese and Korean Excel (yyyy"年"m"月"d"日" and its kin), which writes them by number
 * without defining them in styles.xml.
 */
function isBuiltInDate(id: number): boolean {
  return (id >= 14 && id <= 22) || (id >= 45 && id <= 47) || (id >= 27 && id <= 36) || (id >= 50 && id <= 58);
}

/** Per cellXfs index, whether its number format shows dates. */
function dateStyles(stylesXml: string): Uint8Array {
  const custom = new Map<number, string>();
  for (const attrs of tags(section(stylesXml, 'numFmts'), 'numFmt')) {
    custom.set(Number(attrs.get('numFmtId')), attrs.get('formatCode') ?? '');
  }
  const xfs = [...tags(section(stylesXml, 'cellXfs'), 'xf')];
  const out = new Uint8Array(xfs.length);
  xfs.forEach((attrs, i) => {
    const id = Number(attrs.get('numFmtId') ?? 0);
    if (!Number.isInteger(id) || id <= 0) return;
    const code = custom.get(id);
    out[i] = (code !== undefined ? isDateFormat(code) : isBuiltInDate(id)) ? 1 : 0;
  });
  return out;
}

interface WorkbookInfo {
  sheet: string | null;
  sharedStrings: string | null;
  styles: string | null;
  date1904: boolean;
}

async function workbookInfo(archive: XlsxArchive): Promise<WorkbookInfo> {
  const name = 'xl/workbook.xml';
  const entry = archive.entry(name);
  if (!entry) throw unreadable('no xl/workbook.xml');
  const xml = await archive.text(entry);
  const rels = await relationships(archive, name);
  const pr = tags(xml, 'workbookPr').next();
  const flag = pr.done ? undefined : pr.value.get('date1904');
  const date1904 = flag === '1' || flag === 'true';
  // The first tab that is a worksheet (a chart sheet has no cells).
  let sheet: string | null = null;
  for (const attrs of tags(section(xml, 'sheets'), 'sheet')) {
    const rid = [...attrs].find(([key]) => key.endsWith(':id'))?.[1];
    const rel = rid ? rels.get(rid) : undefined;
    if (rel && REL_WORKSHEET.test(rel.type)) {
      sheet = rel.target;
      break;
    }
  }
  if (!sheet && archive.entry('xl/worksheets/sheet1.xml')) sheet = 'xl/worksheets/sheet1.xml';
  const find = (re: RegExp, fallback: string) =>
    [...rels.values()].find((r) => re.test(r.type))?.target ?? (archive.entry(fallback) ? fallback : null);
  return {
    sheet,
    sharedStrings: find(REL_SHARED_STRINGS, 'xl/sharedStrings.xml'),
    styles: find(REL_STYLES, 'xl/styles.xml'),
    date1904,
  };
}

async function readSharedStrings(
  archive: XlsxArchive,
  entry: ZipEntry | undefined,
  options: SharedStringsOptions,
): Promise<SharedStrings | null> {
  if (!entry) return null;
  const parser = new SharedStringsParser(options);
  try {
    for await (const chunk of archive.chunks(entry)) parser.feed(chunk);
    if (parser.incomplete) throw unreadable('shared strings cut short');
  } catch (err) {
    parser.strings.close();
    throw err;
  }
  return parser.strings;
}

export interface XlsxReadOptions {
  zip?: ZipLimits;
  /** How much of the shared-string table stays in memory (see `SharedStrings`). */
  strings?: SharedStringsOptions;
}

/** Rows of the first worksheet. Reading may stop early (a preview checks only the first rows). */
export async function* readXlsxRows(file: string, options: XlsxReadOptions = {}): AsyncGenerator<SheetRow> {
  let archive: XlsxArchive;
  try {
    archive = await XlsxArchive.open(file, options.zip ?? DEFAULT_ZIP_LIMITS);
  } catch (err) {
    throw asImportError(err);
  }
  let strings: SharedStrings | null = null;
  try {
    const info = await workbookInfo(archive);
    if (!info.sheet) return;
    const sheetEntry = archive.entry(info.sheet);
    if (!sheetEntry) throw unreadable(`no ${info.sheet}`);
    // A part the relationships name must be there (a damaged name would lose the dates).
    const part = (name: string | null) => {
      if (!name) return undefined;
      const entry = archive.entry(name);
      if (!entry) throw unreadable(`no ${name}`);
      return entry;
    };
    const stylesEntry = part(info.styles);
    const styles = stylesEntry ? dateStyles(await archive.text(stylesEntry)) : new Uint8Array(0);
    strings = await readSharedStrings(archive, part(info.sharedStrings), options.strings ?? {});
    const parser = new SheetParser({ strings, dateStyles: styles, date1904: info.date1904 });
    for await (const chunk of archive.chunks(sheetEntry)) {
      // What follows the rows is not parsed, but still inflated: the size and checksum tests
      // at the end of the part cover the rows too.
      if (parser.done) continue;
      parser.feed(chunk);
      for (const row of parser.rows) yield row;
      parser.rows.length = 0;
    }
    parser.end();
    for (const row of parser.rows) yield row;
  } catch (err) {
    throw asImportError(err);
  } finally {
    strings?.close();
    await archive.close();
  }
}

function asImportError(err: unknown): Error {
  if (err instanceof AppError) return err;
  // A failed system call (the disk full while shared strings spill, the stored upload gone)
  // is the server's trouble, not the file's: it fails the job as it is rather than asking the
  // uploader for a better file.
  if (err instanceof Error && 'syscall' in err) return err;
  return new AppError('IMPORT_FILE_UNREADABLE', undefined, (err as Error).message);
}
