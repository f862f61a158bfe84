import type { Writable } from 'node:stream';
import { ERROR_REPORT_REASON_HEADER, type RosterProblem } from '@zhgh/contracts';
import ExcelJS from 'exceljs';
import { headerKeys } from './header-mapping.ts';

/**
 * The error report: the uploaded header plus a last column 错误原因, and one row per bad
 * input row with its cells as they were and all its problems in that column. Every cell is
 * text (ID numbers stay whole). The user fixes the rows in place and uploads the report
 * itself: header mapping ignores 错误原因, so it imports like the original file. Written with
 * exceljs's streaming WorkbookWriter, one row at a time.
 */

export const ERROR_REPORT_SHEET = '错误报告';

export interface ReportRow {
  rowNumber: number;
  cells: readonly string[];
  problems: readonly RosterProblem[];
}

/** All problems of a row in one cell, in Chinese, with the row it came from. */
export function reasonText(rowNumber: number, problems: readonly RosterProblem[]): string {
  return `第 ${rowNumber} 行：${problems.map((p) => p.message['zh-CN']).join('；')}`;
}

/** Write the report; resolves with the number of rows written once the workbook is complete. */
export async function writeErrorReport(
  stream: Writable,
  headers: readonly string[],
  rows: AsyncIterable<ReportRow> | Iterable<ReportRow>,
): Promise<{ rows: number }> {
  // A report uploaded again and failing again gets one reason column, not two.
  const reasonKey = headerKeys(ERROR_REPORT_REASON_HEADER)[0];
  const keep = headers.map((_, i) => i).filter((i) => headerKeys(headers[i] ?? '')[0] !== reasonKey);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet(ERROR_REPORT_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = [
    ...keep.map(() => ({ width: 18, style: { numFmt: '@' } })),
    { width: 60, style: { numFmt: '@', font: { color: { argb: 'FFC00000' } } } },
  ];
  const header = sheet.addRow([...keep.map((i) => headers[i] ?? ''), ERROR_REPORT_REASON_HEADER]);
  header.font = { bold: true };
  header.commit();
  let count = 0;
  for await (const row of rows) {
    const r = sheet.addRow([...keep.map((i) => row.cells[i] ?? ''), reasonText(row.rowNumber, row.problems)]);
    r.commit();
    count++;
  }
  sheet.commit();
  await workbook.commit();
  return { rows: count };
}
