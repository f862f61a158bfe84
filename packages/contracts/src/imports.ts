import { z } from 'zod';
import {
  codesOf,
  EDUCATION_LEVELS,
  EMPLOYMENT_TYPES,
  ETHNICITIES,
  GENDERS,
  HOUSEHOLD_TYPES,
  NEW_FORM_GROUPS,
  POLITICAL_STATUSES,
} from './code-lists.ts';
import { idSchema } from './common.ts';
import { jobOutput } from './jobs.ts';
import { defineRoute, fileAnswer } from './route.ts';

/**
 * Roster import (名册导入): the fields of one roster row, the problems a row can have, and
 * the routes that hand out the template and preview an uploaded file. The members module's
 * create body uses the same field names, so a validated row goes into it unchanged.
 */

/** The fields of a roster row, in template column order. */
export const ROSTER_FIELDS = [
  'name',
  'idNumber',
  'gender',
  'birthDate',
  'ethnicity',
  'politicalStatus',
  'education',
  'householdType',
  'householdRegion',
  'phone',
  'workUnitName',
  'employmentType',
  'newFormGroup',
  'joinDate',
  'memberNumber',
  'cardNumber',
  'bankCard',
] as const;
export type RosterField = (typeof ROSTER_FIELDS)[number];

/**
 * Columns a roster must have, as the members module's register body requires them. The join
 * date may be left out: the import takes the day of the import.
 */
export const ROSTER_REQUIRED_FIELDS: readonly RosterField[] = [
  'name',
  'idNumber',
  'ethnicity',
  'politicalStatus',
  'education',
  'householdType',
  'householdRegion',
  'employmentType',
];

/** Canonical header of each field, as the template writes it (required ones get a `*`). */
export const ROSTER_FIELD_LABELS: Record<RosterField, { zh: string; en: string }> = {
  name: { zh: '姓名', en: 'Name' },
  idNumber: { zh: '身份证号', en: 'ID number' },
  gender: { zh: '性别', en: 'Gender' },
  birthDate: { zh: '出生日期', en: 'Birth date' },
  ethnicity: { zh: '民族', en: 'Ethnicity' },
  politicalStatus: { zh: '政治面貌', en: 'Political status' },
  education: { zh: '学历', en: 'Education' },
  householdType: { zh: '户籍类型', en: 'Household type' },
  householdRegion: { zh: '户籍地(区划代码)', en: 'Household region code' },
  phone: { zh: '手机号码', en: 'Mobile phone' },
  workUnitName: { zh: '工作单位', en: 'Work unit' },
  employmentType: { zh: '用工形式', en: 'Employment type' },
  newFormGroup: { zh: '新就业形态群体', en: 'New-form group' },
  joinDate: { zh: '入会日期', en: 'Join date' },
  memberNumber: { zh: '会员编号', en: 'Member number' },
  cardNumber: { zh: '会员卡号', en: 'Member card number' },
  bankCard: { zh: '银行卡号', en: 'Bank card number' },
};

/** Header of the reason column in an error report; ignored when the report is uploaded again. */
export const ERROR_REPORT_REASON_HEADER = '错误原因';

/**
 * Members must be at least this old on the day they join: the minimum working age of the
 * Labour Law (Art. 15). The members module's own checks use it too.
 */
export const MIN_MEMBER_AGE = 16;

/** The preview shows this many rows as parsed … */
export const PREVIEW_SAMPLE_ROWS = 20;
/** … and checks this many rows for problems. */
export const PREVIEW_SCAN_ROWS = 1_000;

