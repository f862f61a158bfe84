import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { AppError } from '../../core/app-error.ts';

/**
 * What an uploaded roster is, judged by its bytes and never by its name, and whether it is
 * safe to open. An xlsx is a ZIP archive: before anything unpacks it, its central directory
 * is read here and the sizes it declares are held to limits (a few KB of deflated zeros can
 * claim gigabytes). The declared sizes are then proven by inflating each entry once while
 * counting, so a directory that lies is caught before the spreadsheet reader trusts it.
 */

export type FileKind = 'xlsx' | 'csv';

export interface ZipLimits {
  /** Total the entries may unpack to. */
  maxUnzippedBytes: number;
  /** Largest unpacked ÷ packed size of one entry … */
  maxRatio: number;
  /** … for entries that unpack to more than this (tiny files compress as they like). */
  ratioFloorBytes: number;
  /** An xlsx has a few dozen entries; thousands are an attack on the directory reader. */
  maxEntries: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxUnzippedBytes: 2 * 1024 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 1024 * 1024,
  maxEntries: 1_000,
};

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface FileCheck {
  kind: FileKind;
  size: number;
  /** For xlsx: the archive's entries as its central directory lists them. */
  entries?: ZipEntry[];
}

/** The first KB decides the kind. */
const SNIFF_BYTES = 1024;

export type Sniffed = 'zip' | 'cfb' | 'text' | 'binary';

/**
 * By magic bytes: ZIP (`PK\x03\x04`; xlsx), OLE compound file (`D0 CF 11 E0`; legacy .xls,
 * and also any password-protected xlsx), text with a UTF-16 byte-order mark, and otherwise text
 * unless the head holds NUL bytes or mostly control characters (binary junk).
 */
export function sniffBytes(head: Uint8Array): Sniffed {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return 'zip';
  if (starts(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)) return 'cfb';
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) return 'text';
  let control = 0;
  for (const b of head) {
    if (b === 0) return 'binary';
    // Tab, line feed, carriage return and form feed are text; other C0 bytes are not.
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
  }
  return control > head.length / 100 ? 'binary' : 'text';
}

/** Check an uploaded file end to end; throws the AppError that names what is wrong. */
export async function checkImportFile(
  path: string,
  options: { maxBytes: number; zip?: ZipLimits },
): Promise<FileCheck> {
  const limits = options.zip ?? DEFAULT_ZIP_LIMITS;
  const fh = await fs.promises.open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size === 0) throw new AppError('IMPORT_FILE_EMPTY');
    if (size > options.maxBytes) throw new AppError('FILE_TOO_LARGE', undefined, `${size} > ${options.maxBytes}`);
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
    await fh.read(head, 0, head.length, 0);
    switch (sniffBytes(head)) {
      case 'cfb':
        throw new AppError('IMPORT_XLS_NOT_SUPPORTED');
      case 'binary':
        throw new AppError('IMPORT_FILE_TYPE', undefined, 'binary content');
      case 'text':
        return { kind: 'csv', size };
      case 'zip': {
        const { entries, directoryOffset } = await readZipDirectory(fh, size, limits);
        checkZipEntries(entries, size, limits);
        if (!entries.some((e) => e.name === 'xl/workbook.xml')) {
          throw new AppError('IMPORT_FILE_TYPE', undefined, 'a ZIP archive without xl/workbook.xml');
        }
        await checkLocalLayout(fh, entries, size, directoryOffset);
        await proveSizes(path, fh, size, entries, limits);
        return { kind: 'xlsx', size, entries };
      }
    }
  } finally {
    await fh.close();
  }
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX_COMMENT = 0xffff;

const unreadable = (detail: string) => new AppError('IMPORT_FILE_UNREADABLE', undefined, detail);
const bomb = (detail: string) => new AppError('IMPORT_ZIP_BOMB', undefined, detail);

async function readAt(fh: fs.promises.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw unreadable('truncated archive');
  return buf;
}

