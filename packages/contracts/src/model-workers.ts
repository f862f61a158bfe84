import { z } from 'zod';
import { idSchema, isoTime, pageOf, pageQuery, phoneSchema } from './common.ts';
import { XLSX_CONTENT_TYPE } from './imports.ts';
import { defineRoute, fileAnswer } from './route.ts';

/**
 * The model-worker and craftsman registry (劳模和工匠名册): one entry per honour of one person.
 * The person's identity (name, ID number, phone, bank card) is their real-name record, shared
 * with the member roster; an entry is filed under the union that keeps it, which decides who
 * sees it. A revoked honour keeps its row, with the date and reason.
 */

export const MODEL_WORKER_CATEGORIES = ['model_worker', 'craftsman'] as const;
export const MODEL_WORKER_LEVELS = ['national', 'provincial', 'city'] as const;
export const HONOR_STATUSES = ['kept', 'revoked'] as const;
export const MODEL_WORKER_EMPLOYMENT = ['employed', 'retired', 'unemployed', 'other'] as const;
export type ModelWorkerLevel = (typeof MODEL_WORKER_LEVELS)[number];
export type ModelWorkerCategory = (typeof MODEL_WORKER_CATEGORIES)[number];

/** Labels the certificate, the export and the consoles share. */
export const MODEL_WORKER_LABELS = {
  category: {
    model_worker: { 'zh-CN': '劳动模范', en: 'Model worker' },
    craftsman: { 'zh-CN': '工匠', en: 'Craftsman' },
  },
  level: {
    national: { 'zh-CN': '全国', en: 'National' },
    provincial: { 'zh-CN': '省级', en: 'Provincial' },
    city: { 'zh-CN': '市级', en: 'City' },
  },
  honorStatus: {
    kept: { 'zh-CN': '保留', en: 'Kept' },
    revoked: { 'zh-CN': '已撤销', en: 'Revoked' },
  },
  employmentStatus: {
    employed: { 'zh-CN': '在职', en: 'Employed' },
    retired: { 'zh-CN': '退休', en: 'Retired' },
    unemployed: { 'zh-CN': '失业', en: 'Unemployed' },
    other: { 'zh-CN': '其他', en: 'Other' },
  },
} as const;

const dateSchema = z.iso.date().describe('YYYY-MM-DD');
const category = z.enum(MODEL_WORKER_CATEGORIES).describe('model_worker (劳动模范) or craftsman (工匠)');
const level = z.enum(MODEL_WORKER_LEVELS).describe('national, provincial or city');
const employmentStatus = z.enum(MODEL_WORKER_EMPLOYMENT).describe('employed, retired, unemployed or other');
const yearSchema = z.coerce.number().int().min(1950).max(2100).describe('Year the honour was awarded');
const reasonSchema = z.string().trim().min(2).max(500);
const certificateNo = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]{4,32}$/, '4–32 letters, digits or -')
  .describe('劳模证 number, unique across the platform');

/** Fields of the honour a cadre types and may later edit. */
const honourFields = {
  category,
  level,
  title: z.string().trim().min(2).max(100).describe('Title as awarded, e.g. 全国劳动模范, 三秦工匠'),
  awardingBody: z.string().trim().min(2).max(100).nullable().optional().describe('Who awarded it, e.g. 国务院'),
  yearAwarded: yearSchema,
  employmentStatus,
  farmer: z.boolean().default(false).describe('A farmer (农民) model worker'),
  lostWorkCapacity: z.boolean().default(false).describe('Has lost the capacity to work'),
  deceasedOn: dateSchema.nullable().optional().describe('Date of death, when the person has died'),
  bankName: z.string().trim().min(2).max(60).nullable().optional().describe('Bank holding the card on record'),
};

