import type { CodeItem } from '@zhgh/contracts';

/**
 * Cell text to values, as rosters really arrive: dates typed six ways or stored as Excel
 * serials, digits full-width or with spaces, numbers that Excel already rounded, code-list
 * values by code, label or a common synonym. Each parser answers a value or says why not;
 * the row validator turns that into a problem naming the column.
 */

const WIDE = /[\uFF01-\uFF5E\u3000]/;

/** Full-width ASCII (０-９, Ａ-Ｚ, ，…) and the ideographic space to their plain forms. */
export function toHalfWidth(s: string): string {
  if (!WIDE.test(s)) return s;
  return s.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
}

/** Trimmed text, empty as null. */
export function text(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  // trim() removes every Unicode space, the ideographic one (U+3000) included.
  const t = raw.trim();
  return t === '' ? null : t;
}

/**
 * Digits typed or pasted as text: half-width, without spaces and dashes, without Excel's
 * leading apostrophe, without a `.0` a number format added.
 */
export function digitText(raw: string): string {
  return toHalfWidth(raw)
    .replace(/^'/, '')
    .replace(/[\s\-\u2010-\u2015]/g, '')
    .replace(/\.0+$/, '');
}

/**
 * A long number Excel stored as a number: it keeps 15 significant digits and shows larger
 * ones as `6.10102199001011E+17`. An ID number or bank card in that state has lost digits
 * for good; the user must retype it as text.
 */
export function isScientific(raw: string): boolean {
  return /^\d+(\.\d+)?E\+?\d+$/.test(digitText(raw).toUpperCase());
}

/**
 * The same number once formatted back into digits: the digits past the fifteenth are zeros.
 * Real numbers end that way too, so this only explains a number that fails its check, and
 * only from two zeros on (a 16-digit typo ends in 0 one time in ten).
 */
export function hasRoundedTail(raw: string): boolean {
  return /^[1-9]\d{14}00+$/.test(digitText(raw));
}

const MS_PER_DAY = 86_400_000;
/** 1899-12-30: day 0 of Excel's 1900 date system, once its phantom 1900-02-29 is accounted for. */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
/** Excel's largest date, 9999-12-31. */
const MAX_SERIAL = 2_958_465;

/**
 * An Excel date serial (1900 date system) to YYYY-MM-DD, time of day dropped. Excel treats
 * 1900 as a leap year (a Lotus 1-2-3 bug it kept): serial 60 is 1900-02-29, a day that never
 * was, and serials 1–59 sit one day later than a plain count from 1899-12-30 gives.
 */
export function excelSerialToIso(serial: number): string | null {
  if (!Number.isFinite(serial) || serial < 1 || serial >= MAX_SERIAL + 1) return null;
  const day = Math.floor(serial + 1e-9);
  if (day === 60) return null;
  const shifted = day < 60 ? day + 1 : day;
  return new Date(EXCEL_EPOCH_MS + shifted * MS_PER_DAY).toISOString().slice(0, 10);
}

export interface ParsedDate {
  value: string;
  /** `month` for 出生年月-style values (1990.01, 1990年1月): day 01 is filled in. */
  precision: 'day' | 'month';
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function realDay(y: number, m: number, d: number): string | null {
  if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1) return null;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1]!)) return null;
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/**
 * Dates as typed: 2020-01-05, 2020/1/5, 2020.1.5, 2020年1月5日, 20200105, with a time part
 * after them ignored; year and month alone (1990.01, 1990-1, 1990年1月, 199001); and Excel
 * serials (43835), as a date column formatted General shows them.
 */
export function parseDate(raw: string): ParsedDate | null {
  const v = toHalfWidth(raw).trim();
  if (v === '') return null;
  let m =
    /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/.exec(v);
  if (m) {
    const value = realDay(Number(m[1]), Number(m[2]), Number(m[3]));
    return value ? { value, precision: 'day' } : null;
  }
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
  if (m) {
    const value = realDay(Number(m[1]), Number(m[2]), Number(m[3]));
    return value ? { value, precision: 'day' } : null;
  }
  m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$/.exec(v);
  if (m) {
    const value = realDay(Number(m[1]), Number(m[2]), 1);
    return value ? { value, precision: 'month' } : null;
  }
  m = /^((?:19|20)\d{2})(0[1-9]|1[0-2])$/.exec(v);
  if (m) return { value: `${m[1]}-${m[2]}-01`, precision: 'month' };
  // Serials from 10000 (1927-05-18) on: a shorter number is more likely a year than a date.
  if (/^\d{5,7}(\.\d+)?$/.test(v)) {
    const value = excelSerialToIso(Number(v));
    return value ? { value, precision: 'day' } : null;
  }
  return null;
}

