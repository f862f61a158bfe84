import { type XmlHandler, XmlTokenizer } from './xlsx-xml.ts';

/**
 * The shared-string table of a workbook, stored compactly: one growing Buffer of UTF-8 and
 * an offset per string. A million distinct ID numbers, phones and member numbers as JS
 * strings cost well over a gigabyte (each its own heap object, most of them two-byte);
 * as bytes they are what the file holds. A string is decoded when a cell asks for it; a small
 * cache keeps the recurring ones (民族, 政治面貌, 单位) from being decoded a million times.
 */

const CACHE_SIZE = 4096;

export class SharedStrings {
  private bytes: Buffer;
  private used = 0;
  /** String i is bytes[offsets[i], offsets[i + 1]). */
  private offsets: Uint32Array;
  private count = 0;
  private readonly cacheKeys = new Int32Array(CACHE_SIZE).fill(-1);
  private readonly cacheValues: string[] = new Array<string>(CACHE_SIZE).fill('');

  /**
   * `byteHint`: the XML's size, which the text can never exceed (entities and markup only
   * shrink); `countHint`: the `uniqueCount` the file claims, trusted only as a start.
   */
  constructor(byteHint = 0, countHint = 0) {
    this.bytes = Buffer.allocUnsafe(Math.max(1024, Math.min(byteHint, 16 * 1024 * 1024)));
    this.offsets = new Uint32Array(Math.max(1024, Math.min(countHint + 1, 1 << 20)));
  }

  get size(): number {
    return this.count;
  }

  push(src: Buffer, start: number, end: number): void {
    const length = end - start;
    if (this.used + length > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < this.used + length) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    if (this.count + 2 > this.offsets.length) {
      const grown = new Uint32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    src.copy(this.bytes, this.used, start, end);
    this.used += length;
    this.count++;
    this.offsets[this.count] = this.used;
  }

  /** String i, or `undefined` when the table has no such index. */
  get(i: number): string | undefined {
    if (!(i >= 0 && i < this.count)) return undefined;
    const slot = i & (CACHE_SIZE - 1);
    if (this.cacheKeys[slot] === i) return this.cacheValues[slot];
    const value = this.bytes.toString('utf8', this.offsets[i]!, this.offsets[i + 1]!);
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
  readonly strings: SharedStrings;
  private readonly xml = new XmlTokenizer(['si', 't', 'rPh'], this);
  private inSi = false;
  private phonetic = 0;

  constructor(byteHint: number) {
    this.strings = new SharedStrings(byteHint, 0);
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