export const modelWorkerCreateBody = z.strictObject({
  orgId: idSchema.describe('The keeping union, in your modelWorker.write scope'),
  personId: idSchema
    .optional()
    .describe(
      'An existing person (a member in your scope, or already in the registry in your scope); or give name and idNumber',
    ),
  name: z.string().trim().min(2).max(50).optional().describe('Name as on the ID card, when no personId is given'),
  idNumber: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .optional()
    .describe('Resident ID number (GB 11643), when no personId is given; an existing person must carry the same name'),
  phone: phoneSchema.optional().describe('Mobile phone for a new person; stored encrypted'),
  bankCard: z
    .string()
    .trim()
    .max(40)
    .optional()
    .describe('Bank card for subsidies (Luhn-checked), written encrypted onto the person'),
  certificateNo: certificateNo
    .optional()
    .describe('劳模证 number; generated (level letter, year, sequence) when absent'),
  ...honourFields,
});

export const modelWorkerUpdateBody = z.strictObject({
  title: honourFields.title.optional(),
  awardingBody: honourFields.awardingBody,
  employmentStatus: employmentStatus.optional(),
  farmer: z.boolean().optional(),
  lostWorkCapacity: z.boolean().optional(),
  deceasedOn: honourFields.deceasedOn,
  bankName: honourFields.bankName,
  bankCard: z.string().trim().max(40).nullable().optional().describe('New bank card on the person, or null to remove'),
});

export const modelWorkerRevokeBody = z.strictObject({
  revokedOn: dateSchema.describe('Date the honour was revoked, not in the future'),
  reason: reasonSchema.describe('Why it was revoked (required; kept with the entry)'),
});

export const modelWorkerRestoreBody = z.strictObject({
  reason: reasonSchema.describe('Why the revocation is undone (audited)'),
});

export const modelWorkerListQuery = pageQuery.extend({
  orgId: idSchema.optional().describe('Only this union and its subtree (must be in your scope)'),
  level: level.optional(),
  category: category.optional(),
  honorStatus: z.enum(HONOR_STATUSES).optional().describe('kept or revoked'),
  farmer: z.enum(['true', 'false']).optional().describe('Only farmers (true) or non-farmers (false)'),
  year: yearSchema.optional().describe('Only honours of this year'),
  q: z.string().trim().min(1).max(40).optional().describe('A full ID number (exact match), else a name prefix'),
});

export const modelWorkerRowOutput = z.object({
  id: idSchema.describe('Registry entry id'),
  personId: idSchema.describe('The person (real-name record)'),
  name: z.string().describe('Name, masked: 王*明'),
  gender: z.enum(['male', 'female']).describe('From the ID number'),
  age: z.number().int().describe('Age today in whole years'),
  idNumber: z.string().describe('ID number, masked'),
  category,
  level,
  title: z.string().describe('Title as awarded'),
  yearAwarded: z.number().int().describe('Year awarded'),
  certificateNo: z.string().describe('劳模证 number'),
  honorStatus: z.enum(HONOR_STATUSES).describe('kept or revoked'),
  employmentStatus,
  farmer: z.boolean().describe('A farmer model worker'),
  orgId: z.string().describe('Keeping union'),
  orgName: z.string().describe('Name of the keeping union'),
});

export const modelWorkerDetailOutput = modelWorkerRowOutput.extend({
  phone: z.string().nullable().describe('Phone, masked'),
  bankCard: z.string().nullable().describe('Bank card on the person, masked'),
  bankName: z.string().nullable().describe('Bank holding the card'),
  awardingBody: z.string().nullable().describe('Who awarded the honour'),
  lostWorkCapacity: z.boolean().describe('Has lost the capacity to work'),
  deceasedOn: z.string().nullable().describe('Date of death, YYYY-MM-DD; null while living'),
  revokedOn: z.string().nullable().describe('When revoked: the date'),
  revokedReason: z.string().nullable().describe('When revoked: the reason'),
  createdAt: isoTime,
  updatedAt: isoTime,
});

const mwId = z.object({ id: idSchema.describe('Registry entry id') });
const PDF_CONTENT_TYPE = 'application/pdf';

