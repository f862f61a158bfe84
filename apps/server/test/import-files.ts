import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { idNumberCheckChar, ROSTER_FIELDS, type RosterField } from '@zhgh/contracts';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { templateHeader } from '../src/modules/imports/template.ts';

/**
 * Roster files for import tests, generated on the spot (no fixture files in the repository):
 * valid people, xlsx through exceljs, CSV in UTF-8 (with or without BOM) or GBK, and ZIP
 * archives built byte by byte, zip bombs included.
 */

export function tempDir(): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-import-test-'));
  return { dir, file: (name) => path.join(dir, name), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A valid 18-character ID number: Yanta district, the given birth day, a sequence number. */
export function makeIdNumber(birth: string, seq: number, region = '610113'): string {
  const first17 = `${region}${birth.replaceAll('-', '')}${String(seq % 1000).padStart(3, '0')}`;
  return first17 + idNumberCheckChar(first17);
}

/** A Luhn-valid 19-digit card number. */
export function makeBankCard(seed: number): string {
  const body = `622202${String(seed).padStart(12, '0')}`;
  for (let d = 0; d <= 9; d++) {
    const candidate = body + d;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let v = Number(candidate[candidate.length - 1 - i]);
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英';

/** Row i of a valid roster, as the template's columns in order. */
export function validRosterRow(i: number): Record<RosterField, string> {
  const year = 1970 + (i % 30);
  const month = String(1 + (i % 12)).padStart(2, '0');
  const day = String(1 + (i % 28)).padStart(2, '0');
  const birth = `${year}-${month}-${day}`;
  const idNumber = makeIdNumber(birth, i);
  const male = Number(idNumber[16]) % 2 === 1;
  const newForm = i % 5 === 0;
  return {
    name: SURNAMES[i % SURNAMES.length]! + GIVEN[(i * 7) % GIVEN.length]! + GIVEN[(i * 3) % GIVEN.length]!,
    idNumber,
    gender: male ? '男' : '女',
    birthDate: birth,
    ethnicity: i % 7 === 0 ? '回族' : '汉族',
    politicalStatus: i % 3 === 0 ? '中共党员' : '群众',
    education: '本科',
    householdType: i % 2 === 0 ? '城镇户口' : '农村户口',
    householdRegion: '610113',
    phone: `139${String(10_000_000 + i).padStart(8, '0')}`,
    workUnitName: '西安测试科技有限公司',
    employmentType: newForm ? '新就业形态劳动者' : '固定职工',
    newFormGroup: newForm ? '外卖送餐员' : '',
    joinDate: '2024-03-01',
    memberNumber: `M${String(i).padStart(8, '0')}`,
    cardNumber: '',
    bankCard: makeBankCard(i),
  };
}

export const TEMPLATE_HEADERS = ROSTER_FIELDS.map(templateHeader);

export function rosterMatrix(count: number, edit?: (row: Record<RosterField, string>, i: number) => void): string[][] {
  const rows: string[][] = [TEMPLATE_HEADERS];
  for (let i = 0; i < count; i++) {
    const r = validRosterRow(i);
    edit?.(r, i);
    rows.push(ROSTER_FIELDS.map((f) => r[f]));
  }
  return rows;
}

type XlsxCell = string | number | Date | null;

/** An xlsx through exceljs; string cells are written as text, numbers as numbers. */
export async function writeXlsx(
  file: string,
  rows: XlsxCell[][],
  options: { sheetName?: string; extraSheets?: Record<string, XlsxCell[][]>; numFmt?: Record<number, string> } = {},
): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(options.sheetName ?? 'Sheet1');
  rows.forEach((r, i) => {
    const row = sheet.getRow(i + 1);
    r.forEach((v, j) => {
      if (v === null) return;
      const cell = row.getCell(j + 1);
      cell.value = v;
      const fmt = options.numFmt?.[j];
      if (fmt && i > 0) cell.numFmt = fmt;
    });
    row.commit();
  });
  for (const [name, extra] of Object.entries(options.extraSheets ?? {})) workbook.addWorksheet(name).addRows(extra);
  await workbook.xlsx.writeFile(file);
}

function csvField(v: string, sep: string): string {
  return /["\r\n]/.test(v) || v.includes(sep) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** CSV text of rows, RFC 4180 quoting, in the given encoding and line ending. */
export function csvBytes(
  rows: string[][],
  options: { encoding?: 'utf-8' | 'utf-8-bom' | 'gbk'; eol?: string; sep?: string } = {},
): Buffer {
  const sep = options.sep ?? ',';
  const textOut =
    rows.map((r) => r.map((v) => csvField(v, sep)).join(sep)).join(options.eol ?? '\r\n') + (options.eol ?? '\r\n');
  if (options.encoding === 'gbk') return iconv.encode(textOut, 'gbk');
  const bytes = Buffer.from(textOut, 'utf8');
  return options.encoding === 'utf-8-bom' ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) : bytes;
}

export interface ZipSpec {
  name: string;
  /** The bytes to store (deflated unless `stored`). */
  data?: Buffer;
  /** Already-deflated bytes and their true size: for entries too big to build in memory. */
  deflated?: { bytes: Buffer; size: number; crc: number };
  stored?: boolean;
  /** Lie in the central directory about the unpacked size. */
  declaredSize?: number;
}

/** A ZIP archive byte by byte: local headers, data, central directory, end record. */
export function buildZip(entries: ZipSpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    let payload: Buffer;
    let size: number;
    let crc: number;
    if (e.deflated) {
      payload = e.deflated.bytes;
      size = e.deflated.size;
      crc = e.deflated.crc;
    } else {
      const data = e.data ?? Buffer.alloc(0);
      payload = e.stored ? data : zlib.deflateRawSync(data);
      size = data.length;
      crc = zlib.crc32(data);
    }
    const method = e.stored ? 0 : 8;
    const declared = e.declaredSize ?? size;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(payload.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, payload);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(payload.length, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + payload.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/**
 * `megabytes` of zeros as one raw deflate stream, made a megabyte at a time (never held
 * whole): flushed non-final pieces, then an empty final block.
 */
export function deflatedZeros(megabytes: number): { bytes: Buffer; size: number; crc: number } {
  const chunk = Buffer.alloc(1024 * 1024);
  const parts: Buffer[] = [];
  let crc = 0;
  for (let i = 0; i < megabytes; i++) {
    crc = zlib.crc32(chunk, crc);
    parts.push(zlib.deflateRawSync(chunk, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  }
  parts.push(zlib.deflateRawSync(Buffer.alloc(0)));
  return { bytes: Buffer.concat(parts), size: megabytes * chunk.length, crc };
}
