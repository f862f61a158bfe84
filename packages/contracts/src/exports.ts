import { z } from 'zod';
import { codesOf, EMPLOYMENT_TYPES, GENDERS } from './code-lists.ts';
import { idSchema } from './common.ts';
import { XLSX_CONTENT_TYPE } from './imports.ts';
import { jobOutput } from './jobs.ts';
import { defineRoute, fileAnswer } from './route.ts';

/**
 * Exports (导出): a subtree's members or unions as an xlsx workbook or a CSV file. An export
 * runs as a job (rosters reach millions of rows); the request answers at once with the job,
 * and the file is downloaded from `file` once the job has succeeded, by the user who asked
 * for it only. Names, ID numbers, phones and bank cards are masked unless the export was asked as
 * sensitive by someone holding member.exportSensitive there. Request, completion and every
 * download are audit events.
 */

export const EXPORT_FORMATS = ['xlsx', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Job kinds of exports. */
export const EXPORT_JOB_KINDS = ['export.members', 'export.unions'] as const;
export type ExportJobKind = (typeof EXPORT_JOB_KINDS)[number];

/** Finished files are kept this long, then removed; a download after that answers EXPORT_FILE_EXPIRED. */
export const EXPORT_RETENTION_DAYS = 7;

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** Header of the extra columns a member export adds after the roster fields. */
export const MEMBER_EXPORT_EXTRA_LABELS = {
  orgName: { zh: '所属工会', en: 'Union' },
  status: { zh: '会籍状态', en: 'Membership status' },
} as const;

/** Columns of a union export, in order. */
export const UNION_EXPORT_COLUMNS = [
  { key: 'name', zh: '工会名称', en: 'Name' },
  { key: 'type', zh: '组织类型', en: 'Type' },
  { key: 'level', zh: '级别', en: 'Federation level' },
  { key: 'region', zh: '行政区划', en: 'Region' },
  { key: 'parent', zh: '上级组织', en: 'Parent organization' },
  { key: 'status', zh: '状态', en: 'Status' },
  { key: 'founded', zh: '建立日期', en: 'Founded' },
  { key: 'members', zh: '会员数', en: 'Members' },
  { key: 'workUnit', zh: '所在单位', en: 'Work unit' },
  { key: 'creditCode', zh: '统一社会信用代码', en: 'Unified social credit code' },
] as const;

const format = z.enum(EXPORT_FORMATS).describe('xlsx (Excel workbook) or csv (UTF-8 with BOM, CRLF line ends)');

export const memberExportBody = z.strictObject({
  orgId: idSchema.describe('The union or federation whose subtree is exported; must be in your member.export scope'),
  format,
  sensitive: z
    .boolean()
    .default(false)
    .describe(
      'Export names, ID numbers, phones, bank cards and birth dates in full; needs member.exportSensitive covering orgId',
    ),
  status: z
    .enum(['active', 'retained', 'open'])
    .default('open')
    .describe('active, retained, or open (both; the default), as in the member list'),
  employmentType: z.enum(codesOf(EMPLOYMENT_TYPES)).optional().describe('Only this employment type'),
  gender: z.enum(codesOf(GENDERS)).optional().describe('Only this gender'),
  q: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .optional()
    .describe('As in the member list: an ID number or phone (exact), else a name prefix or pinyin initials'),
});
export type MemberExportBody = z.infer<typeof memberExportBody>;

export const unionExportBody = z.strictObject({
  orgId: idSchema.describe('The organization whose subtree (itself included) is exported; in your member.export scope'),
  format,
});
export type UnionExportBody = z.infer<typeof unionExportBody>;

/** What a finished export job holds as its result. */
export const exportResult = z.object({
  rows: z.number().int().describe('Data rows written'),
  format,
  filename: z.string().describe('Name the download gets'),
  sensitive: z.boolean().describe('Whether sensitive fields are in full'),
});
export type ExportResult = z.infer<typeof exportResult>;

export const exportRoutes = {
  members: defineRoute({
    id: 'exports.members',
    method: 'POST',
    path: '/api/exports/members',
    tag: 'exports',
    summary:
      'Export the members of a subtree (open memberships, member-list filters) as a job; masked unless sensitive',
    permission: 'member.export',
    body: memberExportBody,
    output: jobOutput,
    status: 202,
    errors: ['NOT_FOUND'],
  }),
  unions: defineRoute({
    id: 'exports.unions',
    method: 'POST',
    path: '/api/exports/unions',
    tag: 'exports',
    summary: 'Export the organizations of a subtree (with member counts and work units) as a job',
    permission: 'member.export',
    body: unionExportBody,
    output: jobOutput,
    status: 202,
    errors: ['NOT_FOUND'],
  }),
  file: defineRoute({
    id: 'exports.file',
    method: 'GET',
    path: '/api/exports/:jobId/file',
    tag: 'exports',
    summary: `Download a finished export: only its requester, while it is in their scope, for ${EXPORT_RETENTION_DAYS} days`,
    permission: 'member.export',
    params: z.object({ jobId: idSchema.describe('The export job') }),
    output: fileAnswer,
    download: {
      contentType: XLSX_CONTENT_TYPE,
      description: `The export file: an xlsx workbook (${XLSX_CONTENT_TYPE}) or a CSV text (${CSV_CONTENT_TYPE}; UTF-8 with BOM, CRLF, quoted as RFC 4180), as the export asked. Chinese headers; code values as Chinese labels; cells starting with = + - @ carry a leading ' so spreadsheets never run them as formulas. NOT_FOUND while the job is not finished, for anyone but its requester, and outside their scope; EXPORT_FILE_EXPIRED once the file is older than ${EXPORT_RETENTION_DAYS} days`,
    },
    errors: ['NOT_FOUND', 'EXPORT_FILE_EXPIRED'],
  }),
};
