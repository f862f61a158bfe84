import fs from 'node:fs';
import { once } from 'node:events';
import type { ExportFormat } from '@zhgh/contracts';
import ExcelJS from 'exceljs';
import { defuseFormula } from './exports.policy.ts';

/**
 * Writing an export file one page of rows at a time, never the whole export in memory: CSV
 * straight to a file stream (with backpressure), xlsx through exceljs's streaming
 * WorkbookWriter, which zips rows as they are committed.
 */

export type ExportCell = string | number | null;

export interface ExportColumn {
  header: string;
  /** Column width in characters (xlsx only). */
  width: number;
  /** Digits that must stay text (ID numbers, phones, bank cards, codes): Excel would round them. */
  text?: boolean;
}

export interface ExportSink {
  writeRows(rows: readonly (readonly ExportCell[])[]): Promise<void>;
  /** Finish the file; resolves once every byte is on disk. */
  close(): Promise<void>;
  /** Stop writing (cancel, failure); the caller removes the partial file. */
  abort(): Promise<void>;
}

/** One CSV field: defused, and quoted (RFC 4180) when it holds a separator, quote or line end. */
export function csvField(cell: ExportCell): string {
  if (cell === null) return '';
  const text = typeof cell === 'number' ? String(cell) : defuseFormula(cell);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record with its CRLF. */
export function csvLine(cells: readonly ExportCell[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** Stop a file stream for good; later writes or errors on it no longer matter. */
async function destroy(stream: fs.WriteStream): Promise<void> {
  stream.on('error', () => undefined);
  if (stream.closed) return;
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.destroy();
  await closed;
}

/** UTF-8 BOM: without it Excel reads a UTF-8 CSV as the local code page and garbles Chinese. */
const BOM = '\ufeff';

async function openCsvSink(file: string, columns: readonly ExportColumn[]): Promise<ExportSink> {
  const out = fs.createWriteStream(file, { flags: 'w', mode: 0o600 });
  await once(out, 'open');
  const write = async (chunk: string) => {
    if (!out.write(chunk, 'utf8')) await once(out, 'drain');
  };
  await write(BOM + csvLine(columns.map((c) => c.header)));
  return {
    async writeRows(rows) {
      if (rows.length > 0) await write(rows.map(csvLine).join(''));
    },
    async close() {
      out.end();
      await once(out, 'finish');
    },
    abort: () => destroy(out),
  };
}

async function openXlsxSink(file: string, sheetName: string, columns: readonly ExportColumn[]): Promise<ExportSink> {
  const stream = fs.createWriteStream(file, { flags: 'w', mode: 0o600 });
  await once(stream, 'open');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false });
  workbook.creator = '智慧工会';
  const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  // Text columns carry the text format, so a cell edited later in Excel keeps its digits too.
  sheet.columns = columns.map((c) => ({ width: c.width, ...(c.text ? { style: { numFmt: '@' } } : {}) }));
  const header = sheet.addRow(columns.map((c) => c.header));
  header.font = { bold: true };
  header.commit();
  const cell = (v: ExportCell) => (typeof v === 'string' ? defuseFormula(v) : v);
  return {
    async writeRows(rows) {
      for (const row of rows) sheet.addRow(row.map(cell)).commit();
      // Let the zip stream drain between pages instead of queueing the whole export in memory.
      if (stream.writableNeedDrain) await once(stream, 'drain');
    },
    async close() {
      sheet.commit();
      await workbook.commit();
      if (!stream.writableFinished) await once(stream, 'finish');
    },
    // The zip writer may still push bytes into the destroyed stream: those errors are moot.
    abort: () => destroy(stream),
  };
}

export function openExportSink(
  format: ExportFormat,
  file: string,
  sheetName: string,
  columns: readonly ExportColumn[],
): Promise<ExportSink> {
  return format === 'csv' ? openCsvSink(file, columns) : openXlsxSink(file, sheetName, columns);
}
