import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type XmlHandler, XmlTokenizer } from './xlsx-xml.ts';

/**
 * The shared-string table of a workbook, stored compactly: UTF-8 in fixed blocks and a
 * 16-bit start per string within its block (two bytes a string, not four: a million rows
 * bring four million strings). A million distinct ID numbers, phones and member numbers as
 * JS strings cost well over a gigabyte (each its own heap object, most of them two-byte); as
 * bytes they are what the file holds. Blocks rather than one buffer grown by doubling: growth copied the
 * whole table into one twice its size, so at a million rows the table briefly took three times
 * its text (about 100 MB). A string is decoded when a cell asks for it; a small cache keeps the
 * recurring ones (民族, 政治面貌, 单位) from being decoded a million times.
 *
 * Past `memoryBytes` of text the blocks go to a temporary file and are read back through a
 * small cache of blocks. A million-row roster's table holds four or more distinct strings per
 * row (about 60 MB of text), which would otherwise stay in memory for the whole import, while
 * the sheet asks for them almost in order: the distinct values in the order they were first
 * written, the recurring ones from the first blocks, which stay cached.
 */

const CACHE_SIZE = 4096;
/** Bytes per text block (64 KiB); a string never spans two blocks. */
const BLOCK_BITS = 16;
const BLOCK = 1 << BLOCK_BITS;
/** Starts per page of starts. */
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
/** Blocks read back from the file that stay in memory (4 MiB). */
const CACHED_BLOCKS = 64;
const MEMORY_BYTES = 4 * 1024 * 1024;

export interface SharedStringsOptions {
  /** Text kept in memory before the blocks are written to a temporary file. */
  memoryBytes?: number;
}

export class SharedStrings {
  /** Each block's bytes while in memory; `null` once written to the file. */
  private readonly blocks: (Buffer | null)[] = [];
  /** Bytes used in each block. */
  private readonly fill: number[] = [];
  /** Where each written block starts in the file. */
  private readonly filePos: number[] = [];
  /** The first string of each block. */
  private readonly firsts: number[] = [];
  /** Where string i starts in its block. */
  private readonly pages: Uint16Array[] = [];
  private count = 0;
  private bytes = 0;
  private readonly memoryBytes: number;
  private file: { fd: number; path: string | null; size: number } | null = null;
  /** Blocks read back from the file, least recently used first. */
  private readonly cached = new Map<number, Buffer>();
  private readonly cacheKeys = new Int32Array(CACHE_SIZE).fill(-1);
  private readonly cacheValues: string[] = new Array<string>(CACHE_SIZE).fill('');

  constructor(options: SharedStringsOptions = {}) {
    this.memoryBytes = options.memoryBytes ?? MEMORY_BYTES;
  }

  get size(): number {
    return this.count;
  }

  /** Whether blocks have gone to the temporary file. */
  get spilled(): boolean {
    return this.file !== null;
  }

  push(src: Buffer, start: number, end: number): void {
    const length = end - start;
    let b = this.blocks.length - 1;
    if (b < 0 || this.fill[b]! + length > this.blocks[b]!.length) {
      if (b >= 0 && this.bytes > this.memoryBytes) this.spill(b);
      // A string longer than a block (a cell holds at most 32,767 characters, but a file may
      // lie) gets a block of its own size.
      this.blocks.push(Buffer.allocUnsafe(Math.max(BLOCK, length)));
      this.fill.push(0);
      this.firsts.push(this.count);
      b++;
    }
    const at = this.fill[b]!;
    src.copy(this.blocks[b]!, at, start, end);
    this.fill[b] = at + length;
    this.bytes += length;
    const i = this.count++;
    if ((i & (PAGE - 1)) === 0) this.pages.push(new Uint16Array(PAGE));
    // Below 2^16: a block is 64 KiB, and a longer string starts a block of its own at 0.
    this.pages[i >>> PAGE_BITS]![i & (PAGE - 1)] = at;
  }

