/**
 * Resident ID numbers (公民身份号码), GB 11643-1999: 6-digit region, 8-digit birth date,
 * 3-digit sequence (odd for men, even for women), 1 check character (ISO 7064 MOD 11-2).
 * Rosters arrive typed by hand and pasted from spreadsheets, so input is normalized first:
 * full-width digits, lowercase x, spaces and dashes are all seen in the wild.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

/**
 * Province-level prefixes of GB/T 2260 (and 71/81/82 for Taiwan, Hong Kong, Macao), enough to
 * refuse an impossible region without shipping the whole code table to every client. The
 * server checks full region codes against the county table where it matters.
 */
export const PROVINCE_PREFIXES: ReadonlySet<string> = new Set(
  '11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82'.split(' '),
);

export type IdNumberProblem = 'empty' | 'length' | 'format' | 'region' | 'date' | 'checksum';

export type IdNumberResult =
  | { ok: true; value: string; regionCode: string; birthDate: string; gender: 'male' | 'female' }
  | { ok: false; problem: IdNumberProblem };

/** Full-width digits and letters to ASCII, x to X, and no spaces or dashes. */
export function normalizeIdNumber(raw: string): string {
  return raw
    .replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\s\u3000\-\u2010-\u2015\uFF0D]/g, '')
    .toUpperCase();
}

export function idNumberCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/** A legacy 15-digit number (1984–1999 issue) to its 18-character form: century 19, check added. */
export function upgradeIdNumber15(id15: string): string {
  const first17 = `${id15.slice(0, 6)}19${id15.slice(6)}`;
  return first17 + idNumberCheckChar(first17);
}

function realDate(yyyymmdd: string, today: Date): string | null {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (y < 1900) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  if (date.getTime() > today.getTime()) return null;
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
}

/** Normalize, upgrade 15 → 18, and check region prefix, date and check character. */
export function parseIdNumber(raw: string, today: Date = new Date()): IdNumberResult {
  let v = normalizeIdNumber(raw);
  if (v.length === 0) return { ok: false, problem: 'empty' };
  if (v.length === 15) {
    if (!/^\d{15}$/.test(v)) return { ok: false, problem: 'format' };
    v = upgradeIdNumber15(v);
  } else if (v.length !== 18) {
    return { ok: false, problem: 'length' };
  }
  if (!/^\d{17}[\dX]$/.test(v)) return { ok: false, problem: 'format' };
  if (!PROVINCE_PREFIXES.has(v.slice(0, 2))) return { ok: false, problem: 'region' };
  const birthDate = realDate(v.slice(6, 14), today);
  if (!birthDate) return { ok: false, problem: 'date' };
  if (idNumberCheckChar(v.slice(0, 17)) !== v[17]) return { ok: false, problem: 'checksum' };
  return {
    ok: true,
    value: v,
    regionCode: v.slice(0, 6),
    birthDate,
    gender: Number(v[16]) % 2 === 1 ? 'male' : 'female',
  };
}

/** Whole years between a birth date (YYYY-MM-DD) and a day. */
export function ageOn(birthDate: string, day: Date): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  let age = day.getUTCFullYear() - y;
  const before = day.getUTCMonth() + 1 < m || (day.getUTCMonth() + 1 === m && day.getUTCDate() < d);
  if (before) age--;
  return age;
}
