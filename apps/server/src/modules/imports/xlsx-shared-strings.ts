import { type XmlHandler, XmlTokenizer } from './xlsx-xml.ts';

/**
 * The shared-string table of a workbook, stored compactly: UTF-8 in fixed blocks and an
 * offset per string. A million distinct ID numbers, phones and member numbers as JS strings
 * cost well over a gigabyte (each its own heap object, most of them two-byte); as bytes they
 * are what the file holds. Blocks rather than one buffer grown by doubling: growth copied the
 * whole table into one twice its size, so at a million rows the table briefly took three times
 * its text (about 100 MB). A string is decoded when a cell asks for it; a small cache keeps the
 * recurring ones (民族, 政治面貌, 单位) from being decoded a million times.
 */

const CACHE_SIZE = 4096;
/** Bytes per text block (1 MiB); a string never spans two blocks. */
const BLOCK_BITS = 20;
const BLOCK = 1 << BLOCK_BITS;
/** Offsets per offset page. */
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;

export class SharedStrings {
  private readonly blocks: Buffer[] = [];
  /** Bytes used in each block. */
  private readonly fill: number[] = [];
  /** String i starts at byte (offset & (BLOCK - 1)) of block (offset >>> BLOCK_BITS). */
  private readonly pages: Uint32Array[] = [];
  private count = 0;
  private readonly cacheKeys = new Int32Array(CACHE_SIZE).fill(-1);
  private readonly cacheValues: string[] = new Array<string>(CACHE_SIZE).fill('');

  get size(): number {
    return this.count;
  }

  push(src: Buffer, start: number, end: number): void {
    const length = end - start;
    let b = this.blocks.length - 1;
    if (b < 0 || this.fill[b]! + length > this.blocks[b]!.length) {
      // A string longer than a block (a cell holds at most 32,767 characters, but a file may
      // lie) gets a block of its own size.
      this.blocks.push(Buffer.allocUnsafe(Math.max(BLOCK, length)));
      this.fill.push(0);
      b++;
    }
    const at = this.fill[b]!;
    src.copy(this.blocks[b]!, at, start, end);
    this.fill[b] = at + length;
    const i = this.count++;
    if ((i & (PAGE - 1)) === 0) this.pages.push(new Uint32Array(PAGE));
    // Block index and position as one number: below 2^32 for up to 4,096 blocks (4 GiB).
    this.pages[i >>> PAGE_BITS]![i & (PAGE - 1)] = b * BLOCK + at;
  }

  private offsetOf(i: number): number {
    return this.pages[i >>> PAGE_BITS]![i & (PAGE - 1)]!;
  }

  /** String i, or `undefined` when the table has no such index. */
  get(i: number): string | undefined {
    if (!(i >= 0 && i < this.count)) return undefined;
    const slot = i & (CACHE_SIZE - 1);
    if (this.cacheKeys[slot] === i) return this.cacheValues[slot];
    const offset = this.offsetOf(i);
    const b = Math.floor(offset / BLOCK);
    const from = offset - b * BLOCK;
    // It ends where the next string starts, unless that one opened a new block.
    const next = i + 1 < this.count ? this.offsetOf(i + 1) : -1;
    const to = next >= 0 && Math.floor(next / BLOCK) === b ? next - b * BLOCK : this.fill[b]!;
    const value = this.blocks[b]!.toString('utf8', from, to);
    this.cacheKeys[slot] = i;
    this.cacheValues[slot] = value;
    return value;
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

  readonly strings = new SharedStrings();

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
