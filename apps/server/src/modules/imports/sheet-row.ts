/**
 * One row of a spreadsheet or CSV file as text, the shape every reader yields: the readers
 * know files, not rosters. `rowNumber` is what Excel shows at the left (1-based, blank rows
 * counted), so a problem names the row the user will look for. `cells[0]` is column A.
 */
export interface SheetRow {
  rowNumber: number;
  cells: string[];
}

/** A reader's answer: rows one at a time, so a million rows never sit in memory together. */
export type SheetRows = AsyncIterable<SheetRow>;

/** A row with nothing but blanks in it. */
export function isBlankRow(cells: readonly string[]): boolean {
  for (const c of cells) if (c !== undefined && c.trim() !== '') return false;
  return true;
}
