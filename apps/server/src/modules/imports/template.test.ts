import fs from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import {
  ERROR_REPORT_REASON_HEADER,
  ETHNICITIES,
  ROSTER_FIELDS,
  ROSTER_REQUIRED_FIELDS,
  type RosterField,
} from '@zhgh/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { rosterMatrix, tempDir, TEMPLATE_HEADERS, writeXlsx } from '../../../test/import-files.ts';
import { writeErrorReport, type ReportRow } from './error-report.ts';
import { checkImportFile } from './file-check.ts';
import { scanRoster } from './roster-scan.ts';
import { CODE_LISTS, CODES_SHEET, GUIDE_SHEET, ROSTER_SHEET, writeMemberTemplate } from './template.ts';
import { readXlsxRows } from './xlsx-reader.ts';

const tmp = tempDir();
afterAll(() => tmp.remove());
const today = '2026-06-01';

async function scanFile(file: string) {
  const rows = readXlsxRows(file)[Symbol.asyncIterator]();
  const scan = await scanRoster(rows, { today });
  const outcomes = [];
  for await (const o of scan.outcomes) outcomes.push(o);
  return { ...scan, outcomes };
}

describe('the roster template', () => {
  const file = tmp.file('template.xlsx');
  // Read as XML: exceljs's in-memory reader would expand each whole-column dropdown into a
  // million cells (and Excel, WPS and our streaming reader do not).
  const xml = (entry: string) => entryXml(file, entry);
  const cells = (sheet: string) =>
    [...sheet.matchAll(/<row [^>]*>(.*?)<\/row>/g)].map((row) =>
      [...row[1]!.matchAll(/<c r="([A-Z]+)\d+"[^>]*?(?:\/>|>(?:<v>(.*?)<\/v>|<is><t>(.*?)<\/t><\/is>)?<\/c>)/g)].map(
        (c) => c[2] ?? c[3] ?? '',
      ),
    );

  it('is an xlsx with the roster, instructions and code sheets', async () => {
    await writeMemberTemplate(fs.createWriteStream(file));
    expect((await checkImportFile(file, { maxBytes: 1024 * 1024 })).kind).toBe('xlsx');
    const names = [...(await xml('xl/workbook.xml')).matchAll(/<sheet [^>]*name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual([ROSTER_SHEET, GUIDE_SHEET, CODES_SHEET]);
    const rows = [];
    for await (const r of readXlsxRows(file)) rows.push(r);
    expect(rows).toEqual([{ rowNumber: 1, cells: TEMPLATE_HEADERS }]);
    for (const field of ROSTER_REQUIRED_FIELDS) expect(TEMPLATE_HEADERS[ROSTER_FIELDS.indexOf(field)]).toMatch(/\*$/);
    const guide = cells(await xml('xl/worksheets/sheet2.xml'));
    expect(guide[0]).toEqual(['列名', '必填', '填写要求']);
    expect(guide.slice(1, 1 + ROSTER_FIELDS.length).map((r) => r[0])).toEqual(TEMPLATE_HEADERS);
  });

  it('formats ID, phone and bank-card columns as text (number format 49, "@")', async () => {
    const styles = await xml('xl/styles.xml');
    const xfs = [...styles.split('<cellXfs')[1]!.matchAll(/<xf [^>]*numFmtId="(\d+)"/g)].map((m) => m[1]);
    const cols = [...(await xml('xl/worksheets/sheet1.xml')).matchAll(/<col ([^>]*)\/>/g)].map((m) => {
      const attr = (name: string) => new RegExp(`${name}="(\\d+)"`).exec(m[1]!)?.[1];
      return { min: Number(attr('min')), max: Number(attr('max')), style: attr('style') };
    });
    const formatOf = (index: number) => {
      const col = cols.find((c) => c.min <= index + 1 && index + 1 <= c.max);
      return col?.style === undefined ? undefined : xfs[Number(col.style)];
    };
    for (const field of ['idNumber', 'phone', 'bankCard'] as RosterField[]) {
      expect(formatOf(ROSTER_FIELDS.indexOf(field)), field).toBe('49');
    }
    expect(formatOf(ROSTER_FIELDS.indexOf('name'))).toBeUndefined();
  });

  it('lists every code of every code list, and offers them as dropdowns', async () => {
    const listed = new Set(
      cells(await xml('xl/worksheets/sheet3.xml'))
        .slice(1)
        .map((r) => r.join('|')),
    );
    for (const { title, list } of CODE_LISTS) {
      for (const item of list) expect(listed.has(`${title}|${item.code}|${item.zh}`), `${title} ${item.zh}`).toBe(true);
    }
    expect([...listed].filter((l) => l.startsWith('民族|')).length).toBe(ETHNICITIES.length);
    const sheet = await xml('xl/worksheets/sheet1.xml');
    const gender = String.fromCharCode(65 + ROSTER_FIELDS.indexOf('gender'));
    expect(sheet).toContain(`sqref="${gender}2:${gender}1048576"`);
    expect(sheet).toContain('<formula1>&apos;代码表&apos;!$C$2:$C$3</formula1>');
    expect(sheet.match(/<dataValidation /g)).toHaveLength(CODE_LISTS.length);
  });

  it('maps completely when uploaded back, and reads as having no data rows', async () => {
    const scan = await scanFile(file);
    expect(scan.mapping.missingRequired).toEqual([]);
    expect(scan.mapping.unmapped).toEqual([]);
    expect(scan.outcomes).toEqual([]);
  });
});

/** One entry of an xlsx as text, located through our own directory reader. */
async function entryXml(file: string, entry: string): Promise<string> {
  const { entries } = await checkImportFile(file, { maxBytes: 1024 * 1024 });
  const e = entries!.find((x) => x.name === entry)!;
  const bytes = fs.readFileSync(file);
  const at =
    e.localHeaderOffset +
    30 +
    bytes.readUInt16LE(e.localHeaderOffset + 26) +
    bytes.readUInt16LE(e.localHeaderOffset + 28);
  const raw = bytes.subarray(at, at + e.compressedSize);
  return (e.method === 8 ? inflateRawSync(raw) : raw).toString('utf8');
}

describe('the error report', () => {
  it('has the original header plus 错误原因, one row per bad row, IDs kept as text; fixed, it uploads cleanly', async () => {
    const source = tmp.file('with-errors.xlsx');
    const bad = new Set([3, 7]);
    await writeXlsx(
      source,
      rosterMatrix(10, (r, i) => {
        if (i === 3) r.phone = '12345';
        if (i === 7) {
          r.employmentType = '临时工';
          r.joinDate = '2099-01-01';
        }
      }),
    );
    const first = await scanFile(source);
    const badRows: ReportRow[] = first.outcomes.filter((o) => o.problems.length > 0);
    expect(badRows.map((o) => o.rowNumber)).toEqual([...bad].map((i) => i + 2));

    const report = tmp.file('report.xlsx');
    const written = await writeErrorReport(fs.createWriteStream(report), first.mapping.headers, badRows);
    expect(written.rows).toBe(2);

    const rows = [];
    for await (const r of readXlsxRows(report)) rows.push(r);
    expect(rows[0]!.cells).toEqual([...TEMPLATE_HEADERS, ERROR_REPORT_REASON_HEADER]);
    expect(rows.length).toBe(3);
    const [r5, r9] = [rows[1]!, rows[2]!];
    expect(r5.cells.slice(0, ROSTER_FIELDS.length)).toEqual(badRows[0]!.cells);
    expect(r5.cells.at(-1)).toBe('第 5 行：手机号码应为 11 位大陆手机号');
    expect(r9.cells.at(-1)).toMatch(/^第 9 行：用工形式\*不是可选的值.*；入会日期不能晚于今天$/);

    // Fix the two rows in the report and upload it as it is: 错误原因 is skipped.
    const fixed = tmp.file('fixed.xlsx');
    const phoneAt = ROSTER_FIELDS.indexOf('phone');
    const typeAt = ROSTER_FIELDS.indexOf('employmentType');
    const joinAt = ROSTER_FIELDS.indexOf('joinDate');
    r5.cells[phoneAt] = '13700000005';
    r9.cells[typeAt] = '农民工';
    r9.cells[joinAt] = '2024-05-01';
    await writeXlsx(fixed, [rows[0]!.cells, r5.cells, r9.cells]);
    const again = await scanFile(fixed);
    expect(again.mapping.unmapped).toEqual([
      { index: ROSTER_FIELDS.length, header: ERROR_REPORT_REASON_HEADER, reason: 'ignored' },
    ]);
    expect(again.outcomes.map((o) => o.problems)).toEqual([[], []]);

    // A report of a report keeps one reason column.
    const second = tmp.file('report2.xlsx');
    await writeErrorReport(fs.createWriteStream(second), again.mapping.headers, [
      { ...again.outcomes[0]!, problems: first.outcomes[3]!.problems },
    ]);
    let header2: string[] = [];
    for await (const r of readXlsxRows(second)) {
      header2 = r.cells;
      break;
    }
    expect(header2.filter((h) => h === ERROR_REPORT_REASON_HEADER)).toHaveLength(1);
  });
});
