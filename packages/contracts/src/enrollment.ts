import { z } from 'zod';
import { codesOf, EMPLOYMENT_TYPES, NEW_FORM_GROUPS } from './code-lists.ts';
import { idSchema, isoTime, localizedText, pageOf, pageQuery } from './common.ts';
import {
  IMPORT_DEFAULT_MAX_BYTES,
  mappingOverride,
  ROSTER_FIELDS,
  ROSTER_PROBLEM_CODES,
  type RosterField,
  type RosterProblemCode,
  type RosterProblemParams,
  rosterProblemMessage,
  XLSX_CONTENT_TYPE,
} from './imports.ts';
import { jobOutput } from './jobs.ts';
import { defineRoute, fileAnswer } from './route.ts';

/**
 * Group enrollment (集中入会, decision 0019): a union imports a list of workers, or publishes
 * a QR code for an event, and the workers' join applications land in its queue as one batch,
 * which it can approve in one step. Each application is an ordinary join application on the
 * workflow engine; the batch only groups them.
 */

/** The columns of an enrollment list: a subset of the roster's, read by the same header mapping. */
export const ENROLLMENT_LIST_FIELDS = [
  'name',
  'idNumber',
  'phone',
  'workUnitName',
  'employmentType',
  'newFormGroup',
] as const satisfies readonly RosterField[];
export type EnrollmentListField = (typeof ENROLLMENT_LIST_FIELDS)[number];

/**
 * Columns a list must have. The phone is required: a listed worker has no account yet, and the
 * phone is how they hear of the decision and later sign in to their card.
 */
export const ENROLLMENT_LIST_REQUIRED: readonly EnrollmentListField[] = [
  'name',
  'idNumber',
  'phone',
  'workUnitName',
  'employmentType',
];

/** Problems of a list row: the roster's, plus what only joining can find. */
export const ENROLLMENT_PROBLEM_CODES = [
  ...ROSTER_PROBLEM_CODES,
  'already_member_here',
  'application_pending',
] as const;
export type EnrollmentProblemCode = (typeof ENROLLMENT_PROBLEM_CODES)[number];

/** The message of a list problem in both locales. */
export function enrollmentProblemMessage(
  code: EnrollmentProblemCode,
  p: RosterProblemParams = {},
): { 'zh-CN': string; en: string } {
  switch (code) {
    case 'already_member_here':
      return {
        'zh-CN': '此人已是本工会会员，无需再申请入会',
        en: 'This person is already a member of this union; no application is needed',
      };
    case 'application_pending':
      return {
        'zh-CN': '此人已有一份待审核的入会申请（可能来自同一名单的上一次导入）',
        en: 'This person already has a join application under review (perhaps from an earlier import of the same list)',
      };
    default:
      return rosterProblemMessage(code as RosterProblemCode, p);
  }
}

/** Rows shown as parsed in a preview. */
export const ENROLLMENT_PREVIEW_SAMPLE_ROWS = 20;
/** Problems listed in a preview answer (the error report after the import lists every one). */
export const ENROLLMENT_PREVIEW_PROBLEMS = 1_000;
/** Rows one list may hold: a list is read whole for its preview and duplicate checks. */
export const ENROLLMENT_LIST_MAX_ROWS = 50_000;

export const ENROLLMENT_BATCH_KINDS = ['list', 'event'] as const;

const localized = localizedText.describe('The message in both locales');

export const enrollmentProblem = z.object({
  row: z.number().int().describe('Row number in the file, as Excel shows it'),
  column: z.string().nullable().describe('The column header as written in the file; null when the column is absent'),
  field: z.enum(ROSTER_FIELDS).nullable().describe('The field; null for a problem of the whole row'),
  code: z.enum(ENROLLMENT_PROBLEM_CODES).describe('Stable problem code'),
  message: localized,
});
export type EnrollmentProblem = z.infer<typeof enrollmentProblem>;

