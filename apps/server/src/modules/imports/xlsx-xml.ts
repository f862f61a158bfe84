import { AppError } from '../../core/app-error.ts';

/**
 * A small streaming XML tokenizer for the parts of an xlsx that can be large (the worksheet
 * and the shared strings). It works on the inflated bytes as they come, never on strings:
 * a general-purpose SAX parser builds a string and an attribute object per tag, which at a
 * million rows of 17 cells is most of the cost of reading. Here a handler hears each element
 * as a small number (its local name looked up in a fixed table, so `x:c` is `c`) and reads
 * only the attributes it wants straight from the bytes; text is decoded (entities resolved)
 * into one reusable buffer, and only while the handler asks for it (`capture`).
 *
 * Chunks may end anywhere: inside a tag, an entity, a UTF-8 sequence or a CDATA terminator.
 * What cannot be settled yet is kept and put in front of the next chunk; a tag may not exceed
 * MAX_TAG_BYTES, so what is kept stays small. Comments and CDATA are tolerated; a DOCTYPE is
 * refused (an xlsx never has one, and its entity definitions are how XML bombs work).
 */

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const AMP = 0x26;
const SEMI = 0x3b;
const COLON = 0x3a;
const QUOT = 0x22;
const APOS = 0x27;
const DASH = 0x2d;
const RSQB = 0x5d;

/** Longer than any tag a spreadsheet writes by orders of magnitude. */
const MAX_TAG_BYTES = 1024 * 1024;
/** `&#x10FFFF;` is the longest entity a file may use. */
const MAX_ENTITY_BYTES = 10;

const MODE_MARKUP = 0;
const MODE_CDATA = 1;
const MODE_COMMENT = 2;

const CDATA_OPEN = Buffer.from('<![CDATA[', 'latin1');
const CDATA_CLOSE = Buffer.from(']]>', 'latin1');
const COMMENT_OPEN = Buffer.from('<!--', 'latin1');
const COMMENT_CLOSE = Buffer.from('-->', 'latin1');

export const unreadable = (detail: string) => new AppError('IMPORT_FILE_UNREADABLE', undefined, detail);

/** What the tokenizer tells: elements by their number in the names table (0 = not listed). */
export interface XmlHandler {
  /** Attributes are `data[attrStart, attrEnd)`; read them with `forEachAttribute`. */
  open(name: number, data: Buffer, attrStart: number, attrEnd: number): void;
  close(name: number): void;
}

/** Decoded text as UTF-8 bytes, reused from cell to cell. */
export class TextBuffer {
  bytes = Buffer.allocUnsafe(256);
  length = 0;

  reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  append(data: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.reserve(end - start);
    data.copy(this.bytes, this.length, start, end);
    this.length += end - start;
  }

  appendCodePoint(cp: number): void {
    this.reserve(4);
    this.length += this.bytes.write(String.fromCodePoint(cp), this.length, 'utf8');
  }

  toString(): string {
    return this.length === 0 ? '' : this.bytes.toString('utf8', 0, this.length);
  }

  /** For numbers and indexes, which are ASCII. */
  ascii(): string {
    return this.bytes.toString('latin1', 0, this.length);
  }
}

export class XmlTokenizer {
  /** Set by the handler while text should be kept (inside `<v>`, `<t>`). */
  capture = false;
  readonly text = new TextBuffer();
  private pending: Buffer | null = null;
  private mode = MODE_MARKUP;
  private readonly names: Buffer[];

  constructor(
    names: readonly string[],
    private readonly handler: XmlHandler,
  ) {
    this.names = names.map((n) => Buffer.from(n, 'latin1'));
  }

  /** Whether a tag, entity or section is left open: at the end of the part, the file is cut. */
  get incomplete(): boolean {
    return this.pending !== null || this.mode !== MODE_MARKUP;
  }

  feed(chunk: Buffer): void {
    let rest = chunk;
    while (this.pending && rest.length > 0) {
      // What was kept is a tag, an entity or a terminator cut in two: it ends within the next
      // few bytes. Only those are joined to it (not the whole chunk), then the chunk goes on
      // by itself: the tokenizer takes its input cut anywhere.
      let k = rest.indexOf(GT);
      k = k < 0 ? rest.length : Math.max(k + 1, Math.min(rest.length, 16));
      const joined = Buffer.concat([this.pending, rest.subarray(0, k)]);
      this.pending = null;
      this.run(joined);
      rest = rest.subarray(k);
    }
    if (rest.length > 0) this.run(rest);
  }

