import fs from 'node:fs';
import zlib from 'node:zlib';
import { AppError } from '../../core/app-error.ts';
import { checkZipEntries, readZipDirectory, type ZipEntry, type ZipLimits } from './file-check.ts';
import { unreadable } from './xlsx-xml.ts';

/**
 * An xlsx archive opened for reading by its central directory (ZIP64 too): entries are found
 * by name and read in any order, so where a writer put xl/sharedStrings.xml no longer matters.
 * Entries inflate as streams (deflated or stored), and the zip-bomb limits hold while they
 * do: an entry may not yield more than its directory entry declared, nor all of them together
 * more than the limit. `checkImportFile` proved the declared sizes before; this holds them
 * again for any caller that skipped it, and costs nothing but a counter.
 */

const LOCAL_SIG = 0x04034b50;
const DESCRIPTOR_SIG = 0x08074b50;
const CHUNK = 64 * 1024;
/** Workbook, relationships and styles are kilobytes; a part read whole may not be huge. */
const MAX_TEXT_PART = 64 * 1024 * 1024;

const bomb = (detail: string) => new AppError('IMPORT_ZIP_BOMB', undefined, detail);

export class XlsxArchive {
  /** Bytes inflated so far, all entries together. */
  private inflated = 0;

  private constructor(
    private readonly path: string,
    private readonly fh: fs.promises.FileHandle,
    private readonly size: number,
    private readonly entries: Map<string, ZipEntry>,
    private readonly limits: ZipLimits,
  ) {}

  static async open(path: string, limits: ZipLimits): Promise<XlsxArchive> {
    const fh = await fs.promises.open(path, 'r');
    try {
      const { size } = await fh.stat();
      const { entries } = await readZipDirectory(fh, size, limits);
      checkZipEntries(entries, size, limits);
      const byName = new Map<string, ZipEntry>();
      for (const e of entries) byName.set(e.name, e);
      return new XlsxArchive(path, fh, size, byName, limits);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** The entry of that name; part names are case-insensitive in OPC, so is the fallback. */
  entry(name: string): ZipEntry | undefined {
    const exact = this.entries.get(name);
    if (exact) return exact;
    const lower = name.toLowerCase();
    for (const [key, e] of this.entries) if (key.toLowerCase() === lower) return e;
    return undefined;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /** A small part whole, as text (workbook, relationships, styles). */
  async text(entry: ZipEntry): Promise<string> {
    if (entry.uncompressedSize > MAX_TEXT_PART) throw unreadable(`${entry.name}: ${entry.uncompressedSize} bytes`);
    const parts: Buffer[] = [];
    for await (const chunk of this.chunks(entry)) parts.push(chunk);
    return Buffer.concat(parts).toString('utf8');
  }

  /** An entry's bytes as they inflate. Stopping early releases the file stream at once. */
  async *chunks(entry: ZipEntry): AsyncGenerator<Buffer> {
    const { start, crc: expectedCrc } = await this.dataStart(entry);
    if (entry.compressedSize === 0) {
      if (entry.uncompressedSize !== 0) throw unreadable(`${entry.name} has no data`);
      return;
    }
    const source = fs.createReadStream(this.path, {
      start,
      end: start + entry.compressedSize - 1,
      highWaterMark: CHUNK,
    });
    let output: NodeJS.ReadableStream & { destroy(error?: Error): void } = source;
    if (entry.method === 8) {
      const inflate = zlib.createInflateRaw({ chunkSize: CHUNK });
      source.on('error', (err) => inflate.destroy(err));
      source.pipe(inflate);
      output = inflate;
    }
    let produced = 0;
    let crc = 0;
    try {
      for await (const chunk of output as AsyncIterable<Buffer>) {
        produced += chunk.length;
        crc = zlib.crc32(chunk, crc);
        this.inflated += chunk.length;
        if (produced > entry.uncompressedSize) {
          throw bomb(`${entry.name} inflates beyond its declared ${entry.uncompressedSize} bytes`);
        }
        if (this.inflated > this.limits.maxUnzippedBytes) throw bomb(`over ${this.limits.maxUnzippedBytes} bytes`);
        yield chunk;
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw unreadable(`${entry.name}: ${(err as Error).message}`);
    } finally {
      source.destroy();
      output.destroy();
    }
    if (produced !== entry.uncompressedSize) {
      throw unreadable(`${entry.name} inflates to ${produced}, not ${entry.uncompressedSize}`);
    }
    // Damage that still inflates (a flipped bit in a stored entry, say) shows in the checksum.
    if (crc >>> 0 !== expectedCrc) throw unreadable(`${entry.name}: checksum mismatch`);
  }

  /**
   * Where an entry's data begins (after its local header, whose name and extra vary) and its
   * CRC-32: in the local header, or in the data descriptor after the data when flag bit 3 says
   * the writer streamed it.
   */
  private async dataStart(entry: ZipEntry): Promise<{ start: number; crc: number }> {
    if (entry.localHeaderOffset + 30 > this.size) throw unreadable(`local header of ${entry.name} outside the file`);
    const header = await this.readAt(entry.localHeaderOffset, 30);
    if (header.readUInt32LE(0) !== LOCAL_SIG) throw unreadable(`bad local header of ${entry.name}`);
    const nameLength = header.readUInt16LE(26);
    // The two copies of the name must agree: a damaged one would otherwise make a part (the
    // styles, say) silently missing.
    const name = (await this.readAt(entry.localHeaderOffset + 30, nameLength)).toString('utf8');
    if (name !== entry.name) throw unreadable(`local name ${name} differs from ${entry.name}`);
    const start = entry.localHeaderOffset + 30 + nameLength + header.readUInt16LE(28);
    if (start + entry.compressedSize > this.size) throw unreadable(`data of ${entry.name} outside the file`);
    if (!(header.readUInt16LE(6) & 0x0008)) return { start, crc: header.readUInt32LE(14) };
    const at = start + entry.compressedSize;
    const descriptor = await this.readAt(at, Math.min(8, this.size - at));
    if (descriptor.length < 8) throw unreadable(`data descriptor of ${entry.name} outside the file`);
    const signed = descriptor.readUInt32LE(0) === DESCRIPTOR_SIG;
    return { start, crc: descriptor.readUInt32LE(signed ? 4 : 0) };
  }

  private async readAt(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.fh.read(buf, 0, length, position);
    if (bytesRead !== length) throw unreadable('truncated archive');
    return buf;
  }
}
