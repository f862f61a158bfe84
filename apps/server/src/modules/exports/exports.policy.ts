import { EXPORT_RETENTION_DAYS, type ExportFormat } from '@zhgh/contracts';

/**
 * Rules of exports that need no data: formula defusing, file names, retention.
 */

/**
 * A spreadsheet runs a cell starting with = + - @ (and, in some, a tab or carriage return)
 * as a formula: a member named `=HYPERLINK(…)` would become a link that leaks data or runs
 * commands on the reader's machine (CSV/formula injection, OWASP). Such cells get a leading
 * apostrophe, which spreadsheets show as text and people read past.
 */
export function defuseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Characters Windows and macOS refuse in file names (control characters too, below). */
const UNSAFE_NAME = /[\\/:*?"<>|]/g;

/** `会员名册_某某工会_2026-11-23.xlsx`: what the download is called. */
export function exportFilename(title: string, orgName: string, date: string, format: ExportFormat): string {
  const name = [...orgName.replace(UNSAFE_NAME, '_')]
    .map((c) => (c.charCodeAt(0) < 0x20 ? '_' : c))
    .join('')
    .slice(0, 80);
  return `${title}_${name}_${date}.${format}`;
}

export const RETENTION_MS = EXPORT_RETENTION_DAYS * 24 * 60 * 60 * 1000;

/** A file finished at `finishedAt` is past retention at `now`. */
export function isExpired(finishedAt: string | Date, now: Date): boolean {
  return now.getTime() - new Date(finishedAt).getTime() > RETENTION_MS;
}

/** Birth date in a masked export: the year only, as much as the age every screen shows. */
export function maskBirthDate(date: string): string {
  return `${date.slice(0, 4)}-**-**`;
}