/** Default upload limit of a roster file; the server's IMPORT_MAX_BYTES may change it. */
export const IMPORT_DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** One validated roster row: what the members module's create body takes. */
export const rosterRow = z.object({
  name: z.string().min(2).max(50).describe('Full name as on the ID card'),
  idNumber: z.string().length(18).describe('Resident ID number, normalized to 18 characters (GB 11643)'),
  gender: z.enum(codesOf(GENDERS)).describe('From the ID number; a typed value must agree'),
  birthDate: isoDate.describe('From the ID number (YYYY-MM-DD); a typed value must agree'),
  ethnicity: z.enum(codesOf(ETHNICITIES)).describe('GB 3304 code, 01–56, 97, 98'),
  politicalStatus: z.enum(codesOf(POLITICAL_STATUSES)).describe('Political status code'),
  education: z.enum(codesOf(EDUCATION_LEVELS)).describe('Education level code'),
  householdType: z.enum(codesOf(HOUSEHOLD_TYPES)).describe('urban or rural household'),
  householdRegion: z
    .string()
    .regex(/^\d{6}$/)
    .describe('Household registration region, GB/T 2260 code of a real region'),
  phone: z
    .string()
    .regex(/^1[3-9]\d{9}$/)
    .nullable()
    .describe('Mainland mobile number, 11 digits, unique in the file'),
  workUnitName: z.string().max(100).nullable().describe('Name of the work unit, as written in the roster'),
  employmentType: z.enum(codesOf(EMPLOYMENT_TYPES)).describe('Employment type code'),
  newFormGroup: z.enum(codesOf(NEW_FORM_GROUPS)).nullable().describe('New-form group; required for new_form'),
  joinDate: isoDate
    .nullable()
    .describe('Day the person joined the union (YYYY-MM-DD), not in the future; null: the day of the import'),
  memberNumber: z
    .string()
    .regex(/^[A-Za-z0-9-]{4,32}$/)
    .nullable()
    .describe('Member number, when the union already gave one: 4–32 letters, digits or -'),
  cardNumber: z
    .string()
    .regex(/^[A-Za-z0-9-]{4,32}$/)
    .nullable()
    .describe('Member card number, when already issued: 4–32 letters, digits or -'),
  bankCard: z
    .string()
    .regex(/^\d{12,19}$/)
    .nullable()
    .describe('Bank card for payouts: 12–19 digits passing the Luhn check'),
});
export type RosterRow = z.infer<typeof rosterRow>;

/** Why a roster row cannot be imported as it is. Each code has a message in both locales. */
export const ROSTER_PROBLEM_CODES = [
  'required',
  'too_short',
  'too_long',
  'number_format',
  'id_length',
  'id_format',
  'id_region',
  'id_date',
  'id_checksum',
  'id_as_number',
  'gender_unknown',
  'gender_mismatch',
  'date_invalid',
  'birth_date_mismatch',
  'join_date_future',
  'under_age',
  'phone_invalid',
  'code_unknown',
  'region_unknown',
  'new_form_group_required',
  'new_form_group_unexpected',
  'bank_card_invalid',
  'bank_card_checksum',
  'number_as_number',
  'duplicate_id_number',
  'duplicate_phone',
  // Found by the import job against the database, not by the preview.
  'duplicate_in_database',
  'phone_taken',
  'member_number_taken',
  'duplicate_member_number',
] as const;
export type RosterProblemCode = (typeof ROSTER_PROBLEM_CODES)[number];

/** What a message may mention besides the column. */
export interface RosterProblemParams {
  /** The column's header as the file has it. */
  column?: string;
  /** For duplicates: the earlier row. */
  otherRow?: number;
  /** For duplicate_in_database: the union holding the membership, when the importer may see it. */
  orgName?: string;
  /** For too_long, too_short and under_age: the limit. */
  max?: number;
  /** For code_unknown: a few allowed labels. */
  allowed?: string;
  /** For birth_date_mismatch and gender_mismatch: what the ID number says. */
  expected?: string;
}

