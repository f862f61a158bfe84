import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import zlib from 'node:zlib';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { buildZip, csvBytes, rosterMatrix, tempDir, writeXlsx, type ZipSpec } from '../../../test/import-files.ts';
import { AppError } from '../../core/app-error.ts';
import { CsvParser, detectDelimiter, detectEncoding, openCsv } from './csv-reader.ts';
import { DEFAULT_ZIP_LIMITS, readZipDirectory } from './file-check.ts';
import type { SheetRow } from './sheet-row.ts';
import { cellText, numberText, readXlsxRows } from './xlsx-reader.ts';
import { SharedStrings, SharedStringsParser } from './xlsx-shared-strings.ts';
import { SheetParser } from './xlsx-sheet.ts';

const tmp = tempDir();
afterAll(() => tmp.remove());
let n = 0;
const put = (bytes: Buffer) => {
  const file = tmp.file(`c${++n}.csv`);
  fs.writeFileSync(file, bytes);
  return file;
};

async function all(rows: AsyncIterable<SheetRow>): Promise<SheetRow[]> {
  const out: SheetRow[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

function parse(text: string, pieces = 1, delimiter: ',' | '\t' | ';' = ','): string[][] {
  const parser = new CsvParser(delimiter);
  const out: SheetRow[] = [];
  const size = Math.ceil(text.length / pieces);
  for (let i = 0; i < text.length; i += size) parser.feed(text.slice(i, i + size), out);
  parser.end(out);
  return out.map((r) => r.cells);
}

describe('CSV parsing (RFC 4180)', () => {
  const sample =
    '姓名,备注,身份证号\r\n"王明","他说""你好""",610113199001011234\r\n李华,"两行\r\n备注",\r\n,,\r\n赵六,"a,b",x';
  const expected = [
    ['姓名', '备注', '身份证号'],
    ['王明', '他说"你好"', '610113199001011234'],
    ['李华', '两行\r\n备注', ''],
    ['', '', ''],
    ['赵六', 'a,b', 'x'],
  ];

  it('reads quotes, doubled quotes, line breaks inside quotes, empty fields and a last line without a break', () => {
    expect(parse(sample)).toEqual(expected);
  });

  it('gives the same records however the text is cut into pieces (CRLF split included)', () => {
    for (const pieces of [2, 3, 7, 13, sample.length]) expect(parse(sample, pieces)).toEqual(expected);
  });

  it('takes LF and lone CR line endings, and numbers records as Excel numbers rows', () => {
    expect(parse('a,b\nc,d\n')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(parse('a\rb\r')).toEqual([['a'], ['b']]);
    const parser = new CsvParser(',');
    const out: SheetRow[] = [];
    parser.feed('h\n"x\ny"\n\nz\n', out);
    expect(out.map((r) => r.rowNumber)).toEqual([1, 2, 3, 4]);
  });

  it('is lenient where Excel is: a quote inside an unquoted field, text after a closing quote', () => {
    expect(parse('5"3,"ab"c\n')).toEqual([['5"3', 'abc']]);
  });

  it('detects tab and semicolon separators from the first line', () => {
    expect(detectDelimiter('姓名\t身份证号\t手机\n')).toBe('\t');
    expect(detectDelimiter('姓名;身份证号;手机\n')).toBe(';');
    expect(detectDelimiter('"a;b",c\n')).toBe(',');
    expect(parse('a\tb\n', 1, '\t')).toEqual([['a', 'b']]);
  });
});

describe('CSV encodings', () => {
  const rows = rosterMatrix(3);

  it('reads UTF-8 with a BOM', async () => {
    const file = put(csvBytes(rows, { encoding: 'utf-8-bom' }));
    expect(await detectEncoding(file)).toEqual({ encoding: 'utf-8-bom', skip: 3 });
    const csv = await openCsv(file);
    expect((await all(csv.rows)).map((r) => r.cells)).toEqual(rows);
  });

  it('reads UTF-8 without a BOM', async () => {
    const csv = await openCsv(put(csvBytes(rows, { encoding: 'utf-8' })));
    expect(csv.encoding).toBe('utf-8');
    expect((await all(csv.rows)).map((r) => r.cells)).toEqual(rows);
  });

  it('reads GBK, as Chinese Excel saves CSV', async () => {
    const csv = await openCsv(put(csvBytes(rows, { encoding: 'gbk' })));
    expect(csv.encoding).toBe('gbk');
    expect((await all(csv.rows)).map((r) => r.cells)).toEqual(rows);
  });

  it('decides on the first non-ASCII bytes even when they come late', async () => {
    const ascii = Array.from({ length: 5000 }, (_, i) => [`row${i}`, String(i)]);
    const file = put(csvBytes([...ascii, ['王明', '男']], { encoding: 'gbk' }));
    expect((await detectEncoding(file)).encoding).toBe('gbk');
    const last = (await all((await openCsv(file)).rows)).at(-1)!;
    expect(last).toEqual({ rowNumber: 5001, cells: ['王明', '男'] });
  });

  it('reads UTF-16 with its byte-order mark (Excel "Unicode text", tab separated)', async () => {
    const text = '姓名\t民族\r\n王明\t汉族\r\n';
    const file = put(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf16-le')]));
    const csv = await openCsv(file);
    expect([csv.encoding, csv.delimiter]).toEqual(['utf-16le', '\t']);
    expect((await all(csv.rows)).map((r) => r.cells)).toEqual([
      ['姓名', '民族'],
      ['王明', '汉族'],
    ]);
  });

  it('streams a file larger than its read buffer, records crossing chunk boundaries', async () => {
    const big = rosterMatrix(5000);
    const csv = await openCsv(put(csvBytes(big, { encoding: 'gbk', eol: '\n' })));
    const read = await all(csv.rows);
    expect(read.length).toBe(5001);
    expect(read[4321]!.cells).toEqual(big[4321]);
  });
});

describe('xlsx cells as text', () => {
  it('shows numbers as Excel does, large ones with 15 significant digits', () => {
    expect(numberText(13912345678)).toBe('13912345678');
    // What Excel holds once an 18-digit ID or 19-digit card was typed into a General cell.
    expect(numberText(Number('610102199001011234'))).toBe('6.10102199001011E+17');
    expect(numberText(Number('6222021234567890123'))).toBe('6.22202123456789E+18');
    expect(numberText(1e15)).toBe('1E+15');
    expect(numberText(0.1 + 0.2)).toBe('0.3');
    expect(numberText(1990.01)).toBe('1990.01');
  });

  it('reads rich text, formulas, booleans, errors and dates', () => {
    expect(cellText({ richText: [{ text: '王' }, { text: '明' }] }, false)).toBe('王明');
    expect(cellText({ formula: 'A1&B1', result: '王明' } as ExcelJS.CellValue, false)).toBe('王明');
    expect(cellText(true, false)).toBe('TRUE');
    expect(cellText({ error: '#N/A' } as ExcelJS.CellValue, false)).toBe('');
    expect(cellText(new Date(Date.UTC(2020, 0, 5)), false)).toBe('2020-01-05');
    expect(cellText(new Date(Date.UTC(2020, 0, 5)), true)).toBe('2020-01-05');
  });
});

describe('xlsx reader', () => {
  it('reads the first sheet: shared strings, numbers, dates, blank rows', async () => {
    const file = tmp.file('cells.xlsx');
    const date = new Date(Date.UTC(1990, 0, 5));
    await writeXlsx(
      file,
      [
        ['姓名', '身份证号', '出生日期', '手机'],
        ['王明', Number('610102199001011234'), date, 13912345678],
        [],
        ['李华', '610113199001011235'],
      ],
      { extraSheets: { 代码表: [['不应读到']] } },
    );
    const rows = await all(readXlsxRows(file));
    expect(rows).toEqual([
      { rowNumber: 1, cells: ['姓名', '身份证号', '出生日期', '手机'] },
      { rowNumber: 2, cells: ['王明', '6.10102199001011E+17', '1990-01-05', '13912345678'] },
      { rowNumber: 4, cells: ['李华', '610113199001011235'] },
    ]);
  });

  it('reads a workbook whether the sheet comes before or after its shared strings', async () => {
    const file = tmp.file('order.xlsx');
    await writeXlsx(file, rosterMatrix(30), { extraSheets: { 说明: [['x']] } });
    const expected = await all(readXlsxRows(file));
    expect(expected.length).toBe(31);
    // Rebuild the archive with sharedStrings, styles and the workbook first: exceljs then
    // streams the sheet directly instead of parking it in a temporary file.
    const fh = await fs.promises.open(file, 'r');
    const size = (await fh.stat()).size;
    const { entries } = await readZipDirectory(fh, size);
    const bytes = fs.readFileSync(file);
    const unpacked = entries.map((e) => {
      const at =
        e.localHeaderOffset +
        30 +
        bytes.readUInt16LE(e.localHeaderOffset + 26) +
        bytes.readUInt16LE(e.localHeaderOffset + 28);
      const raw = bytes.subarray(at, at + e.compressedSize);
      return { name: e.name, data: e.method === 8 ? zlib.inflateRawSync(raw) : raw };
    });
    await fh.close();
    const rank = (name: string) => (name.includes('worksheets/sheet') ? 1 : 0);
    const reordered = tmp.file('reordered.xlsx');
    fs.writeFileSync(reordered, buildZip([...unpacked].sort((a, b) => rank(a.name) - rank(b.name))));
    expect(await all(readXlsxRows(reordered))).toEqual(expected);
  });

  it('reads many-sheet workbooks, whose last parts exceljs could miss', async () => {
    const file = tmp.file('many-sheets.xlsx');
    const extra = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`表${i}`, [['x', String(i)]]]));
    const rows = rosterMatrix(5);
    await writeXlsx(file, rows, { extraSheets: extra });
    expect((await all(readXlsxRows(file))).map((r) => r.cells)).toEqual(rows);
  });

  it('refuses a cell whose shared string was never loaded', () => {
    expect(() => cellText({ sharedString: 3 } as unknown as ExcelJS.CellValue, false)).toThrow(
      expect.objectContaining({ code: 'IMPORT_FILE_UNREADABLE' }),
    );
  });

  it('stops early, leaving nothing behind in the temporary folder', async () => {
    const file = tmp.file('early.xlsx');
    await writeXlsx(file, rosterMatrix(2000), { extraSheets: { 说明: [['x']], 代码表: [['y']] } });
    const parked = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`tmp-${process.pid}-`)).length;
    const before = parked();
    for (let round = 0; round < 3; round++) {
      let count = 0;
      for await (const row of readXlsxRows(file)) {
        if (row.rowNumber > 0 && ++count === 5) break;
      }
      expect(count).toBe(5);
    }
    // Cleanup callbacks run as the reader walks on; give the unlinks a moment.
    await new Promise((r) => setTimeout(r, 50));
    expect(parked()).toBe(before);
  });
});