  /** Write every full block still in memory, up to block `last`, to the file. */
  private spill(last: number): void {
    if (!this.file) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-strings-'));
      const file = path.join(dir, 'strings');
      const fd = fs.openSync(file, 'w+', 0o600);
      // Unlinked at once where the system allows it, so a thread stopped mid-import (a
      // cancelled job's worker is terminated) leaves nothing behind.
      let kept: string | null = null;
      try {
        fs.unlinkSync(file);
        fs.rmdirSync(dir);
      } catch {
        kept = file;
      }
      this.file = { fd, path: kept, size: 0 };
    }
    for (let b = this.filePos.length; b <= last; b++) {
      const block = this.blocks[b]!;
      fs.writeSync(this.file.fd, block, 0, this.fill[b]!, this.file.size);
      this.filePos.push(this.file.size);
      this.file.size += this.fill[b]!;
      this.blocks[b] = null;
    }
  }

  private block(b: number): Buffer {
    const resident = this.blocks[b];
    if (resident) return resident;
    let block = this.cached.get(b);
    if (block) {
      // Most recently used last, so the first key is the one to drop.
      this.cached.delete(b);
    } else {
      block = Buffer.allocUnsafe(this.fill[b]!);
      fs.readSync(this.file!.fd, block, 0, block.length, this.filePos[b]!);
      if (this.cached.size >= CACHED_BLOCKS) this.cached.delete(this.cached.keys().next().value!);
    }
    this.cached.set(b, block);
    return block;
  }

  private startOf(i: number): number {
    return this.pages[i >>> PAGE_BITS]![i & (PAGE - 1)]!;
  }

  /** The block holding string i: the last whose first string is at or before it. */
  private blockOf(i: number): number {
    const firsts = this.firsts;
    let lo = 0;
    let hi = firsts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (firsts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** String i, or `undefined` when the table has no such index. */
  get(i: number): string | undefined {
    if (!(i >= 0 && i < this.count)) return undefined;
    const slot = i & (CACHE_SIZE - 1);
    if (this.cacheKeys[slot] === i) return this.cacheValues[slot];
    const b = this.blockOf(i);
    const from = this.startOf(i);
    // It ends where the next string starts, unless that one opened a new block.
    const nextInBlock = i + 1 < this.count && (b + 1 === this.firsts.length || this.firsts[b + 1]! > i + 1);
    const to = nextInBlock ? this.startOf(i + 1) : this.fill[b]!;
    const value = this.block(b).toString('utf8', from, to);
    this.cacheKeys[slot] = i;
    this.cacheValues[slot] = value;
    return value;
  }

  /** Release the temporary file. */
  close(): void {
    if (!this.file) return;
    fs.closeSync(this.file.fd);
    if (this.file.path) fs.rmSync(path.dirname(this.file.path), { recursive: true, force: true });
    this.file = null;
    this.cached.clear();
  }
}

const SI = 1;
const T = 2;
const RPH = 3;

/**
 * Parses xl/sharedStrings.xml fed in chunks: each `<si>` is its `<t>`, or its rich-text runs'
 * `<t>`s joined; phonetic guides (`<rPh>`, furigana) are not part of the text.
 */
export class SharedStringsParser implements XmlHandler {
  private readonly xml = new XmlTokenizer(['si', 't', 'rPh'], this);
  private inSi = false;
  private phonetic = 0;

  readonly strings: SharedStrings;

  constructor(options: SharedStringsOptions = {}) {
    this.strings = new SharedStrings(options);
  }

  feed(chunk: Buffer): void {
    this.xml.feed(chunk);
  }

  get incomplete(): boolean {
    return this.xml.incomplete || this.inSi;
  }

  open(name: number): void {
    if (name === SI) {
      this.inSi = true;
      this.phonetic = 0;
      this.xml.text.length = 0;
    } else if (name === T) {
      if (this.inSi && this.phonetic === 0) this.xml.capture = true;
    } else if (name === RPH) {
      this.phonetic++;
    }
  }

  close(name: number): void {
    if (name === T) this.xml.capture = false;
    else if (name === RPH) this.phonetic = Math.max(0, this.phonetic - 1);
    else if (name === SI && this.inSi) {
      this.inSi = false;
      this.xml.capture = false;
      const text = this.xml.text;
      this.strings.push(text.bytes, 0, text.length);
    }
  }
}
