import iconv from 'iconv-lite';
import { AppError, fieldError } from '../app-error.ts';

/**
 * The bank file a payout batch is sent as, and the result file the bank answers with
 * (decision 0012 documents both layouts). Pure: bytes in, rows out, so the layouts are tested
 * without a database.
 */

/** Columns of the bank file, in order. The header row carries these names. */
export const BANK_FILE_COLUMNS = ['批次号', '行号', '收款人姓名', '收款账号', '金额(元)', '用途', '参考号'] as const;

export interface BankFileLine {
  lineNo: number;
  payeeName: string;
  bankCard: string;
  /** Integer fen. */
  amount: number;
  memo: string;
}

/** `123456` fen → `1234.56`: the bank file states yuan with exactly two decimals. */
export function formatYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`not a fen amount: ${fen}`);
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** The bank's reference of one line: batch number and 5-digit line number, unique per payment. */
export function lineReference(batchNo: string, lineNo: number): string {
  return `${batchNo}-${String(lineNo).padStart(5, '0')}`;
}

/**
 * One CSV field. Quoted when it holds a delimiter, quote or line break (RFC 4180). Free text
 * that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a leading
 * apostrophe: cadres open these files in Excel before uploading them.
 */
function csvField(value: string, freeText = false): string {
  let v = value.replace(/[\r\n]+/g, ' ');
  if (freeText && /^[=+\-@\t]/.test(v)) v = `'${v}`;
  return /[",]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** The bank file: UTF-8 with a byte-order mark (Excel reads it as UTF-8 then), CRLF lines. */
export function writeBankFile(batchNo: string, lines: readonly BankFileLine[]): Buffer {
  const rows = [BANK_FILE_COLUMNS.join(',')];
  for (const l of lines) {
    rows.push(
      [
        csvField(batchNo),
        String(l.lineNo),
        csvField(l.payeeName),
        csvField(l.bankCard),
        formatYuan(l.amount),
        csvField(l.memo, true),
        csvField(lineReference(batchNo, l.lineNo)),
      ].join(','),
    );
  }
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(rows.join('\r\n') + '\r\n', 'utf8')]);
}

export type ResultStatus = 'paid' | 'failed';

export interface ResultLine {
  /** Line number in the result file (1 = the header), for messages. */
  fileLine: number;
  batchNo: string | null;
  lineNo: number | null;
  reference: string | null;
  status: ResultStatus;
  reason: string | null;
}

/** Accepted header names per column of the result file (Chinese as banks write them, or English). */
const RESULT_HEADERS: Record<'batchNo' | 'lineNo' | 'reference' | 'status' | 'reason', readonly string[]> = {
  batchNo: ['批次号', 'batch_no'],
  lineNo: ['行号', 'line_no'],
  reference: ['参考号', 'reference'],
  status: ['结果', 'status'],
  reason: ['原因', '失败原因', 'reason'],
};

const STATUS_WORDS: Record<string, ResultStatus> = {
  paid: 'paid',
  success: 'paid',
  成功: 'paid',
  failed: 'failed',
  fail: 'failed',
  失败: 'failed',
};

/** At most this many lines: a result file answers one batch. */
export const MAX_RESULT_LINES = 100_000;

function invalid(field: string, zh: string, en: string): AppError {
  return new AppError('PAYOUT_RESULT_FILE_INVALID', [fieldError(field, 'invalid', { 'zh-CN': zh, en })], en);
}

/** Result files from bank portals are UTF-8 (with or without BOM) or, saved from Excel, GBK. */
function decode(bytes: Buffer): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return iconv.decode(bytes, 'gb18030');
  }
}

/** RFC 4180 records with their starting line numbers. */
function csvRecords(text: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let i = 0;
  const endRecord = () => {
    cells.push(cell);
    if (cells.length > 1 || cells[0]!.trim() !== '') out.push({ line: start, cells });
    cells = [];
    cell = '';
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else cell += ch;
    i++;
  }
  if (quoted)
    throw invalid(`file.line.${start}`, `第 ${start} 行：引号没有闭合`, `line ${start}: a quote is not closed`);
  if (cell !== '' || cells.length > 0) endRecord();
  return out;
}