/**
 * The central directory: found through the end-of-central-directory record at the end of
 * the file (and its ZIP64 form for large archives), then one header per entry.
 */
export async function readZipDirectory(
  fh: fs.promises.FileHandle,
  size: number,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<{ entries: ZipEntry[]; directoryOffset: number }> {
  if (size < 22) throw unreadable('too small for a ZIP archive');
  const tailLength = Math.min(size, 22 + MAX_COMMENT);
  const tailStart = size - tailLength;
  const tail = await readAt(fh, tailStart, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG && tail.readUInt16LE(i + 20) === tail.length - i - 22) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw unreadable('no end-of-central-directory record');
  let total = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (total === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locatorAt = tailStart + eocd - 20;
    if (locatorAt < 0) throw unreadable('ZIP64 locator missing');
    const locator = await readAt(fh, locatorAt, 20);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIG) throw unreadable('ZIP64 locator missing');
    const recordAt = Number(locator.readBigUInt64LE(8));
    if (recordAt + 56 > size) throw unreadable('ZIP64 record outside the file');
    const record = await readAt(fh, recordAt, 56);
    if (record.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw unreadable('bad ZIP64 record');
    total = Number(record.readBigUInt64LE(32));
    cdSize = Number(record.readBigUInt64LE(40));
    cdOffset = Number(record.readBigUInt64LE(48));
  }
  if (total > limits.maxEntries) throw bomb(`${total} entries`);
  if (cdOffset + cdSize > size) throw unreadable('central directory outside the file');
  const cd = await readAt(fh, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  while (p < cd.length) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) throw unreadable('bad central directory header');
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    let compressedSize = cd.readUInt32LE(p + 20);
    let uncompressedSize = cd.readUInt32LE(p + 24);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > cd.length) throw unreadable('central directory header overruns');
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
    // ZIP64 extended information: the 64-bit values, in this order, for the saturated fields.
    let x = p + 46 + nameLength;
    const extraEnd = x + extraLength;
    while (x + 4 <= extraEnd) {
      const id = cd.readUInt16LE(x);
      const length = cd.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        const next = () => {
          if (q + 8 > x + 4 + length) throw unreadable('short ZIP64 extra field');
          const v = Number(cd.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      x += 4 + length;
    }
    entries.push({ name, method, flags, compressedSize, uncompressedSize, localHeaderOffset });
    if (entries.length > limits.maxEntries) throw bomb(`more than ${limits.maxEntries} entries`);
    p = end;
  }
  if (entries.length !== total) throw unreadable(`directory lists ${entries.length} of ${total} entries`);
  return { entries, directoryOffset: cdOffset };
}

/** The declared sizes against the limits, before a single byte is inflated. */
export function checkZipEntries(entries: readonly ZipEntry[], fileSize: number, limits: ZipLimits): void {
  let unzipped = 0;
  let packed = 0;
  for (const e of entries) {
    if (e.flags & 0x0001) throw unreadable(`encrypted entry ${e.name}`);
    if (e.method !== 0 && e.method !== 8) throw unreadable(`compression method ${e.method} in ${e.name}`);
    if (e.method === 0 && e.compressedSize !== e.uncompressedSize) throw unreadable(`stored entry ${e.name} resizes`);
    unzipped += e.uncompressedSize;
    packed += e.compressedSize;
    if (e.uncompressedSize > limits.ratioFloorBytes) {
      const ratio = e.compressedSize === 0 ? Infinity : e.uncompressedSize / e.compressedSize;
      if (ratio > limits.maxRatio) throw bomb(`${e.name} expands ${Math.round(ratio)}:1`);
    }
  }
  if (unzipped > limits.maxUnzippedBytes) throw bomb(`${unzipped} bytes unpacked`);
  // Entries sharing their data (the overlapping-file bomb) claim more than the file holds.
  if (packed > fileSize) throw bomb('entries overlap');
}

/**
 * The local entries must tile the file in directory order, with nothing hidden between them:
 * a streaming reader walks local headers, not the directory, and must meet exactly what the
 * directory declared.
 */
async function checkLocalLayout(
  fh: fs.promises.FileHandle,
  entries: readonly ZipEntry[],
  size: number,
  directoryOffset: number,
) {
  const sorted = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  let expected = 0;
  for (const e of sorted) {
    // Entries sharing bytes are the overlapping-file bomb; bytes between entries hide data.
    if (e.localHeaderOffset < expected) throw bomb(`${e.name} overlaps the entry before it`);
    if (e.localHeaderOffset > expected) throw unreadable(`unlisted bytes before ${e.name}`);
    const { dataStart } = await localData(fh, e, size);
    let next = dataStart + e.compressedSize;
    if (e.flags & 0x0008) {
      // A data descriptor follows: 12–24 bytes, with or without its signature.
      const peek = await readAt(fh, next, Math.min(24, size - next));
      const signed = peek.length >= 4 && peek.readUInt32LE(0) === 0x08074b50 ? 4 : 0;
      const zip64 = e.compressedSize >= 0xffffffff || e.uncompressedSize >= 0xffffffff;
      next += signed + 4 + (zip64 ? 16 : 8);
    }
    expected = next;
  }
  if (expected !== directoryOffset) throw unreadable('unlisted bytes before the central directory');
}

async function localData(fh: fs.promises.FileHandle, e: ZipEntry, size: number) {
  if (e.localHeaderOffset + 30 > size) throw unreadable(`local header of ${e.name} outside the file`);
  const header = await readAt(fh, e.localHeaderOffset, 30);
  if (header.readUInt32LE(0) !== LOCAL_SIG) throw unreadable(`bad local header of ${e.name}`);
  const nameLength = header.readUInt16LE(26);
  const extraLength = header.readUInt16LE(28);
  const name = (await readAt(fh, e.localHeaderOffset + 30, nameLength)).toString('utf8');
  if (name !== e.name) throw unreadable(`local name ${name} differs from ${e.name}`);
  const flags = header.readUInt16LE(6);
  const localCompressed = header.readUInt32LE(18);
  // Without a data descriptor the local sizes are what a streaming reader believes.
  if (!(flags & 0x0008) && localCompressed !== 0xffffffff && localCompressed !== e.compressedSize) {
    throw unreadable(`local size of ${e.name} differs from the directory`);
  }
  const dataStart = e.localHeaderOffset + 30 + nameLength + extraLength;
  if (dataStart + e.compressedSize > size) throw unreadable(`data of ${e.name} outside the file`);
  return { dataStart };
}

/**
 * Inflate every deflated entry once, counting and discarding the output, and stop the moment
 * one yields more than its directory entry declared: the declared sizes checked above are
 * then the real ones. Memory stays at zlib's window; a lying entry costs at most its claim.
 */
async function proveSizes(
  path: string,
  fh: fs.promises.FileHandle,
  size: number,
  entries: readonly ZipEntry[],
  limits: ZipLimits,
) {
  for (const e of entries) {
    if (e.method !== 8 || e.compressedSize === 0) continue;
    const { dataStart } = await localData(fh, e, size);
    let produced = 0;
    const counter = new Writable({
      write(chunk: Buffer, _enc, cb) {
        produced += chunk.length;
        if (produced > e.uncompressedSize || produced > limits.maxUnzippedBytes) {
          cb(bomb(`${e.name} inflates beyond its declared ${e.uncompressedSize} bytes`));
        } else cb();
      },
    });
    try {
      await pipeline(
        fs.createReadStream(path, { start: dataStart, end: dataStart + e.compressedSize - 1 }),
        zlib.createInflateRaw(),
        counter,
      );
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw unreadable(`${e.name}: ${(err as Error).message}`);
    }
    if (produced !== e.uncompressedSize)
      throw unreadable(`${e.name} inflates to ${produced}, not ${e.uncompressedSize}`);
  }
}
