import { PassThrough, type Readable, type Writable } from 'node:stream';
import {
  type CodeItem,
  EDUCATION_LEVELS,
  EMPLOYMENT_TYPES,
  ETHNICITIES,
  GENDERS,
  HOUSEHOLD_TYPES,
  MIN_MEMBER_AGE,
  NEW_FORM_GROUPS,
  POLITICAL_STATUSES,
  ROSTER_FIELD_LABELS,
  ROSTER_FIELDS,
  ROSTER_REQUIRED_FIELDS,
  type RosterField,
} from '@zhgh/contracts';
import ExcelJS from 'exceljs';

/**
 * The roster template, written with exceljs's streaming WorkbookWriter. Sheet 名册 holds only
 * the header (required columns marked *), so the first non-empty row of an upload is the
 * header; ID, phone, bank-card and number columns are formatted as text, so Excel keeps
 * every digit typed into them. Code-list columns get dropdowns from sheet 代码表; sheet
 * 填写说明 says what each column takes.
 */

export const TEMPLATE_FILENAME = '会员名册导入模板.xlsx';
export const ROSTER_SHEET = '名册';
export const GUIDE_SHEET = '填写说明';
export const CODES_SHEET = '代码表';

/** The header text the template writes for a field. */
export function templateHeader(field: RosterField): string {
  const label = ROSTER_FIELD_LABELS[field].zh;
  return ROSTER_REQUIRED_FIELDS.includes(field) ? `${label}*` : label;
}

/** Columns whose digits must stay text: Excel would round or reformat them as numbers. */
const TEXT_FIELDS: ReadonlySet<RosterField> = new Set([
  'idNumber',
  'phone',
  'bankCard',
  'memberNumber',
  'cardNumber',
  'householdRegion',
]);
const DATE_FIELDS: ReadonlySet<RosterField> = new Set(['birthDate', 'joinDate']);

/** The code lists, in the order sheet 代码表 lists them, with the field each serves. */
export const CODE_LISTS: readonly { field: RosterField; title: string; list: readonly CodeItem[] }[] = [
  { field: 'gender', title: '性别', list: GENDERS },
  { field: 'ethnicity', title: '民族', list: ETHNICITIES },
  { field: 'politicalStatus', title: '政治面貌', list: POLITICAL_STATUSES },
  { field: 'education', title: '学历', list: EDUCATION_LEVELS },
  { field: 'householdType', title: '户籍类型', list: HOUSEHOLD_TYPES },
  { field: 'employmentType', title: '用工形式', list: EMPLOYMENT_TYPES },
  { field: 'newFormGroup', title: '新就业形态群体', list: NEW_FORM_GROUPS },
];

const GUIDE: Record<RosterField, string> = {
  name: '与身份证一致',
  idNumber: '18 位居民身份证号（旧的 15 位号码会自动升位）；本列已设为文本格式，请勿改为数字格式',
  gender: '男 或 女；可不填，以身份证号为准，填写时须与身份证号一致',
  birthDate: '如 1990-01-05；可不填，以身份证号为准，填写时须与身份证号一致',
  ethnicity: '见“代码表”，填名称（如 汉族）或代码（如 01）',
  politicalStatus: '见“代码表”',
  education: '见“代码表”',
  householdType: '城镇户口 或 农村户口',
  householdRegion: '6 位行政区划代码（GB/T 2260），如 610113',
  phone: '11 位手机号码，会员用它登录职工端；同一文件内不能重复',
  workUnitName: '会员所在单位的全称',
  employmentType: '见“代码表”：固定职工、农民工、新就业形态劳动者、劳务派遣、灵活就业',
  newFormGroup: '用工形式为“新就业形态劳动者”时必填，见“代码表”',
  joinDate: `如 2024-03-01；不能晚于今天，入会时须年满 ${MIN_MEMBER_AGE} 周岁；不填以导入日期为准`,
  memberNumber: '已有会员编号时填写',
  cardNumber: '已发会员卡时填写',
  bankCard: '12 到 19 位银行卡号，用于发放补助；本列已设为文本格式',
};

const HEADER_FONT = { bold: true, color: { argb: 'FFFFFFFF' } } as const;
const fill = (argb: string): ExcelJS.Fill => ({ type: 'pattern', pattern: 'solid', fgColor: { argb } });
const REQUIRED_FILL = fill('FFC0392B');
const OPTIONAL_FILL = fill('FF2E75B6');
/** Dropdowns and text formats reach this far down; Excel's last row. */
const LAST_ROW = 1_048_576;

