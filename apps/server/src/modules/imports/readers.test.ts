import fs from 'node:fs';
import os from 'node:os';
import zlib from 'node:zlib';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { buildZip, csvBytes, rosterMatrix, tempDir, writeXlsx } from '../../../test/import-files.ts';
import { CsvParser, detectDelimiter, detectEncoding, openCsv } from './csv-reader.ts';
import { readZipDirectory } from './file-check.ts';
import type { SheetRow } from './sheet-row.ts';
import { cellText, numberText, readXlsxRows } from './xlsx-reader.ts';

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
  it('reads the first sheet through exceljs streaming: shared strings, numbers, dates, blank rows', async () => {
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

  it('reads many-sheet workbooks correctly or refuses them, never as blank cells', async () => {
    // exceljs 4.4's streaming unzip may stop before the archive's last entries with many
    // sheets (issues #2790, #3064): shared strings and the workbook entry then never arrive.
    const file = tmp.file('many-sheets.xlsx');
    const extra = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`表${i}`, [['x', String(i)]]]));
    const rows = rosterMatrix(5);
    await writeXlsx(file, rows, { extraSheets: extra });
    for (let round = 0; round < 3; round++) {
      try {
        expect((await all(readXlsxRows(file))).map((r) => r.cells)).toEqual(rows);
      } catch (err) {
        expect(err).toMatchObject({ code: 'IMPORT_FILE_UNREADABLE' });
      }
    }
    // Unread parked sheets are let go; a late ENOENT of theirs would fail this file.
    await new Promise((r) => setTimeout(r, 100));
  });

  it('refuses a cell whose shared string was never loaded', () => {
    expect(() => cellText({ sharedString: 3 } as unknown as ExcelJS.CellValue, false)).toThrow(
      expect.objectContaining({ code: 'IMPORT_FILE_UNREADABLE' }),
    );
  });

  it('stops early without leaving parked sheets behind in the temporary folder', async () => {
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