/**
 * Parse the bank's result file. Every problem names the file line and the column; the first
 * problem found is thrown, and the caller writes nothing.
 */
export function parseResultFile(bytes: Buffer): ResultLine[] {
  const records = csvRecords(decode(bytes));
  const header = records[0];
  if (!header) throw invalid('file', '文件是空的', 'the file is empty');
  const names = header.cells.map((c) => c.trim().toLowerCase());
  const col = (key: keyof typeof RESULT_HEADERS) => names.findIndex((n) => RESULT_HEADERS[key].includes(n));
  const at = { batchNo: col('batchNo'), lineNo: col('lineNo'), reference: col('reference') };
  const statusCol = col('status');
  const reasonCol = col('reason');
  if (statusCol < 0) {
    throw invalid('file.line.1.结果', '第 1 行：缺少“结果”列', 'line 1: the header has no 结果 (status) column');
  }
  if (at.lineNo < 0 && at.reference < 0) {
    throw invalid(
      'file.line.1.行号',
      '第 1 行：需要“行号”或“参考号”列',
      'line 1: the header needs a 行号 (line no) or 参考号 (reference) column',
    );
  }
  if (records.length - 1 > MAX_RESULT_LINES) {
    throw invalid('file', `文件超过 ${MAX_RESULT_LINES} 行`, `the file has more than ${MAX_RESULT_LINES} lines`);
  }
  const out: ResultLine[] = [];
  for (const { line, cells } of records.slice(1)) {
    const cell = (i: number) => (i < 0 ? '' : (cells[i] ?? '').trim());
    const where = (column: string) => `file.line.${line}.${column}`;
    const lineText = cell(at.lineNo);
    let lineNo: number | null = null;
    if (lineText !== '') {
      if (!/^\d{1,9}$/.test(lineText) || Number(lineText) < 1) {
        throw invalid(
          where('行号'),
          `第 ${line} 行“行号”列：应为正整数，实际为“${lineText}”`,
          `line ${line}, column 行号 (line no): expected a positive integer, got "${lineText}"`,
        );
      }
      lineNo = Number(lineText);
    }
    const reference = cell(at.reference) || null;
    if (lineNo === null && reference === null) {
      throw invalid(
        where('行号'),
        `第 ${line} 行：“行号”和“参考号”都为空`,
        `line ${line}: both 行号 (line no) and 参考号 (reference) are empty`,
      );
    }
    const statusText = cell(statusCol);
    const status = STATUS_WORDS[statusText.toLowerCase()];
    if (!status) {
      throw invalid(
        where('结果'),
        `第 ${line} 行“结果”列：只能是 paid（成功）或 failed（失败），实际为“${statusText}”`,
        `line ${line}, column 结果 (status): expected paid or failed, got "${statusText}"`,
      );
    }
    const reason = cell(reasonCol) || null;
    if (status === 'failed' && !reason) {
      throw invalid(
        where('原因'),
        `第 ${line} 行“原因”列：失败的付款必须写明原因`,
        `line ${line}, column 原因 (reason): a failed payment needs its reason`,
      );
    }
    out.push({ fileLine: line, batchNo: cell(at.batchNo) || null, lineNo, reference, status, reason });
  }
  if (out.length === 0) throw invalid('file', '文件只有表头，没有结果行', 'the file has a header but no result lines');
  return out;
}

/** The message of a result-file problem found against the batch (unknown line, mismatch). */
export function resultLineError(fileLine: number, column: string, zh: string, en: string): AppError {
  return invalid(
    `file.line.${fileLine}.${column}`,
    `第 ${fileLine} 行“${column}”列：${zh}`,
    `line ${fileLine}, column ${column}: ${en}`,
  );
}