function columnLetter(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

interface WithValidations {
  dataValidations: { add(address: string, validation: ExcelJS.DataValidation): void };
}

/** Write the template to a stream; resolves when the workbook is complete. */
export async function writeMemberTemplate(stream: Writable): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false });
  workbook.creator = '智慧工会';

  // Sheet 代码表 rows, computed first: the dropdowns point at them.
  const codeRows: [string, string, string][] = [];
  const ranges = new Map<RosterField, string>();
  for (const { field, title, list } of CODE_LISTS) {
    const first = codeRows.length + 2;
    for (const item of list) codeRows.push([title, item.code, item.zh]);
    ranges.set(field, `'${CODES_SHEET}'!$C$${first}:$C$${codeRows.length + 1}`);
  }

  const roster = workbook.addWorksheet(ROSTER_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  roster.columns = ROSTER_FIELDS.map((field) => ({
    key: field,
    width: field === 'idNumber' || field === 'bankCard' ? 24 : field === 'workUnitName' ? 30 : 14,
    style: TEXT_FIELDS.has(field) ? { numFmt: '@' } : DATE_FIELDS.has(field) ? { numFmt: 'yyyy-mm-dd' } : {},
  }));
  const header = roster.addRow(ROSTER_FIELDS.map(templateHeader));
  header.eachCell((cell, col) => {
    const field = ROSTER_FIELDS[col - 1]!;
    cell.font = HEADER_FONT;
    cell.fill = ROSTER_REQUIRED_FIELDS.includes(field) ? REQUIRED_FILL : OPTIONAL_FILL;
    cell.numFmt = '@';
    cell.note = GUIDE[field];
  });
  header.commit();
  ROSTER_FIELDS.forEach((field, index) => {
    const range = ranges.get(field);
    if (!range) return;
    const col = columnLetter(index);
    // The streaming sheet has dataValidations like the in-memory one; its typings omit them.
    (roster as unknown as WithValidations).dataValidations.add(`${col}2:${col}${LAST_ROW}`, {
      type: 'list',
      allowBlank: true,
      formulae: [range],
      showErrorMessage: true,
      errorStyle: 'warning',
      errorTitle: ROSTER_FIELD_LABELS[field].zh,
      error: '请从下拉列表中选择，或参见“代码表”',
    });
  });
  roster.commit();

  const guide = workbook.addWorksheet(GUIDE_SHEET);
  guide.columns = [{ width: 20 }, { width: 8 }, { width: 90 }];
  const guideHeader = guide.addRow(['列名', '必填', '填写要求']);
  guideHeader.font = { bold: true };
  guideHeader.commit();
  for (const field of ROSTER_FIELDS) {
    guide.addRow([templateHeader(field), ROSTER_REQUIRED_FIELDS.includes(field) ? '是' : '否', GUIDE[field]]).commit();
  }
  guide.addRow([]).commit();
  for (const line of [
    '1. 在“名册”表第 2 行起每行填写一人，不要改动表头；列的顺序可以调整，多余的列会被忽略。',
    '2. 身份证号、手机号码、银行卡号等列已设为文本格式：从别处粘贴时请用“选择性粘贴 → 数值”，以免格式被改回数字。',
    '3. 性别和出生日期以身份证号为准，可以不填；填写时须与身份证号一致。',
    '4. 导入后如有错误，可下载错误报告：改正后直接上传错误报告即可，“错误原因”列会被忽略。',
    '5. 也可以上传 CSV 文件（UTF-8 或 GBK 编码），表头与本模板相同。',
  ]) {
    guide.addRow([line]).commit();
  }
  guide.commit();

  const codes = workbook.addWorksheet(CODES_SHEET);
  codes.columns = [{ width: 16 }, { width: 10 }, { width: 28 }];
  const codesHeader = codes.addRow(['代码表', '代码', '名称']);
  codesHeader.font = { bold: true };
  codesHeader.commit();
  for (const row of codeRows) {
    const r = codes.addRow(row);
    r.getCell(2).numFmt = '@';
    r.commit();
  }
  codes.commit();

  await workbook.commit();
}

/** The template as a stream of bytes, for a download answer. */
export function memberTemplateStream(): Readable {
  const out = new PassThrough();
  writeMemberTemplate(out).catch((err: unknown) => out.destroy(err as Error));
  return out;
}
