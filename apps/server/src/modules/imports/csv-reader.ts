import fs from 'node:fs';
import iconv from 'iconv-lite';
import { AppError } from '../../core/app-error.ts';
import type { SheetRow } from './sheet-row.ts';

/**
 * CSV and other delimited text, streamed. Rosters saved from Chinese Excel are GBK unless
 * someone chose "CSV UTF-8", so the encoding is detected: a byte-order mark decides; without
 * one, the first stretch of non-ASCII bytes is tried as UTF-8 and taken as GBK (read as
 * GB 18030, its superset) when it is not valid UTF-8. Parsing follows RFC 4180: quoted
 * fields with doubled quotes and line breaks inside, CRLF or LF.
 */

export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'gbk' | 'utf-16le' | 'utf-16be';
export type Delimiter = ',' | '\t' | ';';

/** Longer than Excel's cell limit (32,767) by far: past this a quote was never closed. */
const MAX_FIELD_CHARS = 1_000_000;
const MAX_COLUMNS = 1_000;
const WINDOW = 64 * 1024;

export async function detectEncoding(path: string): Promise<{ encoding: TextEncoding; skip: number }> {
  const fh = await fs.promises.open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
      return { encoding: 'utf-8-bom', skip: 3 };
    }
    if (bytesRead >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 };
    if (bytesRead >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', skip: 2 };
    // Find the first non-ASCII byte; judge the encoding on the stretch that starts there.
    const buf = Buffer.alloc(WINDOW);
    for (let position = 0; ; position += WINDOW) {
      const { bytesRead: n } = await fh.read(buf, 0, WINDOW, position);
      if (n === 0) return { encoding: 'utf-8', skip: 0 };
      const at = buf.subarray(0, n).findIndex((b) => b >= 0x80);
      if (at < 0) continue;
      const sample = Buffer.alloc(WINDOW);
      const { bytesRead: m } = await fh.read(sample, 0, WINDOW, position + at);
      return { encoding: isUtf8(sample.subarray(0, m)) ? 'utf-8' : 'gbk', skip: 0 };
    }
  } finally {
    await fh.close();
  }
}

/** Valid UTF-8, allowing a sequence cut off at the end of the sample. */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

interface Decoder {
  write(chunk: Buffer): string;
  end(): string;
}

function decoderFor(encoding: TextEncoding): Decoder {
  if (encoding === 'gbk' || encoding === 'utf-16be') {
    const d = iconv.getDecoder(encoding === 'gbk' ? 'gb18030' : 'utf16-be');
    return { write: (c) => d.write(c), end: () => d.end() ?? '' };
  }
  const d = new TextDecoder(encoding === 'utf-16le' ? 'utf-16le' : 'utf-8');
  return { write: (c) => d.decode(c, { stream: true }), end: () => d.decode() };
}

