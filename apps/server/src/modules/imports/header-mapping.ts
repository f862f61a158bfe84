import {
  ERROR_REPORT_REASON_HEADER,
  ROSTER_FIELD_LABELS,
  ROSTER_FIELDS,
  ROSTER_REQUIRED_FIELDS,
  type RosterField,
} from '@zhgh/contracts';
import { toHalfWidth } from './values.ts';

/**
 * Which column holds which roster field. The header is the first non-empty row; its texts
 * are matched against the variants rosters use (姓名/名字, 身份证号/公民身份号码/证件号码 …)
 * regardless of spaces, full-width characters, brackets, required marks (*) and remarks in
 * brackets (手机号码（必填）). A user may override any column; the error report's reason
 * column and a serial-number column are skipped on purpose.
 */

const VARIANTS: Record<RosterField, readonly string[]> = {
  name: ['姓名', '名字', '会员姓名', '职工姓名', '员工姓名'],
  idNumber: [
    '身份证号',
    '身份证号码',
    '身份证',
    '公民身份号码',
    '公民身份证号码',
    '居民身份证号',
    '居民身份证号码',
    '证件号码',
    '证件号',
  ],
  gender: ['性别'],
  birthDate: ['出生日期', '出生年月', '出生年月日', '生日'],
  ethnicity: ['民族'],
  politicalStatus: ['政治面貌'],
  education: ['学历', '文化程度', '最高学历'],
  householdType: ['户籍类型', '户口性质', '户口类型', '户籍性质'],
  householdRegion: [
    '户籍地',
    '户籍所在地',
    '户籍地区划代码',
    '户籍所在地区划代码',
    '户籍地行政区划代码',
    '户籍所在地行政区划代码',
  ],
  phone: ['手机', '手机号', '手机号码', '联系电话', '电话', '电话号码', '联系方式', '移动电话'],
  workUnitName: ['工作单位', '单位名称', '所在单位', '单位', '工作单位名称'],
  employmentType: ['用工形式', '就业类型', '职工类型', '用工类型', '就业形式'],
  newFormGroup: ['新就业形态群体', '新就业形态类型', '新就业形态', '新就业群体'],
  joinDate: ['入会时间', '入会日期', '入会年月'],
  memberNumber: ['会员编号', '会员号'],
  cardNumber: ['会员卡号', '会员证号', '会员证卡号', '工会会员卡号'],
  bankCard: ['银行卡号', '银行卡', '银行账号', '银行卡账号', '工资卡号'],
};

/** Columns read by nobody, on purpose: not worth a warning. */
const IGNORED = [ERROR_REPORT_REASON_HEADER, '序号', '行号', '编号序号'];

const BRACKETS = /[()[\]{}<>（）【】［］｛｝〔〕《》〈〉「」『』]/g;
const BRACKETED = /[(（【［〔《〈「『][^)）】］〕》〉」』]*[)）】］〕》〉」』]/g;

/**
 * Two comparable forms of a header: brackets dropped but their text kept (户籍地(区划代码) →
 * 户籍地区划代码), and bracketed text dropped entirely (手机号码（必填） → 手机号码).
 */
export function headerKeys(header: string): string[] {
  const base = toHalfWidth(header)
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s*＊:：_]/g, '');
  const kept = base.replace(BRACKETS, '');
  const dropped = base.replace(BRACKETED, '').replace(BRACKETS, '');
  return kept === dropped ? [kept] : [kept, dropped];
}

const LOOKUP: ReadonlyMap<string, RosterField> = (() => {
  const map = new Map<string, RosterField>();
  for (const field of ROSTER_FIELDS) {
    for (const v of [...VARIANTS[field], ROSTER_FIELD_LABELS[field].zh, ROSTER_FIELD_LABELS[field].en, field]) {
      for (const key of headerKeys(v)) map.set(key, field);
    }
  }
  return map;
})();
const IGNORED_KEYS = new Set(IGNORED.flatMap(headerKeys));

/** The field a header names, `ignore` for a skipped column, or null. */
export function recogniseHeader(header: string): RosterField | 'ignore' | null {
  for (const key of headerKeys(header)) {
    if (IGNORED_KEYS.has(key)) return 'ignore';
    const hit = LOOKUP.get(key);
    if (hit) return hit;
  }
  return null;
}

export type MappingOverride = Record<string, RosterField | 'ignore'>;

export interface MappedColumn {
  index: number;
  header: string;
  field: RosterField;
  source: 'detected' | 'override';
}
export interface UnmappedColumn {
  index: number;
  header: string;
  reason: 'unknown' | 'duplicate' | 'ignored';
}

export interface HeaderMapping {
  mapped: MappedColumn[];
  unmapped: UnmappedColumn[];
  missingRequired: RosterField[];
  /** Column index of each mapped field. */
  columnOf: Partial<Record<RosterField, number>>;
  /** The header texts, for naming columns in problems and in the error report. */
  headers: string[];
}

export class MappingOverrideError extends Error {
  constructor(readonly columnIndex: string) {
    super(`mapping names column ${columnIndex}, which the header does not have`);
  }
}

/**
 * Map a header row. An override wins over detection, and a field claimed by an override is
 * taken from the column that would have had it; otherwise the first column naming a field
 * gets it and later ones are reported as duplicates.
 */
export function mapHeader(headerCells: readonly string[], override: MappingOverride = {}): HeaderMapping {
  const headers = headerCells.map((h) => (h ?? '').trim());
  for (const key of Object.keys(override)) {
    if (Number(key) >= headers.length) throw new MappingOverrideError(key);
  }
  const claimed = new Set(Object.values(override).filter((f): f is RosterField => f !== 'ignore'));
  const mapped: MappedColumn[] = [];
  const unmapped: UnmappedColumn[] = [];
  const columnOf: Partial<Record<RosterField, number>> = {};
  const take = (index: number, field: RosterField, source: MappedColumn['source']) => {
    if (columnOf[field] !== undefined) {
      unmapped.push({ index, header: headers[index]!, reason: 'duplicate' });
      return;
    }
    columnOf[field] = index;
    mapped.push({ index, header: headers[index]!, field, source });
  };
  // Overrides first, so they hold their fields whatever column order.
  for (const [key, field] of Object.entries(override)) {
    if (field !== 'ignore') take(Number(key), field, 'override');
  }
  headers.forEach((header, index) => {
    if (Object.hasOwn(override, String(index))) {
      if (override[String(index)] === 'ignore') unmapped.push({ index, header, reason: 'ignored' });
      return;
    }
    if (header === '') return;
    const field = recogniseHeader(header);
    if (field === 'ignore') unmapped.push({ index, header, reason: 'ignored' });
    else if (field === null) unmapped.push({ index, header, reason: 'unknown' });
    else if (claimed.has(field)) unmapped.push({ index, header, reason: 'duplicate' });
    else take(index, field, 'detected');
  });
  mapped.sort((a, b) => a.index - b.index);
  unmapped.sort((a, b) => a.index - b.index);
  const missingRequired = ROSTER_REQUIRED_FIELDS.filter((f) => columnOf[f] === undefined);
  return { mapped, unmapped, missingRequired, columnOf, headers };
}