  private run(data: Buffer): void {
    const n = data.length;
    let p = 0;
    while (p < n) {
      if (this.mode !== MODE_MARKUP) {
        p = this.section(data, p);
        if (p < 0) return;
        continue;
      }
      if (data[p] !== LT) {
        const lt = data.indexOf(LT, p);
        const end = lt < 0 ? n : lt;
        if (this.capture) {
          const used = this.decode(data, p, end, lt < 0);
          if (used < end) return this.keep(data, used);
        }
        if (lt < 0) return;
        p = lt;
      }
      const next = data[p + 1];
      if (next === undefined) return this.keep(data, p);
      if (next === SLASH) {
        let gt = p + 2;
        while (gt < n && data[gt] !== GT) gt++;
        if (gt === n) return this.keep(data, p);
        let e = p + 2;
        while (e < gt && !isSpace(data[e]!)) e++;
        this.handler.close(this.lookup(data, p + 2, e));
        p = gt + 1;
        continue;
      }
      if (next === BANG) {
        if (startsWith(data, p, CDATA_OPEN)) {
          this.mode = MODE_CDATA;
          p += CDATA_OPEN.length;
        } else if (startsWith(data, p, COMMENT_OPEN)) {
          this.mode = MODE_COMMENT;
          p += COMMENT_OPEN.length;
        } else if (n - p < CDATA_OPEN.length && couldStart(data, p, CDATA_OPEN, COMMENT_OPEN)) {
          return this.keep(data, p);
        } else {
          throw unreadable('DTD or unknown markup in XML');
        }
        continue;
      }
      // A start tag (or a processing instruction, which no handler lists): its end is the first
      // '>' outside quotes.
      let e = p + 1;
      while (e < n && !isNameEnd(data[e]!)) e++;
      let gt = e;
      let quote = 0;
      for (; gt < n; gt++) {
        const b = data[gt]!;
        if (quote !== 0) {
          if (b === quote) quote = 0;
        } else if (b === QUOT || b === APOS) quote = b;
        else if (b === GT) break;
      }
      if (gt >= n) return this.keep(data, p);
      if (next === QUESTION) {
        p = gt + 1;
        continue;
      }
      const selfClosing = data[gt - 1] === SLASH && gt - 1 >= e;
      const name = this.lookup(data, p + 1, e);
      this.handler.open(name, data, e, selfClosing ? gt - 1 : gt);
      if (selfClosing) this.handler.close(name);
      p = gt + 1;
    }
  }

  private keep(data: Buffer, from: number): void {
    // Only a tag can be this long (an entity or a terminator is a few bytes): not one a
    // spreadsheet writes, and keeping it would copy it again with every chunk.
    if (data.length - from > MAX_TAG_BYTES) throw unreadable('XML tag too long');
    // A copy: `data` may be a chunk the stream reuses.
    this.pending = Buffer.from(data.subarray(from));
  }

  /** Inside CDATA or a comment: find its end, keeping CDATA text if asked. */
  private section(data: Buffer, p: number): number {
    const close = this.mode === MODE_CDATA ? CDATA_CLOSE : COMMENT_CLOSE;
    const at = data.indexOf(close, p);
    if (at >= 0) {
      if (this.mode === MODE_CDATA && this.capture) this.text.append(data, p, at);
      this.mode = MODE_MARKUP;
      return at + close.length;
    }
    // The terminator may begin in the last two bytes; keep them for the next chunk.
    let keepFrom = data.length;
    for (let i = Math.max(p, data.length - 2); i < data.length; i++) {
      const b = data[i]!;
      if (b === RSQB || b === DASH) {
        keepFrom = i;
        break;
      }
    }
    if (this.mode === MODE_CDATA && this.capture) this.text.append(data, p, keepFrom);
    if (keepFrom < data.length) this.keep(data, keepFrom);
    return -1;
  }