/** The message of a roster problem in both locales; exhaustive so no code ships untranslated. */
export function rosterProblemMessage(
  code: RosterProblemCode,
  p: RosterProblemParams = {},
): { 'zh-CN': string; en: string } {
  const c = p.column ?? '';
  const m = (zh: string, en: string) => ({ 'zh-CN': zh, en });
  switch (code) {
    case 'required':
      return m(`${c}不能为空`, `${c} is required`);
    case 'too_short':
      return m(`${c}过短，至少 ${p.max} 个字符`, `${c} is too short: at least ${p.max} characters`);
    case 'number_format':
      return m(`${c}只能由 4 到 32 位字母、数字或 - 组成`, `${c} must be 4 to 32 letters, digits or dashes`);
    case 'too_long':
      return m(`${c}过长，最多 ${p.max} 个字符`, `${c} is too long: at most ${p.max} characters`);
    case 'id_length':
      return m('身份证号应为 18 位（或旧的 15 位）', 'The ID number must have 18 characters (or the old 15)');
    case 'id_format':
      return m(
        '身份证号只能是数字，最后一位可以是 X',
        'The ID number must be digits, with an X allowed as the last character',
      );
    case 'id_region':
      return m('身份证号前两位不是有效的省份代码', 'The first two digits of the ID number are not a province');
    case 'id_date':
      return m('身份证号中的出生日期不存在或在未来', 'The birth date inside the ID number is not a real past day');
    case 'id_checksum':
      return m(
        '身份证号校验位不正确，请核对是否有数字录错',
        'The check character of the ID number is wrong; a digit is probably mistyped',
      );
    case 'id_as_number':
      return m(
        '身份证号被 Excel 存成了数字（如 6.10102E+17），后几位已经丢失：请把该列设置为“文本”格式后重新录入',
        'Excel stored the ID number as a number (like 6.10102E+17) and lost its last digits: format the column as Text and type the numbers again',
      );
    case 'gender_unknown':
      return m('性别只能填“男”或“女”', 'Gender must be 男 (male) or 女 (female)');
    case 'gender_mismatch':
      return m(
        `性别与身份证号不一致（身份证号为${p.expected}）`,
        `The gender does not match the ID number (which says ${p.expected})`,
      );
    case 'date_invalid':
      return m(
        `${c}不是有效日期，可写作 2020-01-05、2020/1/5、2020.1.5、2020年1月5日或 20200105`,
        `${c} is not a valid date; write e.g. 2020-01-05, 2020/1/5, 2020.1.5 or 20200105`,
      );
    case 'birth_date_mismatch':
      return m(
        `出生日期与身份证号不一致（身份证号为 ${p.expected}）`,
        `The birth date does not match the ID number (which says ${p.expected})`,
      );
    case 'join_date_future':
      return m('入会日期不能晚于今天', 'The join date cannot be in the future');
    case 'under_age':
      return m(
        `入会时未满 ${p.max} 周岁`,
        `The person was under ${p.max} on the join date (or today, when no join date is given)`,
      );
    case 'phone_invalid':
      return m('手机号码应为 11 位大陆手机号', 'The phone must be an 11-digit mainland mobile number');
    case 'code_unknown':
      return m(`${c}不是可选的值，可选：${p.allowed}`, `${c} is not one of the allowed values: ${p.allowed}`);
    case 'region_unknown':
      return m(
        '户籍地应为 6 位行政区划代码（GB/T 2260），如 610113',
        'The household region must be a 6-digit GB/T 2260 region code, e.g. 610113',
      );
    case 'new_form_group_required':
      return m('用工形式为新就业形态劳动者时，必须填写新就业形态群体', 'New-form workers need their new-form group');
    case 'new_form_group_unexpected':
      return m(
        '只有新就业形态劳动者才填写新就业形态群体',
        'Only new-form workers have a new-form group; check the employment type',
      );
    case 'bank_card_invalid':
      return m('银行卡号应为 12 到 19 位数字', 'The bank card number must be 12 to 19 digits');
    case 'bank_card_checksum':
      return m(
        '银行卡号校验不通过，请核对是否有数字录错',
        'The bank card number fails its check; a digit is probably mistyped',
      );
    case 'number_as_number':
      return m(
        `${c}被 Excel 存成了数字，超过 15 位的部分已经丢失：请把该列设置为“文本”格式后重新录入`,
        `Excel stored ${c} as a number and lost digits beyond the 15th: format the column as Text and type it again`,
      );
    case 'duplicate_id_number':
      return m(`身份证号与第 ${p.otherRow} 行重复`, `The ID number repeats row ${p.otherRow}`);
    case 'duplicate_phone':
      return m(`手机号码与第 ${p.otherRow} 行重复`, `The phone number repeats row ${p.otherRow}`);
    case 'duplicate_in_database':
      return p.orgName
        ? m(
            `此人已是「${p.orgName}」的会员，请由该工会办理会籍转出（会籍接转）后再导入`,
            `This person is already a member of "${p.orgName}"; that union must transfer the membership out first`,
          )
        : m(
            '此人已是其他工会的会员，请其原工会办理会籍转出（会籍接转），或请上级工会协助查询',
            'This person is already a member of another union; their union must transfer the membership out first',
          );
    case 'phone_taken':
      return m('该手机号已登记在另一名会员名下', 'This phone number is already registered to another person');
    case 'member_number_taken':
      return m('该会员编号已被另一名在册会员使用', 'This member number belongs to another open membership');
    case 'duplicate_member_number':
      return m(`会员编号与第 ${p.otherRow} 行重复`, `The member number repeats row ${p.otherRow}`);
  }
}