export const modelWorkerRoutes = {
  list: defineRoute({
    id: 'modelWorker.list',
    method: 'GET',
    path: '/api/model-workers',
    tag: 'model-workers',
    summary: 'Registry entries kept by unions in your scope, masked; filter by level, category, status, farmer, year',
    permission: 'modelWorker.read',
    query: modelWorkerListQuery,
    output: pageOf(modelWorkerRowOutput),
    errors: ['NOT_FOUND'],
  }),
  export: defineRoute({
    id: 'modelWorker.export',
    method: 'GET',
    path: '/api/model-workers/export',
    tag: 'model-workers',
    summary: 'The filtered registry (list filters, no paging) as an xlsx workbook, masked; audited',
    permission: 'modelWorker.export',
    query: modelWorkerListQuery.omit({ page: true, pageSize: true }),
    output: fileAnswer,
    download: {
      contentType: XLSX_CONTENT_TYPE,
      description: 'xlsx workbook with Chinese headers; names, ID numbers, phones and bank cards masked',
    },
    errors: ['NOT_FOUND'],
  }),
  get: defineRoute({
    id: 'modelWorker.get',
    method: 'GET',
    path: '/api/model-workers/:id',
    tag: 'model-workers',
    summary: 'One registry entry in your scope, masked, with its revocation',
    permission: 'modelWorker.read',
    params: mwId,
    output: modelWorkerDetailOutput,
    errors: ['NOT_FOUND'],
  }),
  create: defineRoute({
    id: 'modelWorker.create',
    method: 'POST',
    path: '/api/model-workers',
    tag: 'model-workers',
    summary: 'Enter an honour: an existing person, or a person by name and ID number (created when new)',
    permission: 'modelWorker.write',
    body: modelWorkerCreateBody,
    output: modelWorkerDetailOutput,
    status: 201,
    errors: ['NOT_FOUND', 'MODEL_WORKER_AWARD_TAKEN', 'MODEL_WORKER_CERTIFICATE_TAKEN', 'PHONE_TAKEN'],
  }),
  update: defineRoute({
    id: 'modelWorker.update',
    method: 'PATCH',
    path: '/api/model-workers/:id',
    tag: 'model-workers',
    summary: 'Edit an entry (title, employment, farmer, bank); level, year and person stay',
    permission: 'modelWorker.write',
    params: mwId,
    body: modelWorkerUpdateBody,
    output: modelWorkerDetailOutput,
    errors: ['NOT_FOUND'],
  }),
  revoke: defineRoute({
    id: 'modelWorker.revoke',
    method: 'POST',
    path: '/api/model-workers/:id/revoke',
    tag: 'model-workers',
    summary: 'Revoke the honour (date and reason kept; the entry stays)',
    permission: 'modelWorker.write',
    params: mwId,
    body: modelWorkerRevokeBody,
    output: modelWorkerDetailOutput,
    errors: ['NOT_FOUND', 'MODEL_WORKER_HONOR_STATE'],
  }),
  restore: defineRoute({
    id: 'modelWorker.restore',
    method: 'POST',
    path: '/api/model-workers/:id/restore',
    tag: 'model-workers',
    summary: 'Undo a revocation, with a reason (audited)',
    permission: 'modelWorker.write',
    params: mwId,
    body: modelWorkerRestoreBody,
    output: modelWorkerDetailOutput,
    errors: ['NOT_FOUND', 'MODEL_WORKER_HONOR_STATE'],
  }),
  certificate: defineRoute({
    id: 'modelWorker.certificate',
    method: 'GET',
    path: '/api/model-workers/:id/certificate',
    tag: 'model-workers',
    summary: 'The printable certificate (劳模证) as PDF; a revoked honour is marked 已撤销',
    permission: 'modelWorker.read',
    params: mwId,
    output: fileAnswer,
    download: {
      contentType: PDF_CONTENT_TYPE,
      description:
        'A4 landscape PDF: name, title, level, year, certificate number, awarding body, keeping union, QR code of the number',
    },
    errors: ['NOT_FOUND'],
  }),
};