/** The text fields of a list upload; the file travels in the `file` part. */
export const enrollmentListFields = z.strictObject({
  orgId: idSchema.describe('The union the workers apply to; must be in your membership.enroll scope'),
  title: z.string().trim().min(2).max(100).optional().describe('Name of the batch; default: the file name'),
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

const listUpload = {
  field: 'file',
  maxBytes: IMPORT_DEFAULT_MAX_BYTES,
  description:
    'The list: .xlsx, or .csv in UTF-8 (with or without BOM) or GBK; columns 姓名, 身份证号, 手机号码, 工作单位, 用工形式, 新就业形态群体',
};
const fileErrors = [
  'NOT_FOUND',
  'FILE_TOO_LARGE',
  'IMPORT_FILE_EMPTY',
  'IMPORT_FILE_TYPE',
  'IMPORT_XLS_NOT_SUPPORTED',
  'IMPORT_ZIP_BOMB',
  'IMPORT_FILE_UNREADABLE',
  'ORG_NOT_ACTIVE',
  'MEMBER_ORG_NOT_ELIGIBLE',
] as const;

export const enrollmentPreviewOutput = z.object({
  format: z.enum(['xlsx', 'csv']).describe('What the file is, judged by its content rather than its name'),
  encoding: z
    .enum(['utf-8', 'utf-8-bom', 'gbk', 'utf-16le', 'utf-16be'])
    .nullable()
    .describe('Text encoding detected for CSV; null for xlsx'),
  headerRow: z.number().int().describe('Row number of the header'),
  mapped: z
    .array(
      z.object({
        index: z.number().int().describe('Column index, from 0 (A = 0)'),
        header: z.string().describe('Header text as written in the file'),
        field: z.enum(ROSTER_FIELDS).describe('The field this column fills'),
      }),
    )
    .describe('Columns read'),
  missingRequired: z.array(z.enum(ROSTER_FIELDS)).describe('Required columns the file lacks'),
  rows: z
    .array(
      z.object({
        row: z.number().int().describe('Row number in the file'),
        name: z.string().nullable().describe('Name, masked'),
        idNumber: z.string().nullable().describe('ID number, masked'),
        phone: z.string().nullable().describe('Phone, masked'),
        workUnitName: z.string().nullable().describe('Employer as written'),
        employmentType: z.string().nullable().describe('Employment type code'),
        newFormGroup: z.string().nullable().describe('New-form group code'),
        ok: z.boolean().describe('The row would become an application'),
      }),
    )
    .describe(`The first ${ENROLLMENT_PREVIEW_SAMPLE_ROWS} data rows as parsed`),
  problems: z
    .array(enrollmentProblem)
    .describe(`Problems per row and column, the first ${ENROLLMENT_PREVIEW_PROBLEMS}; the error report lists all`),
  rowsRead: z.number().int().describe('Data rows in the file (blank rows not counted)'),
  rowsOk: z.number().int().describe('Rows that would become join applications now'),
  rowsWithProblems: z.number().int().describe('Rows that would be refused, with their reasons'),
  problemsByCode: z.record(z.string(), z.number().int()).describe('How many problems of each code'),
});
export type EnrollmentPreview = z.infer<typeof enrollmentPreviewOutput>;

/** What a finished enrollment.list job reports as its `result`. */
export const enrollmentListResult = z.object({
  batchId: idSchema.describe('The batch the applications joined'),
  rowsRead: z.number().int().describe('Data rows read'),
  created: z.number().int().describe('Join applications created'),
  refused: z.number().int().describe('Rows refused; the error report lists them with their reasons'),
  duplicates: z
    .number()
    .int()
    .describe('Refused rows whose person is already a member here or already has a pending application'),
});
export type EnrollmentListResult = z.infer<typeof enrollmentListResult>;

const presetEmployment = z.enum(codesOf(EMPLOYMENT_TYPES));
const presetGroup = z.enum(codesOf(NEW_FORM_GROUPS));

export const enrollmentEventOutput = z.object({
  id: idSchema.describe('Event id'),
  batchId: idSchema.describe('The batch its applications join'),
  code: z.string().describe('Public code of the QR link'),
  joinPath: z.string().describe('Path of the portal page the QR code opens: /m/join/e/<code>'),
  place: z.string().describe('Where the event is held'),
  opensAt: isoTime.describe('From when workers may apply'),
  closesAt: isoTime.describe('Until when workers may apply'),
  workUnitId: idSchema.nullable().describe('Preset employer: a registered work unit'),
  workUnitName: z.string().nullable().describe('Preset employer by name'),
  employmentType: presetEmployment.nullable().describe('Preset employment type'),
  newFormGroup: presetGroup.nullable().describe('Preset new-form group'),
  quota: z.number().int().nullable().describe('Most applications accepted; null: no limit'),
  joined: z.number().int().describe('Applications made through the event'),
  status: z.enum(['open', 'closed']).describe('closed: closed by the union'),
  state: z
    .enum(['not_yet', 'open', 'ended', 'full', 'closed'])
    .describe('What a worker scanning now meets: not yet open, open, past its end, quota reached, closed'),
  closedAt: isoTime.nullable().describe('When the union closed it'),
});
export type EnrollmentEventOutput = z.infer<typeof enrollmentEventOutput>;

export const enrollmentBatchOutput = z.object({
  id: idSchema.describe('Batch id'),
  orgId: idSchema.describe('The union the applications are made to'),
  orgName: z.string().describe('Its name'),
  kind: z.enum(ENROLLMENT_BATCH_KINDS).describe('list: an imported list; event: an event QR code'),
  title: z.string().describe('Name of the batch'),
  fileName: z.string().nullable().describe('List: the uploaded file'),
  jobId: idSchema.nullable().describe('List: the import job (follow it under /api/jobs)'),
  rowsRead: z.number().int().describe('List: rows read so far'),
  createdCount: z.number().int().describe('List: applications created so far'),
  refusedCount: z.number().int().describe('List: rows refused (error report)'),
  duplicateCount: z.number().int().describe('List: refused rows already members here or already pending'),
  pending: z.number().int().describe('Applications waiting for review'),
  approved: z.number().int().describe('Applications approved'),
  rejected: z.number().int().describe('Applications rejected'),
  other: z.number().int().describe('Applications appealed, withdrawn or otherwise elsewhere'),
  event: enrollmentEventOutput.nullable().describe('Event: the event'),
  createdAt: isoTime,
});
export type EnrollmentBatchOutput = z.infer<typeof enrollmentBatchOutput>;

export const enrollmentApplicationOutput = z.object({
  id: idSchema.describe('Application id (the workflow instance)'),
  name: z.string().describe('Applicant, masked (王*明)'),
  idNumber: z.string().describe('ID number, masked'),
  phone: z.string().nullable().describe('Phone, masked'),
  source: z.enum(['list', 'event']).describe('How the application came'),
  state: z.string().describe('Current step'),
  stateLabel: localizedText.describe('Current step, in both locales'),
  stateKind: z.string().describe('review, waiting, rejected, done'),
  createdAt: isoTime,
});

export const enrollmentEventBody = z
  .strictObject({
    orgId: idSchema.describe('The union the workers apply to; must be in your membership.enroll scope'),
    title: z.string().trim().min(2).max(100).describe('Name of the event, printed on the poster'),
    place: z.string().trim().min(2).max(200).describe('Where it is held, printed on the poster'),
    opensAt: z.iso.datetime({ offset: true }).describe('From when workers may apply'),
    closesAt: z.iso.datetime({ offset: true }).describe('Until when workers may apply; later than opensAt'),
    workUnitId: idSchema.optional().describe('Preset employer: a registered work unit'),
    workUnitName: z.string().trim().min(2).max(100).optional().describe('Preset employer by name'),
    employmentType: presetEmployment.optional().describe('Preset employment type'),
    newFormGroup: presetGroup.optional().describe('Preset new-form group (with employmentType new_form)'),
    quota: z.number().int().min(1).max(1_000_000).optional().describe('Most applications accepted'),
  })
  .describe('A group-enrollment event');

export const enrollmentJoinBody = z.strictObject({
  name: z.string().trim().min(2).max(50).describe('Name as on the ID card'),
  idNumber: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .describe('Resident ID number (GB 11643); a 15-digit legacy number is converted'),
  workUnitName: z.string().trim().min(2).max(100).optional().describe('Employer, when the event does not preset one'),
  employmentType: presetEmployment.optional().describe('Employment type, when the event does not preset one'),
  newFormGroup: presetGroup.optional().describe('New-form group, when the event does not preset one'),
});

export const enrollmentPublicEventOutput = z.object({
  code: z.string().describe('The event code'),
  title: z.string().describe('Name of the event'),
  orgName: z.string().describe('The union the worker applies to'),
  place: z.string().describe('Where it is held'),
  opensAt: isoTime.describe('From when workers may apply'),
  closesAt: isoTime.describe('Until when workers may apply'),
  state: z
    .enum(['not_yet', 'open', 'ended', 'full', 'closed'])
    .describe('not yet open, open, past its end, quota reached, closed by the union'),
  workUnitName: z.string().nullable().describe('Preset employer'),
  employmentType: presetEmployment.nullable().describe('Preset employment type'),
  newFormGroup: presetGroup.nullable().describe('Preset new-form group'),
});

export const enrollmentApproveOutput = z.object({
  approved: z.number().int().describe('Applications approved now'),
  refused: z.number().int().describe('Applications not approved; see results'),
  results: z
    .array(
      z.object({
        id: idSchema.describe('Application id'),
        ok: z.boolean().describe('Approved'),
        state: z.string().nullable().describe('The state it reached'),
        code: z.string().nullable().describe('The error code when refused'),
      }),
    )
    .describe('One answer per application'),
});

const batchParams = z.object({ id: idSchema.describe('Batch id') });
const eventParams = z.object({ id: idSchema.describe('Event id') });
const codeParams = z.object({
  code: z
    .string()
    .regex(/^[a-z2-7]{12}$/)
    .describe('The event code from the QR link'),
});

export const enrollmentRoutes = {
  batches: defineRoute({
    id: 'enrollment.batches',
    method: 'GET',
    path: '/api/enrollment/batches',
    tag: 'enrollment',
    summary: 'Group-enrollment batches of unions in your scope, newest first, with their counts',
    permission: 'membership.enroll',
    query: pageQuery.extend({
      orgId: idSchema.optional().describe('Only this union and the unions below it'),
      kind: z.enum(ENROLLMENT_BATCH_KINDS).optional().describe('Only lists or only events'),
    }),
    output: pageOf(enrollmentBatchOutput),
    errors: ['NOT_FOUND'],
  }),
  batch: defineRoute({
    id: 'enrollment.batch',
    method: 'GET',
    path: '/api/enrollment/batches/:id',
    tag: 'enrollment',
    summary: 'One batch with its counts (and its event)',
    permission: 'membership.enroll',
    params: batchParams,
    output: enrollmentBatchOutput,
    errors: ['NOT_FOUND'],
  }),
  applications: defineRoute({
    id: 'enrollment.applications',
    method: 'GET',
    path: '/api/enrollment/batches/:id/applications',
    tag: 'enrollment',
    summary: 'The join applications of a batch, masked',
    permission: 'membership.enroll',
    params: batchParams,
    query: pageQuery.extend({
      stateKind: z
        .enum(['review', 'waiting', 'rejected', 'done', 'withdrawn'])
        .optional()
        .describe('Only applications in this kind of state'),
    }),
    output: pageOf(enrollmentApplicationOutput),
    errors: ['NOT_FOUND'],
  }),
  approve: defineRoute({
    id: 'enrollment.approve',
    method: 'POST',
    path: '/api/enrollment/batches/:id/approve',
    tag: 'enrollment',
    summary:
      'Approve every application of the batch still waiting for review (一键审核), through the engine’s batch step; one answer per application',
    permission: 'membership.review',
    params: batchParams,
    body: z.strictObject({
      comment: z.string().trim().max(2000).optional().describe('Remark recorded with each approval'),
    }),
    output: enrollmentApproveOutput,
    errors: ['NOT_FOUND'],
  }),
  preview: defineRoute({
    id: 'enrollment.preview',
    method: 'POST',
    path: '/api/enrollment/list-preview',
    tag: 'enrollment',
    summary:
      'Check an enrollment list without saving anything: columns, rows as parsed, every row’s problems (in the file and against members and pending applications)',
    permission: 'membership.enroll',
    body: enrollmentListFields,
    upload: listUpload,
    output: enrollmentPreviewOutput,
    errors: fileErrors,
  }),
  importList: defineRoute({
    id: 'enrollment.importList',
    method: 'POST',
    path: '/api/enrollment/lists',
    tag: 'enrollment',
    summary:
      'Import an enrollment list: a new batch, and a job turning each good row into a join application (source list) in chunks; rows with problems go to the error report',
    permission: 'membership.enroll',
    body: enrollmentListFields,
    upload: listUpload,
    status: 202,
    output: z.object({
      batch: enrollmentBatchOutput.describe('The new batch'),
      job: jobOutput.describe('The import job'),
    }),
    errors: [...fileErrors, 'VALIDATION_FAILED'],
  }),
  errorReport: defineRoute({
    id: 'enrollment.errorReport',
    method: 'GET',
    path: '/api/enrollment/batches/:id/error-report',
    tag: 'enrollment',
    summary: 'The rows of an imported list that were refused, as they were, with the reasons: fix and import again',
    permission: 'membership.enroll',
    params: batchParams,
    output: fileAnswer,
    download: {
      contentType: XLSX_CONTENT_TYPE,
      description:
        'An xlsx workbook: the uploaded header plus a column 错误原因, and each refused row with its reasons',
    },
    errors: ['NOT_FOUND'],
  }),
  createEvent: defineRoute({
    id: 'enrollment.createEvent',
    method: 'POST',
    path: '/api/enrollment/events',
    tag: 'enrollment',
    summary: 'Publish a group-enrollment event: a batch, a public code for its QR link, the form’s presets',
    permission: 'membership.enroll',
    body: enrollmentEventBody,
    status: 201,
    output: enrollmentBatchOutput,
    errors: ['NOT_FOUND', 'ORG_NOT_ACTIVE', 'MEMBER_ORG_NOT_ELIGIBLE'],
  }),
  closeEvent: defineRoute({
    id: 'enrollment.closeEvent',
    method: 'POST',
    path: '/api/enrollment/events/:id/close',
    tag: 'enrollment',
    summary: 'Close an event: its QR code stops taking applications (those made stay in the batch)',
    permission: 'membership.enroll',
    params: eventParams,
    output: enrollmentBatchOutput,
    errors: ['NOT_FOUND', 'ENROLLMENT_EVENT_CLOSED'],
  }),
  eventQr: defineRoute({
    id: 'enrollment.eventQr',
    method: 'GET',
    path: '/api/enrollment/events/:id/qr',
    tag: 'enrollment',
    summary: 'The event’s QR code (the portal link /m/join/e/<code>), as SVG or PNG',
    permission: 'membership.enroll',
    params: eventParams,
    query: z.object({
      format: z.enum(['svg', 'png']).default('svg').describe('svg (default) or png'),
    }),
    output: fileAnswer,
    download: { contentType: 'image/svg+xml', description: 'The QR code: image/svg+xml, or image/png with format=png' },
    errors: ['NOT_FOUND'],
  }),
  eventPoster: defineRoute({
    id: 'enrollment.eventPoster',
    method: 'GET',
    path: '/api/enrollment/events/:id/poster',
    tag: 'enrollment',
    summary: 'A printable A4 poster of the event: title, union, place, time, the QR code and its link',
    permission: 'membership.enroll',
    params: eventParams,
    output: fileAnswer,
    download: { contentType: 'application/pdf', description: 'An A4 PDF' },
    errors: ['NOT_FOUND'],
  }),
  publicEvent: defineRoute({
    id: 'enrollment.publicEvent',
    method: 'GET',
    path: '/api/enrollment/join-events/:code',
    tag: 'enrollment',
    summary: 'What a worker who scanned an event’s QR code sees: the event, its union, whether it takes applications',
    permission: 'authenticated',
    params: codeParams,
    output: enrollmentPublicEventOutput,
    errors: ['NOT_FOUND'],
  }),
  joinEvent: defineRoute({
    id: 'enrollment.joinEvent',
    method: 'POST',
    path: '/api/enrollment/join-events/:code/applications',
    tag: 'enrollment',
    summary:
      'Apply to join through an event: a join application to the event’s union (source event), in the event’s batch, with the event’s presets',
    permission: 'authenticated',
    params: codeParams,
    body: enrollmentJoinBody,
    status: 201,
    output: enrollmentApplicationOutput,
    errors: [
      'NOT_FOUND',
      'ENROLLMENT_EVENT_NOT_OPEN',
      'ENROLLMENT_EVENT_CLOSED',
      'ENROLLMENT_EVENT_FULL',
      'VALIDATION_FAILED',
      'MEMBER_TOO_YOUNG',
      'JOIN_ALREADY_MEMBER',
      'JOIN_APPLICATION_PENDING',
      'PHONE_TAKEN',
      'REAL_NAME_NOT_MATCHED',
      'ORG_NOT_ACTIVE',
    ],
  }),
};