const localized = z
  .object({
    'zh-CN': z.string().describe('Chinese'),
    en: z.string().describe('English'),
  })
  .describe('The message in both locales');

/** One problem of one row, named by the column the user sees. */
export const rosterProblem = z.object({
  row: z.number().int().describe('Row number in the file, as Excel shows it'),
  column: z.string().nullable().describe('The column header as written in the file; null when the column is absent'),
  field: z.enum(ROSTER_FIELDS).nullable().describe('The roster field; null for a problem of the whole row'),
  code: z.enum(ROSTER_PROBLEM_CODES).describe('Stable problem code'),
  message: localized,
});
export type RosterProblem = z.infer<typeof rosterProblem>;

const mappedColumn = z.object({
  index: z.number().int().describe('Column index, from 0 (A = 0)'),
  header: z.string().describe('Header text as written in the file'),
  field: z.enum(ROSTER_FIELDS).describe('The roster field this column fills'),
  source: z.enum(['detected', 'override']).describe('Recognised from the header, or set by the mapping field'),
});
const unmappedColumn = z.object({
  index: z.number().int().describe('Column index, from 0 (A = 0)'),
  header: z.string().describe('Header text as written in the file'),
  reason: z
    .enum(['unknown', 'duplicate', 'ignored'])
    .describe(
      'unknown: no field has this header; duplicate: another column already fills the field; ignored: a column the import skips on purpose (错误原因, 序号, or mapped to "ignore")',
    ),
});

/** `{ "columnIndex": field or "ignore" }`, sent as a JSON text field of the form. */
export const mappingOverride = z.record(
  z.string().regex(/^\d{1,4}$/, 'must be a column index'),
  z.enum([...ROSTER_FIELDS, 'ignore']),
);

/** The text fields of the preview form; the file travels in the `file` part. */
export const memberPreviewFields = z.strictObject({
  orgId: idSchema.describe('The union the roster is for; must be in your member.import scope'),
  mapping: z
    .string()
    .max(20_000)
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(mappingOverride)
    .optional()
    .describe('JSON object {"columnIndex": field or "ignore"} overriding the detected header mapping; indexes from 0'),
});

const previewValues = z
  .object(
    Object.fromEntries(
      ROSTER_FIELDS.map((f) => [f, z.string().nullable().describe(`${ROSTER_FIELD_LABELS[f].en} as parsed`)]),
    ) as Record<RosterField, z.ZodNullable<z.ZodString>>,
  )
  .describe(
    'Each field as parsed (codes for code lists, YYYY-MM-DD for dates); null when empty or unreadable. ID numbers, phones and bank cards are masked',
  );

export const memberPreviewOutput = z.object({
  format: z.enum(['xlsx', 'csv']).describe('What the file is, judged by its content rather than its name'),
  encoding: z
    .enum(['utf-8', 'utf-8-bom', 'gbk', 'utf-16le', 'utf-16be'])
    .nullable()
    .describe('Text encoding detected for CSV; null for xlsx'),
  delimiter: z.enum([',', '\t', ';']).nullable().describe('Field separator detected for CSV; null for xlsx'),
  headerRow: z.number().int().describe('Row number of the header (the first non-empty row)'),
  mapping: z
    .object({
      mapped: z.array(mappedColumn).describe('Columns that fill a roster field'),
      unmapped: z.array(unmappedColumn).describe('Columns the import will not read'),
      missingRequired: z.array(z.enum(ROSTER_FIELDS)).describe('Required fields no column fills'),
    })
    .describe('How the columns were understood'),
  rows: z
    .array(
      z.object({
        row: z.number().int().describe('Row number in the file'),
        values: previewValues,
        ok: z.boolean().describe('The row has no problems'),
      }),
    )
    .describe(`The first ${PREVIEW_SAMPLE_ROWS} data rows as parsed`),
  problems: z.array(rosterProblem).describe(`Problems found in the first ${PREVIEW_SCAN_ROWS} data rows`),
  rowsScanned: z.number().int().describe(`Data rows checked (at most ${PREVIEW_SCAN_ROWS}); empty rows not counted`),
  rowsWithProblems: z.number().int().describe('How many of the rows checked have at least one problem'),
  moreRows: z.boolean().describe('The file goes on beyond the rows checked'),
});
export type MemberPreview = z.infer<typeof memberPreviewOutput>;