/** What the import read before our own reader: exceljs's streaming reader, cell by cell. */
async function exceljsRows(file: string): Promise<SheetRow[]> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(fs.createReadStream(file), {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  const out: SheetRow[] = [];
  let first = true;
  for await (const sheet of reader) {
    if (!first) continue;
    first = false;
    for await (const row of sheet) {
      const values = row.values as ExcelJS.CellValue[];
      let last = values.length - 1;
      while (last >= 1 && (values[last] === undefined || values[last] === null)) last--;
      const cells: string[] = [];
      for (let i = 1; i <= last; i++) cells.push(cellText(values[i], false));
      out.push({ rowNumber: row.number, cells });
    }
  }
  return out;
}

interface Parts {
  sheet: string;
  sharedStrings?: string;
  styles?: string;
  date1904?: boolean;
  /** Entry order: the sheet before the shared strings unless told otherwise. */
  stringsFirst?: boolean;
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** An xlsx from hand-written parts, as other writers (Excel, WPS, scripts) lay them out. */
function partsZip(parts: Parts): ZipSpec[] {
  const rel = (id: string, type: string, target: string) =>
    `<Relationship Id="${id}" Type="${REL_NS}/${type}" Target="${target}"/>`;
  const workbook =
    `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
    `<workbookPr${parts.date1904 ? ' date1904="1"' : ''}/>` +
    '<sheets><sheet name="说明" sheetId="2" r:id="rId9"/><sheet name="名册" sheetId="1" r:id="rId1"/></sheets></workbook>';
  const rels =
    `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
    rel('rId9', 'chartsheet', 'chartsheets/sheet1.xml') +
    rel('rId1', 'worksheet', 'worksheets/sheet1.xml') +
    rel('rId2', 'worksheet', '/xl/worksheets/sheet2.xml') +
    (parts.sharedStrings ? rel('rId3', 'sharedStrings', 'sharedStrings.xml') : '') +
    (parts.styles ? rel('rId4', 'styles', 'styles.xml') : '') +
    '</Relationships>';
  const text = (name: string, data: string): ZipSpec => ({ name, data: Buffer.from(data, 'utf8') });
  const strings = parts.sharedStrings ? [text('xl/sharedStrings.xml', parts.sharedStrings)] : [];
  const sheets = [
    text('xl/worksheets/sheet1.xml', parts.sheet),
    text(
      'xl/worksheets/sheet2.xml',
      `${XML_HEAD}<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>不应读到</t></is></c></row></sheetData></worksheet>`,
    ),
  ];
  return [
    text('[Content_Types].xml', `${XML_HEAD}<Types/>`),
    text('xl/workbook.xml', workbook),
    text('xl/_rels/workbook.xml.rels', rels),
    ...(parts.styles ? [text('xl/styles.xml', parts.styles)] : []),
    ...(parts.stringsFirst ? [...strings, ...sheets] : [...sheets, ...strings]),
  ];
}

const worksheet = (rows: string) =>
  `${XML_HEAD}<x:worksheet xmlns:x="${MAIN_NS}"><x:dimension ref="A1:F9"/><x:sheetData>${rows}</x:sheetData>` +
  '<x:mergeCells count="1"><x:mergeCell ref="A1:B1"/></x:mergeCells></x:worksheet>';

const STYLES =
  `${XML_HEAD}<styleSheet xmlns="${MAIN_NS}">` +
  '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>' +
  '<numFmt numFmtId="165" formatCode="0.00&quot;元&quot;"/></numFmts>' +
  '<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>' +
  '<cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/>' +
  '<xf numFmtId="165"><alignment horizontal="left"/></xf><xf numFmtId="31"/><xf numFmtId="49"/></cellXfs>' +
  '</styleSheet>';

const SHARED =
  `${XML_HEAD}<sst xmlns="${MAIN_NS}" count="5" uniqueCount="5">` +
  '<si><t>姓名</t></si>' +
  '<si><r><rPr><b/></rPr><t>王</t></r><r><t xml:space="preserve">明 </t></r><rPh sb="0" eb="1"><t>ワン</t></rPh></si>' +
  '<si><t>A &amp; B &lt;c&gt; &quot;d&quot; &apos;e&apos; &#20013;&#x6587;</t></si>' +
  '<si><t/></si>' +
  '<si><t><![CDATA[<raw & text>]]></t></si>' +
  '</sst>';

/** Every kind of cell, as the rows Excel shows. */
const SHEET_ROWS =
  '<x:row r="1" spans="1:6"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c>' +
  '<x:c r="C1" t="s"><x:v>2</x:v></x:c><x:c r="D1" t="s"><x:v>4</x:v></x:c></x:row>' +
  // Row 2 left out by the writer: blank. Row 3: numbers, booleans, errors, a shared string that is empty.
  '<x:row r="3"><x:c r="A3"><x:v>13912345678</x:v></x:c><x:c r="B3" t="n"><x:v>610102199001011234</x:v></x:c>' +
  '<x:c r="C3"><x:v>0.30000000000000004</x:v></x:c><x:c r="D3" t="b"><x:v>1</x:v></x:c><x:c r="E3" t="b"><x:v>0</x:v></x:c>' +
  '<x:c r="F3" t="e"><x:v>#N/A</x:v></x:c><x:c r="G3" t="s"><x:v>3</x:v></x:c><x:c r="H3" s="3"/></x:row>' +
  // Dates: built-in 14, a custom 年月日 format, CJK built-in 31, a currency format (not a date), text format.
  '<x:row r="4"><x:c r="A4" s="1"><x:v>32878</x:v></x:c><x:c r="B4" s="2"><x:v>43835.5</x:v></x:c>' +
  '<x:c r="C4" s="4"><x:v>59</x:v></x:c><x:c r="D4" s="3"><x:v>12.5</x:v></x:c><x:c r="E4" s="5"><x:v>7</x:v></x:c>' +
  '<x:c r="F4" t="d"><x:v>2020-01-05T00:00:00Z</x:v></x:c></x:row>' +
  // Inline strings (rich runs joined, phonetic left out, CDATA kept), formulas with cached values.
  '<x:row r="5"><x:c r="A5" t="inlineStr"><x:is><x:r><x:t>李</x:t></x:r><x:r><x:t>华</x:t></x:r><x:rPh><x:t>リ</x:t></x:rPh></x:is></x:c>' +
  '<x:c r="B5" t="inlineStr"><x:is><x:t xml:space="preserve"> a&amp;b&#x4E2D; </x:t></x:is></x:c>' +
  '<x:c r="C5" t="str"><x:f>A5&amp;"x"</x:f><x:v>李华x</x:v></x:c><x:c r="D5"><x:f>1+1</x:f><x:v>2</x:v></x:c>' +
  '<x:c r="E5" s="1"><x:f>DATE(2020,1,5)</x:f><x:v>43835</x:v></x:c><x:c r="F5" t="b"><x:f>TRUE()</x:f><x:v>1</x:v></x:c>' +
  '<x:c r="G5"><x:f t="shared" si="0"/></x:c><x:c r="H5" t="inlineStr"><x:is><x:t><![CDATA[x<y]]></x:t></x:is></x:c></x:row>' +
  // No r attributes: rows and cells follow the ones before; a comment between cells.
  '<x:row><x:c t="s"><x:v>0</x:v></x:c><!-- a <comment> --><x:c><x:v>1</x:v></x:c><x:c r="E6"><x:v>5</x:v></x:c></x:row>' +
  '<x:row r="8"/><x:row r="9" spans="1:2"></x:row>';

const SHEET_EXPECTED: SheetRow[] = [
  { rowNumber: 1, cells: ['姓名', '王明 ', 'A & B <c> "d" \'e\' 中文', '<raw & text>'] },
  { rowNumber: 3, cells: ['13912345678', '6.10102199001011E+17', '0.3', 'TRUE', 'FALSE', ''] },
  { rowNumber: 4, cells: ['1990-01-05', '2020-01-05', '1900-02-28', '12.5', '7', '2020-01-05'] },
  { rowNumber: 5, cells: ['李华', ' a&b中 ', '李华x', '2', '2020-01-05', 'TRUE', '', 'x<y'] },
  { rowNumber: 6, cells: ['姓名', '1', '', '', '5'] },
  { rowNumber: 8, cells: [] },
  { rowNumber: 9, cells: [] },
];

const putZip = (name: string, entries: ZipSpec[]) => {
  const file = tmp.file(name);
  fs.writeFileSync(file, buildZip(entries));
  return file;
};

describe('our xlsx reader', () => {
  it('yields what exceljs yielded for a workbook exceljs writes: text, numbers, dates, rich text, formulas', async () => {
    const file = tmp.file('exceljs-workbook.xlsx');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('名册');
    sheet.addRow(['姓名', '身份证号', '出生日期', '入会日期', '手机', '备注', '公式', '合计', '错误', '是否']);
    sheet.addRow([
      '王明',
      Number('610102199001011234'),
      new Date(Date.UTC(1990, 0, 5)),
      new Date(Date.UTC(2023, 4, 1)),
      13912345678,
      { richText: [{ text: '富', font: { bold: true } }, { text: '文本 & <标记>' }] },
      { formula: 'A2&"x"', result: '王明x' },
      { formula: '1+2', result: 3 },
      { error: '#DIV/0!' },
      true,
    ]);
    sheet.addRow([]);
    sheet.addRow(['李华', '610113199001011235', null, null, 0.1 + 0.2, '', null, null, null, false]);
    sheet.getColumn(3).numFmt = 'yyyy"年"m"月"d"日"';
    sheet.getColumn(4).numFmt = 'yyyy-mm-dd';
    workbook.addWorksheet('代码表').addRow(['不应读到']);
    await workbook.xlsx.writeFile(file);
    const ours = await all(readXlsxRows(file));
    expect(ours).toEqual(await exceljsRows(file));
    expect(ours[1]!.cells.slice(0, 7)).toEqual([
      '王明',
      '6.10102199001011E+17',
      '1990-01-05',
      '2023-05-01',
      '13912345678',
      '富文本 & <标记>',
      '王明x',
    ]);
  });

  it('yields what exceljs yielded for files its streaming writer makes, shared strings after the sheet or none', async () => {
    for (const useSharedStrings of [true, false]) {
      const file = tmp.file(`exceljs-stream-${useSharedStrings}.xlsx`);
      const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings, useStyles: true });
      const sheet = writer.addWorksheet('名册');
      const matrix = rosterMatrix(300);
      matrix.forEach((cells, i) => {
        const row = sheet.addRow([...cells, i, i % 7 === 0 ? new Date(Date.UTC(2000, 0, 1 + i)) : null]);
        row.getCell(cells.length + 2).numFmt = 'yyyy-mm-dd';
        row.commit();
      });
      sheet.commit();
      await writer.commit();
      const ours = await all(readXlsxRows(file));
      expect(ours.length).toBe(301);
      expect(ours.map((r) => r.cells.slice(0, matrix[0]!.length))).toEqual(matrix);
      expect(ours).toEqual(await exceljsRows(file));
    }
  });

  it('reads every kind of cell as Excel shows it: types, styles, entities, inline and rich text, missing r', async () => {
    const file = putZip(
      'parts.xlsx',
      partsZip({ sheet: worksheet(SHEET_ROWS), sharedStrings: SHARED, styles: STYLES }),
    );
    expect(await all(readXlsxRows(file))).toEqual(SHEET_EXPECTED);
    // The same with the whole shared-string table written out to a temporary file.
    expect(await all(readXlsxRows(file, { strings: { memoryBytes: 0 } }))).toEqual(SHEET_EXPECTED);
  });

  it('reads shared strings stored after the sheet or before it alike (exceljs refused the one or the other)', async () => {
    for (const stringsFirst of [false, true]) {
      const file = putZip(
        `order-${stringsFirst}.xlsx`,
        partsZip({ sheet: worksheet(SHEET_ROWS), sharedStrings: SHARED, styles: STYLES, stringsFirst }),
      );
      expect(await all(readXlsxRows(file))).toEqual(SHEET_EXPECTED);
    }
  });

  it('leaves a failed system call as it is: the server’s trouble, not an unreadable file', async () => {
    // A folder where the file should be: opening works, reading fails with EISDIR.
    const err = await all(readXlsxRows(tmp.dir)).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(AppError);
    expect((err as NodeJS.ErrnoException).code).toBe('EISDIR');
  });

  it('reads dates of the 1904 date system', async () => {
    const sheet = worksheet(
      '<x:row r="1"><x:c r="A1" s="1"><x:v>31416</x:v></x:c><x:c r="B1"><x:v>31416</x:v></x:c></x:row>',
    );
    const file = putZip('1904.xlsx', partsZip({ sheet, styles: STYLES, date1904: true }));
    expect(await all(readXlsxRows(file))).toEqual([{ rowNumber: 1, cells: ['1990-01-05', '31416'] }]);
  });

  it('gives the same rows and strings however the XML is cut into chunks', () => {
    const sheetXml = Buffer.from(worksheet(SHEET_ROWS), 'utf8');
    const sharedXml = Buffer.from(SHARED, 'utf8');
    const parse = (size: number) => {
      const strings = new SharedStringsParser();
      for (let i = 0; i < sharedXml.length; i += size) strings.feed(sharedXml.subarray(i, i + size));
      expect(strings.incomplete).toBe(false);
      const parser = new SheetParser({
        strings: strings.strings,
        dateStyles: Uint8Array.from([0, 1, 1, 0, 1, 0]),
        date1904: false,
      });
      const rows: SheetRow[] = [];
      for (let i = 0; i < sheetXml.length; i += size) {
        parser.feed(sheetXml.subarray(i, i + size));
        rows.push(...parser.rows);
        parser.rows.length = 0;
      }
      parser.end();
      return rows;
    };
    for (const size of [1, 2, 3, 5, 7, 11, 64, sheetXml.length]) expect(parse(size)).toEqual(SHEET_EXPECTED);
  });

  it('stores shared strings as bytes and decodes them on demand', () => {
    const strings = new SharedStrings();
    const words = ['', '王明', 'a', '𠀀x', '汉族'];
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(words[i % words.length]!, 'utf8');
      strings.push(b, 0, b.length);
    }
    expect(strings.size).toBe(5000);
    // 4099 and 3 share a cache slot: each still gets its own string.
    expect([0, 1, 3, 4999, 4096 + 3].map((i) => strings.get(i))).toEqual(['', '王明', '𠀀x', '汉族', '汉族']);
    expect(strings.get(5000)).toBeUndefined();
    expect(strings.get(-1)).toBeUndefined();
  });

  it.each([
    ['in memory', 64 * 1024 * 1024],
    ['written to a temporary file', 0],
  ])('keeps shared strings whole across its 64 KiB blocks, a string longer than a block too (%s)', (_, memoryBytes) => {
    const strings = new SharedStrings({ memoryBytes });
    const make = (i: number) => (i === 70_000 ? '长'.repeat(400_000) : `${i}-${'身份证号码'.repeat(i % 7)}`);
    // ~1.7 MB of short strings and one of 1.2 MB: many blocks, and more than one offset page.
    for (let i = 0; i < 140_000; i++) {
      const b = Buffer.from(make(i), 'utf8');
      strings.push(b, 0, b.length);
    }
    expect(strings.spilled).toBe(memoryBytes === 0);
    for (let i = 0; i < 140_000; i += 997) expect(strings.get(i)).toBe(make(i));
    for (const i of [65_535, 65_536, 69_999, 70_000, 70_001, 139_999]) expect(strings.get(i)).toBe(make(i));
    // Back and forth across more blocks than the block cache holds.
    for (let k = 0; k < 2_000; k++) {
      const i = (k * 7_919) % 140_000;
      expect(strings.get(i)).toBe(make(i));
    }
    strings.close();
  });

  it('writes the table to an unlinked temporary file only past its memory share', () => {
    const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('zhgh-strings-'));
    const strings = new SharedStrings({ memoryBytes: 200_000 });
    const make = (i: number) => `6101131990010${String(i).padStart(5, '0')}`;
    for (let i = 0; i < 5_000; i++) strings.push(Buffer.from(make(i)), 0, 18);
    expect(strings.spilled).toBe(false);
    for (let i = 5_000; i < 50_000; i++) strings.push(Buffer.from(make(i)), 0, 18);
    expect(strings.spilled).toBe(true);
    // Nothing to clean up if the thread is stopped now: the file has no name left.
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('zhgh-strings-'))).toEqual(before);
    expect([0, 4_999, 25_000, 49_999].map((i) => strings.get(i))).toEqual([0, 4_999, 25_000, 49_999].map(make));
    strings.close();
  });

  it('reads a ZIP64 archive', async () => {
    const file = tmp.file('zip64.xlsx');
    fs.writeFileSync(file, zip64(partsZip({ sheet: worksheet(SHEET_ROWS), sharedStrings: SHARED, styles: STYLES })));
    expect(await all(readXlsxRows(file))).toEqual(SHEET_EXPECTED);
  });

  it('refuses truncated and damaged files as unreadable, never crashing or hanging', async () => {
    const good = buildZip(partsZip({ sheet: worksheet(SHEET_ROWS.repeat(1)), sharedStrings: SHARED, styles: STYLES }));
    const codes = new Set<string>();
    const attempt = async (bytes: Buffer) => {
      const file = tmp.file('damaged.xlsx');
      fs.writeFileSync(file, bytes);
      try {
        return await all(readXlsxRows(file));
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        codes.add((err as AppError).code);
        return 'refused';
      }
    };
    for (let cut = 0; cut < good.length; cut += Math.ceil(good.length / 23)) {
      expect(await attempt(good.subarray(0, cut))).toBe('refused');
    }
    // A byte changed anywhere: the rows as they were (a field nobody reads) or a refusal.
    for (let at = 0; at < good.length; at += 7) {
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x5a;
      const result = await attempt(bad);
      if (result !== 'refused') expect([at, result]).toEqual([at, SHEET_EXPECTED]);
    }
    expect([...codes].every((c) => c === 'IMPORT_FILE_UNREADABLE' || c === 'IMPORT_ZIP_BOMB')).toBe(true);
    expect(codes.has('IMPORT_FILE_UNREADABLE')).toBe(true);
  });

  it('refuses malformed sheet XML: cut short, a DTD, an endless tag', async () => {
    const cases = [
      worksheet(SHEET_ROWS).slice(0, 400),
      `${XML_HEAD}<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>&a;</t></is></c></row></sheetData></worksheet>`,
      `<worksheet><sheetData><row r="1"><c r="A1" t="${crypto.randomBytes(1536 * 1024).toString('base64')}`,
      worksheet('<x:row r="1"><x:c r="ALM1"><x:v>1</x:v></x:c></x:row>'),
    ];
    for (const [i, sheet] of cases.entries()) {
      const file = putZip(`malformed-${i}.xlsx`, partsZip({ sheet }));
      await expect(all(readXlsxRows(file))).rejects.toMatchObject({ code: 'IMPORT_FILE_UNREADABLE' });
    }
  });

  it('holds the zip-bomb limits while inflating, whatever the directory declared', async () => {
    const entries = partsZip({ sheet: worksheet(SHEET_ROWS), sharedStrings: SHARED, styles: STYLES });
    const sheet = entries.find((e) => e.name === 'xl/worksheets/sheet1.xml')!;
    sheet.declaredSize = 100;
    await expect(all(readXlsxRows(putZip('lying.xlsx', entries)))).rejects.toMatchObject({ code: 'IMPORT_ZIP_BOMB' });
    const honest = putZip('honest.xlsx', partsZip({ sheet: worksheet(SHEET_ROWS), sharedStrings: SHARED }));
    const limits = { ...DEFAULT_ZIP_LIMITS, maxUnzippedBytes: 2000 };
    await expect(all(readXlsxRows(honest, { zip: limits }))).rejects.toMatchObject({ code: 'IMPORT_ZIP_BOMB' });
  });
});

/**
 * The same archive in ZIP64 form: the directory's sizes and offsets saturated and given in
 * ZIP64 extra fields, and the end record found through the ZIP64 locator.
 */
function zip64(entries: ZipSpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const data = e.data!;
    const payload = zlib.deflateRawSync(data);
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(payload.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, payload);
    const extra = Buffer.alloc(28);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(24, 2);
    extra.writeBigUInt64LE(BigInt(data.length), 4);
    extra.writeBigUInt64LE(BigInt(payload.length), 12);
    extra.writeBigUInt64LE(BigInt(offset), 20);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(45, 4);
    central.writeUInt16LE(45, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(0xffffffff, 20);
    central.writeUInt32LE(0xffffffff, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(0xffffffff, 42);
    centrals.push(central, name, extra);
    offset += 30 + name.length + payload.length;
  }
  const cd = Buffer.concat(centrals);
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(entries.length), 24);
  record.writeBigUInt64LE(BigInt(entries.length), 32);
  record.writeBigUInt64LE(BigInt(cd.length), 40);
  record.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + cd.length), 8);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(0xffffffff, 12);
  end.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([...locals, cd, record, locator, end]);
}