/**
 * Labels people write that are not the code list's own: 党员 for 中共党员, 男性 for 男,
 * 农业户口 for 农村户口 … keyed by the normalized text.
 */
const SYNONYMS: Record<string, string> = {
  男性: '男',
  女性: '女',
  党员: '中共党员',
  共产党员: '中共党员',
  预备党员: '中共预备党员',
  团员: '共青团员',
  无党派: '无党派人士',
  小学: '小学及以下',
  中专: '中专/技校',
  技校: '中专/技校',
  职高: '中专/技校',
  中技: '中专/技校',
  专科: '大专',
  大学专科: '大专',
  大学本科: '本科',
  大学: '本科',
  硕士: '硕士研究生',
  研究生: '硕士研究生',
  博士: '博士研究生',
  城镇: '城镇户口',
  城市户口: '城镇户口',
  非农业户口: '城镇户口',
  非农: '城镇户口',
  农村: '农村户口',
  农业户口: '农村户口',
  农业: '农村户口',
  固定工: '固定职工',
  合同工: '固定职工',
  正式工: '固定职工',
  劳务派遣工: '劳务派遣',
  派遣: '劳务派遣',
  灵活就业人员: '灵活就业',
  新就业形态: '新就业形态劳动者',
  外卖骑手: '外卖送餐员',
  骑手: '外卖送餐员',
  快递小哥: '快递员',
  网约车驾驶员: '网约车司机',
  家政服务人员: '家政服务员',
  护工: '护工护理员',
  保安: '保安员',
};

/** For display in a problem: the first labels of a list. */
export function allowedLabels(list: readonly CodeItem[], max = 8): string {
  const labels = list.slice(0, max).map((i) => i.zh);
  return list.length > max ? `${labels.join('、')}…（见模板“代码表”）` : labels.join('、');
}

const INDEXES = new WeakMap<readonly CodeItem[], Map<string, string>>();

/** Every spelling of every item of a list (code, labels, synonyms, 汉 for 汉族) to its code. */
function indexOf(list: readonly CodeItem[]): Map<string, string> {
  let index = INDEXES.get(list);
  if (index) return index;
  index = new Map();
  for (const item of list) {
    index.set(item.code, item.code);
    index.set(item.code.toLowerCase(), item.code);
    index.set(item.zh, item.code);
    index.set(item.en.toLowerCase(), item.code);
    index.set(item.en.toLowerCase().replace(/\s+/g, ''), item.code);
    // Ethnic groups also go without 族 (汉 → 汉族); two-digit codes typed as numbers lose
    // their leading zero (1 for 01).
    if (item.zh.endsWith('族') && item.zh.length >= 2) index.set(item.zh.slice(0, -1), item.code);
    if (/^0\d$/.test(item.code)) index.set(item.code.slice(1), item.code);
  }
  for (const [synonym, label] of Object.entries(SYNONYMS)) {
    const code = index.get(label);
    if (code !== undefined && !index.has(synonym)) index.set(synonym, code);
  }
  INDEXES.set(list, index);
  return index;
}

/**
 * A code-list value by its code, its Chinese label, its English label or a common synonym;
 * full-width text, stray spaces and letter case do not matter.
 */
export function parseCode<L extends readonly CodeItem[]>(list: L, raw: string): L[number]['code'] | null {
  const v = toHalfWidth(raw).replace(/\s+/g, '');
  if (v === '') return null;
  const index = indexOf(list);
  return (index.get(v) ?? index.get(v.toLowerCase()) ?? null) as L[number]['code'] | null;
}

/** Mainland mobile numbers, with an optional +86 / 86 / 0086 prefix removed. */
export function parsePhone(raw: string): string | null {
  const v = digitText(raw)
    .replace(/^\+/, '')
    .replace(/^(0086|86)(?=1\d{10}$)/, '');
  return /^1[3-9]\d{9}$/.test(v) ? v : null;
}