/** What a finished member.import job reports as its `result`. */
export const memberImportResult = z.object({
  rowsRead: z.number().int().describe('Data rows read from the file (blank rows not counted)'),
  created: z.number().int().describe('Memberships created'),
  alreadyMembers: z
    .number()
    .int()
    .describe('Rows whose person already has an open membership in this union: skipped, not an error'),
  rowsWithProblems: z.number().int().describe('Rows not imported; the error report lists them'),
  problemsByCode: z.record(z.string(), z.number().int()).describe('How many problems of each code'),
});
export type MemberImportResult = z.infer<typeof memberImportResult>;

export const importRoutes = {
  memberTemplate: defineRoute({
    id: 'imports.memberTemplate',
    method: 'GET',
    path: '/api/imports/member-template',
    tag: 'imports',
    summary: 'The member roster template (xlsx): headers, instructions, code lists and dropdowns',
    permission: 'member.import',
    output: fileAnswer,
    download: {
      contentType: XLSX_CONTENT_TYPE,
      description:
        'An xlsx workbook: sheet 名册 with the Chinese headers (required ones marked *) and ID, phone and bank-card columns formatted as text; sheet 填写说明; sheet 代码表 with every code list',
    },
    errors: [],
  }),
  memberPreview: defineRoute({
    id: 'imports.memberPreview',
    method: 'POST',
    path: '/api/imports/member-preview',
    tag: 'imports',
    summary: 'Check an uploaded roster without saving anything: format, header mapping, sample rows, problems',
    permission: 'member.import',
    body: memberPreviewFields,
    upload: {
      field: 'file',
      maxBytes: IMPORT_DEFAULT_MAX_BYTES,
      description: 'The roster: .xlsx, or .csv in UTF-8 (with or without BOM) or GBK. Not the old .xls',
    },
    output: memberPreviewOutput,
    errors: [
      'NOT_FOUND',
      'FILE_TOO_LARGE',
      'IMPORT_FILE_EMPTY',
      'IMPORT_FILE_TYPE',
      'IMPORT_XLS_NOT_SUPPORTED',
      'IMPORT_ZIP_BOMB',
      'IMPORT_FILE_UNREADABLE',
    ],
  }),
  memberImport: defineRoute({
    id: 'imports.memberImport',
    method: 'POST',
    path: '/api/imports/members',
    tag: 'imports',
    summary:
      'Import a roster as a job: valid rows become members in chunks, rows with problems go to the error report; follow the job under /api/jobs',
    permission: 'member.import',
    body: memberPreviewFields,
    upload: {
      field: 'file',
      maxBytes: IMPORT_DEFAULT_MAX_BYTES,
      description: 'The roster: .xlsx, or .csv in UTF-8 (with or without BOM) or GBK. Not the old .xls',
    },
    status: 202,
    output: jobOutput,
    errors: [
      'NOT_FOUND',
      'FILE_TOO_LARGE',
      'IMPORT_FILE_EMPTY',
      'IMPORT_FILE_TYPE',
      'IMPORT_XLS_NOT_SUPPORTED',
      'IMPORT_ZIP_BOMB',
      'IMPORT_FILE_UNREADABLE',
      'ORG_NOT_ACTIVE',
      'MEMBER_ORG_NOT_ELIGIBLE',
    ],
  }),
  errorReport: defineRoute({
    id: 'imports.errorReport',
    method: 'GET',
    path: '/api/imports/:jobId/error-report',
    tag: 'imports',
    summary: 'The rows of an import that were not imported, as they were, with the reasons: fix and upload again',
    permission: 'member.import',
    params: z.object({ jobId: idSchema.describe('The member.import job') }),
    output: fileAnswer,
    download: {
      contentType: XLSX_CONTENT_TYPE,
      description:
        'An xlsx workbook: the uploaded header plus a column 错误原因, and each rejected row with its original cells and all its problems',
    },
    errors: ['NOT_FOUND'],
  }),
};
