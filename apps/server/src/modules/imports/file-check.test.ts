import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildZip, csvBytes, deflatedZeros, rosterMatrix, tempDir, writeXlsx } from '../../../test/import-files.ts';
import { AppError } from '../../core/app-error.ts';
import { checkImportFile, DEFAULT_ZIP_LIMITS, sniffBytes, type ZipLimits } from './file-check.ts';

const tmp = tempDir();
afterAll(() => tmp.remove());

const MB = 1024 * 1024;
let n = 0;
function put(bytes: Buffer): string {
  const file = tmp.file(`f${++n}`);
  fs.writeFileSync(file, bytes);
  return file;
}

async function codeOf(file: string, limits: Partial<ZipLimits> = {}, maxBytes = 100 * MB): Promise<string> {
  try {
    await checkImportFile(file, { maxBytes, zip: { ...DEFAULT_ZIP_LIMITS, ...limits } });
    return 'ok';
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
}

const WORKBOOK = { name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') };

describe('sniffing by magic bytes', () => {
  it('tells ZIP, OLE (xls), UTF-16 text, text and binary apart', () => {
    expect(sniffBytes(Buffer.from('PK\x03\x04rest', 'latin1'))).toBe('zip');
    expect(sniffBytes(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]))).toBe('cfb');
    expect(sniffBytes(Buffer.from([0xff, 0xfe, 0x53, 0x59, 0, 0]))).toBe('text');
    expect(sniffBytes(Buffer.from('姓名,身份证号\r\n王明,610113\r\n'))).toBe('text');
    expect(sniffBytes(csvBytes([['姓名', '民族']], { encoding: 'gbk' }))).toBe('text');
    expect(sniffBytes(Buffer.from([0x41, 0x42, 0x00, 0x43]))).toBe('binary');
    expect(sniffBytes(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 0x41]))).toBe('binary');
  });
});

describe('checkImportFile', () => {
  it('accepts an xlsx by its content, whatever its name, and lists its entries', async () => {
    const file = tmp.file('roster.csv');
    await writeXlsx(file, rosterMatrix(3));
    const check = await checkImportFile(file, { maxBytes: 100 * MB });
    expect(check.kind).toBe('xlsx');
    expect(check.entries!.map((e) => e.name)).toContain('xl/workbook.xml');
  });

  it('takes text as CSV', async () => {
    const check = await checkImportFile(put(csvBytes(rosterMatrix(2), { encoding: 'gbk' })), { maxBytes: MB });
    expect(check).toEqual({ kind: 'csv', size: expect.any(Number) });
  });

  it('refuses an empty file, a file over the limit, an .xls, and binary junk, each with its own code', async () => {
    expect(await codeOf(put(Buffer.alloc(0)))).toBe('IMPORT_FILE_EMPTY');
    expect(await codeOf(put(Buffer.alloc(4096, 0x41)), {}, 1024)).toBe('FILE_TOO_LARGE');
    const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);
    expect(await codeOf(put(xls))).toBe('IMPORT_XLS_NOT_SUPPORTED');
    const png = Buffer.concat([
      Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
      Buffer.from([0, 0, 0, 13]),
      Buffer.alloc(100),
    ]);
    expect(await codeOf(put(png))).toBe('IMPORT_FILE_TYPE');
  });

  it('refuses a ZIP that is not a workbook', async () => {
    expect(await codeOf(put(buildZip([{ name: 'word/document.xml', data: Buffer.from('<w/>') }])))).toBe(
      'IMPORT_FILE_TYPE',
    );
  });

  it('refuses a zip bomb (a deflated run of zeros) from its directory, before inflating anything', async () => {
    const zeros = deflatedZeros(200);
    expect(zeros.bytes.length).toBeLessThan(MB);
    const file = put(buildZip([WORKBOOK, { name: 'xl/worksheets/sheet1.xml', deflated: zeros }]));
    const started = performance.now();
    expect(await codeOf(file)).toBe('IMPORT_ZIP_BOMB');
    // Inflating 200 MB would take far longer than reading a directory.
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('refuses more unpacked bytes in total than the limit, even at modest ratios', async () => {
    const zeros = deflatedZeros(8);
    const file = put(buildZip([WORKBOOK, { name: 'xl/worksheets/sheet1.xml', deflated: zeros }]));
    expect(await codeOf(file, { maxRatio: 1_000_000, maxUnzippedBytes: 4 * MB })).toBe('IMPORT_ZIP_BOMB');
    expect(await codeOf(file, { maxRatio: 1_000_000 })).toBe('ok');
  });

  it('refuses too many entries', async () => {
    const entries = Array.from({ length: 30 }, (_, i) => ({ name: `xl/media/${i}.txt`, data: Buffer.from('x') }));
    const file = put(buildZip([WORKBOOK, ...entries]));
    expect(await codeOf(file, { maxEntries: 20 })).toBe('IMPORT_ZIP_BOMB');
    expect(await codeOf(file, { maxEntries: 40 })).toBe('ok');
  });

  it('catches a directory that understates what an entry inflates to', async () => {
    const zeros = deflatedZeros(30);
    // Declared 2 MB from ~30 KB: a ratio the directory check lets through …
    const file = put(buildZip([WORKBOOK, { name: 'xl/worksheets/sheet1.xml', deflated: zeros, declaredSize: 2 * MB }]));
    // … but inflating stops at 2 MB and names the lie.
    expect(await codeOf(file, { maxRatio: 1_000 })).toBe('IMPORT_ZIP_BOMB');
  });

  it('refuses entries that share their bytes (the overlapping-file bomb)', async () => {
    const zip = buildZip([WORKBOOK, { name: 'xl/a.xml', data: Buffer.from('<a/>') }]);
    // Point the second directory entry at the first local header.
    const cdAt = zip.readUInt32LE(zip.length - 22 + 16);
    const secondCentral = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), cdAt + 46);
    zip.writeUInt32LE(0, secondCentral + 42);
    expect(await codeOf(put(zip))).toMatch(/IMPORT_ZIP_BOMB|IMPORT_FILE_UNREADABLE/);
  });

  it('refuses a truncated workbook as unreadable', async () => {
    const file = tmp.file('whole.xlsx');
    await writeXlsx(file, rosterMatrix(50));
    const bytes = fs.readFileSync(file);
    expect(await codeOf(put(bytes.subarray(0, Math.floor(bytes.length / 2))))).toBe('IMPORT_FILE_UNREADABLE');
  });
});