/** The separator of the first line outside quotes: comma unless tabs or semicolons win. */
export function detectDelimiter(text: string): Delimiter {
  const counts = { ',': 0, '\t': 0, ';': 0 };
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && (ch === ',' || ch === '\t' || ch === ';')) counts[ch]++;
  }
  if (counts['\t'] > counts[','] && counts['\t'] >= counts[';']) return '\t';
  if (counts[';'] > counts[',']) return ';';
  return ',';
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** Parser states. */
const State = { FieldStart: 0, Unquoted: 1, Quoted: 2, QuoteInQuoted: 3 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * An incremental RFC 4180 parser: feed it text in pieces of any size, take whole records.
 * Lenient where Excel is: a quote inside an unquoted field is kept as is, and so is text
 * after a closing quote.
 */
export class CsvParser {
  private state: State = State.FieldStart;
  private field = '';
  private cells: string[] = [];
  private skipLf = false;
  private rowNumber = 0;
  private readonly sep: number;

  constructor(delimiter: Delimiter) {
    this.sep = delimiter.charCodeAt(0);
  }

  /** Parse a piece of text; complete records go to `out`. */
  feed(text: string, out: SheetRow[]): void {
    const sep = this.sep;
    let start = 0;
    let i = 0;
    const n = text.length;
    if (this.skipLf && n > 0) {
      this.skipLf = false;
      if (text.charCodeAt(0) === LF) i = start = 1;
    }
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case State.FieldStart:
          if (c === QUOTE) {
            this.state = State.Quoted;
            start = i + 1;
            break;
          }
          this.state = State.Unquoted;
          start = i;
        // falls through: the character belongs to the unquoted field
        case State.Unquoted:
          if (c === sep) {
            this.endField(text.slice(start, i));
          } else if (c === LF || c === CR) {
            this.endField(text.slice(start, i));
            this.endRecord(out);
            if (c === CR) {
              if (i + 1 < n) {
                if (text.charCodeAt(i + 1) === LF) i++;
              } else this.skipLf = true;
            }
          }
          break;
        case State.Quoted:
          if (c === QUOTE) {
            this.append(text.slice(start, i));
            this.state = State.QuoteInQuoted;
          }
          break;
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            // A doubled quote is one quote character; the quoted field goes on.
            this.append('"');
            this.state = State.Quoted;
            start = i + 1;
          } else if (c === sep) {
            this.endField('');
          } else if (c === LF || c === CR) {
            this.endField('');
            this.endRecord(out);
            if (c === CR) {
              if (i + 1 < n) {
                if (text.charCodeAt(i + 1) === LF) i++;
              } else this.skipLf = true;
            }
          } else {
            this.state = State.Unquoted;
            start = i;
          }
          break;
      }
    }
    // Keep the unfinished part of the current field for the next piece.
    if (this.state === State.Unquoted || this.state === State.Quoted) this.append(text.slice(start, n));
  }

  /** The last record, when the text does not end with a line break. */
  end(out: SheetRow[]): void {
    if (this.state !== State.FieldStart || this.field !== '' || this.cells.length > 0) {
      if (this.state === State.Quoted) this.state = State.Unquoted;
      this.endField('');
      this.endRecord(out);
    }
  }

  private append(s: string): void {
    if (s.length === 0) return;
    this.field += s;
    if (this.field.length > MAX_FIELD_CHARS) {
      throw new AppError('IMPORT_FILE_UNREADABLE', undefined, `row ${this.rowNumber + 1}: unterminated quote`);
    }
  }

  private endField(rest: string): void {
    this.cells.push(this.field + rest);
    this.field = '';
    this.state = State.FieldStart;
    if (this.cells.length > MAX_COLUMNS) {
      throw new AppError('IMPORT_FILE_UNREADABLE', undefined, `row ${this.rowNumber + 1}: over ${MAX_COLUMNS} columns`);
    }
  }

  private endRecord(out: SheetRow[]): void {
    this.rowNumber++;
    out.push({ rowNumber: this.rowNumber, cells: this.cells });
    this.cells = [];
    this.state = State.FieldStart;
  }
}

export interface CsvSource {
  encoding: TextEncoding;
  delimiter: Delimiter;
  rows: AsyncGenerator<SheetRow>;
  /** Release the file when the rows are not read to the end. */
  close: () => void;
}

/** Open a CSV file: detect its encoding and separator, then stream its records. */
export async function openCsv(path: string): Promise<CsvSource> {
  const { encoding, skip } = await detectEncoding(path);
  const decoder = decoderFor(encoding);
  const stream = fs.createReadStream(path, { start: skip, highWaterMark: 256 * 1024 });
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // The first piece decides the separator; it is parsed like every other piece afterwards.
  let first = '';
  let done = false;
  while (!done && !/[\r\n]/.test(first)) {
    const next = await chunks.next();
    if (next.done) {
      first += decoder.end();
      done = true;
    } else first += decoder.write(next.value);
  }
  const delimiter = detectDelimiter(first);
  async function* rows(): AsyncGenerator<SheetRow> {
    const parser = new CsvParser(delimiter);
    const out: SheetRow[] = [];
    try {
      parser.feed(first, out);
      if (done) parser.end(out);
      yield* out.splice(0);
      while (!done) {
        const next = await chunks.next();
        if (next.done) {
          parser.feed(decoder.end(), out);
          parser.end(out);
          done = true;
        } else parser.feed(decoder.write(next.value), out);
        for (const row of out) yield row;
        out.length = 0;
      }
    } finally {
      stream.destroy();
    }
  }
  return { encoding, delimiter, rows: rows(), close: () => stream.destroy() };
}