  /**
   * Append text with its entities resolved; returns where it stopped: before an entity the
   * chunk cut in two (`open`: the text runs on into the next chunk).
   */
  private decode(data: Buffer, start: number, end: number, open: boolean): number {
    const text = this.text;
    let p = start;
    while (p < end) {
      // A loop, not indexOf: that would search the whole rest of the chunk for every cell.
      let amp = p;
      while (amp < end && data[amp] !== AMP) amp++;
      if (amp === end) {
        text.append(data, p, end);
        return end;
      }
      text.append(data, p, amp);
      const limit = Math.min(end, amp + MAX_ENTITY_BYTES + 1);
      let semi = amp + 1;
      while (semi < limit && data[semi] !== SEMI) semi++;
      if (semi >= limit) {
        if (open && limit === end) return amp;
        // Not an entity: Excel never writes a bare '&', but reading it as itself is kind.
        text.append(data, amp, amp + 1);
        p = amp + 1;
        continue;
      }
      const cp = entity(data, amp + 1, semi);
      if (cp < 0) text.append(data, amp, semi + 1);
      else text.appendCodePoint(cp);
      p = semi + 1;
    }
    return end;
  }

  private lookup(data: Buffer, start: number, end: number): number {
    let s = start;
    for (let i = start; i < end; i++) if (data[i] === COLON) s = i + 1;
    const length = end - s;
    const names = this.names;
    for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      if (name.length !== length) continue;
      let i = 0;
      while (i < length && name[i] === data[s + i]) i++;
      if (i === length) return k + 1;
    }
    return 0;
  }
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function isNameEnd(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === GT || b === SLASH;
}

function startsWith(data: Buffer, p: number, prefix: Buffer): boolean {
  if (data.length - p < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[p + i] !== prefix[i]) return false;
  return true;
}

/** Whether the bytes left could be the beginning of one of the prefixes. */
function couldStart(data: Buffer, p: number, ...prefixes: Buffer[]): boolean {
  return prefixes.some((prefix) => {
    for (let i = 0; p + i < data.length; i++) if (i >= prefix.length || data[p + i] !== prefix[i]) return false;
    return true;
  });
}

/** The code point of `&name;` (between `&` and `;`), or -1 when it is not one XML knows. */
function entity(data: Buffer, start: number, end: number): number {
  const length = end - start;
  const c0 = data[start];
  if (c0 === 0x23 /* # */) {
    let value = 0;
    let digits = 0;
    const hex = data[start + 1] === 0x78 || data[start + 1] === 0x58;
    for (let i = start + (hex ? 2 : 1); i < end; i++) {
      const b = data[i]!;
      let d: number;
      if (b >= 0x30 && b <= 0x39) d = b - 0x30;
      else if (hex && b >= 0x61 && b <= 0x66) d = b - 0x57;
      else if (hex && b >= 0x41 && b <= 0x46) d = b - 0x37;
      else return -1;
      value = value * (hex ? 16 : 10) + d;
      digits++;
    }
    if (digits === 0) return -1;
    // Out of range or a lone surrogate: the replacement character, as a browser shows it.
    return value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff) || value === 0 ? 0xfffd : value;
  }
  const is = (s: string) => length === s.length && data.toString('latin1', start, end) === s;
  if (length === 3 && is('amp')) return 0x26;
  if (length === 2 && is('lt')) return 0x3c;
  if (length === 2 && is('gt')) return 0x3e;
  if (length === 4 && is('quot')) return 0x22;
  if (length === 4 && is('apos')) return 0x27;
  return -1;
}

/** Entities of a whole (small) string: attribute values of workbook.xml and styles.xml. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (all, name: string) => {
    const bytes = Buffer.from(name, 'latin1');
    const cp = entity(bytes, 0, bytes.length);
    return cp < 0 ? all : String.fromCodePoint(cp);
  });
}

/**
 * Calls `visit` with each attribute's name range and value range (undecoded), straight from
 * the tag's bytes.
 */
export function forEachAttribute(
  data: Buffer,
  start: number,
  end: number,
  visit: (nameStart: number, nameEnd: number, valueStart: number, valueEnd: number) => void,
): void {
  let p = start;
  while (p < end) {
    while (p < end && isSpace(data[p]!)) p++;
    const nameStart = p;
    while (p < end && data[p] !== 0x3d /* = */ && !isSpace(data[p]!)) p++;
    const nameEnd = p;
    while (p < end && data[p] !== QUOT && data[p] !== APOS) p++;
    if (p >= end) return;
    const quote = data[p]!;
    const valueStart = ++p;
    while (p < end && data[p] !== quote) p++;
    if (nameEnd > nameStart) visit(nameStart, nameEnd, valueStart, p);
    p++;
  }
}
