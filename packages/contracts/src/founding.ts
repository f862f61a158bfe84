import { z } from 'zod';
import { codesOf, INDUSTRY_SECTIONS, UNIT_TYPES } from './code-lists.ts';
import { idSchema, isoTime, localizedText, pageOf, pageQuery } from './common.ts';
import { defineRoute } from './route.ts';
import { workflowActionOutput } from './workflow.ts';

/**
 * Union founding online (网上建会, DOMAIN §3.1): a workplace's contact applies on the portal,
 * the higher union approves, the workplace requests its member assembly, the assembly is
 * approved, the election results are filed and approved, and the grassroots union stands in
 * the tree with its chair. Every step runs on the workflow engine (decision 0013); documents
 * and the history are the shared workflow routes' (`/api/workflow/instances/:instanceId`).
 */

/** Documents a founding application carries; the steps that need one say so in their actions. */
export const FOUNDING_DOCUMENT_KINDS = ['businessLicence', 'assemblyPlan', 'minutes', 'voteTally', 'other'] as const;
export type FoundingDocumentKind = (typeof FOUNDING_DOCUMENT_KINDS)[number];

/** Labels of the document kinds (zh-CN first). */
export const FOUNDING_DOCUMENT_LABELS: Record<FoundingDocumentKind, { 'zh-CN': string; en: string }> = {
  businessLicence: { 'zh-CN': '营业执照（或法人登记证书）', en: 'Business licence (or legal-person certificate)' },
  assemblyPlan: { 'zh-CN': '会员大会筹备方案及候选人名单', en: 'Member assembly plan and list of candidates' },
  minutes: { 'zh-CN': '会员大会会议记录', en: 'Minutes of the member assembly' },
  voteTally: { 'zh-CN': '选举计票单', en: 'Vote count sheet' },
  other: { 'zh-CN': '其他材料', en: 'Other documents' },
};

/** Where the application stands as a record: open while the steps run, then founded or closed. */
export const FOUNDING_STATUSES = ['open', 'founded', 'closed'] as const;

const unitType = z.enum(codesOf(UNIT_TYPES)).describe('Unit type code (单位类型): 110 state-owned … 900 other');
const industry = z.enum(codesOf(INDUSTRY_SECTIONS)).describe('Industry, GB/T 4754 section A–T');
const dateSchema = z.iso.date().describe('YYYY-MM-DD');
const personName = z.string().trim().min(1).max(50);
const contactPhone = z
  .string()
  .trim()
  .regex(/^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/, 'must be a mobile number or a landline with area code')
  .describe('Contact phone: mobile, or landline with area code; stored encrypted, shown masked');

const unitFields = {
  unitName: z
    .string()
    .trim()
    .min(2)
    .max(95)
    .describe('Registered name of the workplace (the union is named after it, with 工会委员会)'),
  unitType,
  industry,
  address: z.string().trim().min(2).max(200).describe('Address of the workplace'),
  employeeCount: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .describe('Employees on the payroll (at least 1; the union counts them for 入会率)'),
  contactName: personName.describe('Contact person who applies for the workplace'),
  contactPhone,
};

export const foundingApplyBody = z.strictObject({
  ...unitFields,
  creditCode: z
    .string()
    .max(40)
    .describe('Unified social credit code (GB 32100); full-width characters, spaces and dashes are tolerated'),
  regionCode: z
    .string()
    .regex(/^\d{6}$/, 'must be 6 digits')
    .describe('GB/T 2260 code of the county (or city) where the workplace is'),
  handlingOrgId: idSchema
    .optional()
    .describe(
      'A township, joint or industry union of the region chosen to handle the founding; omitted: the nearest federation by region code',
    ),
});

export const foundingAssemblyBody = z.strictObject({
  assemblyDate: dateSchema.describe('Planned date of the member assembly (会员大会), not in the past'),
  expectedMembers: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .describe('Members expected at the assembly; no more than the employees'),
  candidates: z
    .array(personName.describe('Candidate’s name'))
    .min(1)
    .max(60)
    .describe('Candidates for the union committee (委员候选人)'),
});

export const foundingElectionBody = z.strictObject({
  electedOn: dateSchema.describe('Date of the election, not in the future'),
  chairName: personName.describe('Elected chair (主席)'),
  viceChairNames: z.array(personName.describe('Vice chair’s name')).max(10).default([]).describe('Vice chairs'),
  committeeNames: z
    .array(personName.describe('Committee member’s name'))
    .min(1)
    .max(60)
    .describe('Every member of the committee (委员), the chair and vice chairs included'),
  memberCount: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .describe('Members who joined at founding; no more than the employees'),
});

export const foundingStepBody = z.strictObject({
  action: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .describe(
      'The step: approve, reject, requestAssembly, approveAssembly, rejectAssembly, submitResults, approveResults, rejectResults, resubmit…, appeal…, withdraw',
    ),
  comment: z.string().trim().max(2000).optional().describe('Reason or remark (required for rejections and appeals)'),
  expectedVersion: z.number().int().optional().describe('The version you saw'),
  unit: z
    .strictObject({
      unitName: unitFields.unitName.optional(),
      unitType: unitType.optional(),
      industry: industry.optional(),
      address: unitFields.address.optional(),
      employeeCount: unitFields.employeeCount.optional(),
      contactName: unitFields.contactName.optional(),
      contactPhone: contactPhone.optional(),
    })
    .optional()
    .describe(
      'resubmit: corrected workplace fields (credit code and region stay; withdraw and apply anew to change them)',
    ),
  assembly: foundingAssemblyBody.optional().describe('requestAssembly / resubmitAssembly: the member-assembly request'),
  election: foundingElectionBody.optional().describe('submitResults / resubmitResults: the election results'),
});

export const foundingApplicationOutput = z.object({
  id: idSchema.describe('Founding application id'),
  instanceId: idSchema.describe('Its workflow instance: history and documents at /api/workflow/instances/:id'),
  unitName: z.string().describe('Registered name of the workplace'),
  creditCode: z.string().describe('Unified social credit code (GB 32100)'),
  unitType: z.string().describe('Unit type code'),
  industry: z.string().describe('GB/T 4754 section'),
  regionCode: z.string().describe('GB/T 2260 region code'),
  address: z.string().describe('Address'),
  employeeCount: z.number().int().describe('Employees on the payroll'),
  contactName: z.string().describe('Contact person'),
  contactPhone: z.string().describe('Contact phone, masked'),
  handlingOrgId: idSchema.describe('The union handling the founding (a higher union after an appeal)'),
  handlingOrgName: z.string().describe('Its name'),
  status: z.enum(FOUNDING_STATUSES).describe('open while the steps run · founded · closed (withdrawn or refused)'),
  state: z.string().describe('Current step'),
  stateLabel: localizedText.describe('Current step, in both locales'),
  stateKind: z.string().describe('review (the union acts), waiting (the applicant acts), rejected, done, withdrawn'),
  version: z.number().int().describe('Send back to act on what you saw'),
  dueAt: isoTime.nullable().describe('When the current step falls due (working days, Beijing time)'),
  overdue: z.boolean().describe('The current step is past its due time'),
  assembly: z
    .object({
      assemblyDate: z.string().describe('Planned date, YYYY-MM-DD'),
      expectedMembers: z.number().int().describe('Members expected'),
      candidates: z.array(z.string().describe('Name')).describe('Committee candidates'),
    })
    .nullable()
    .describe('The member-assembly request, once filed'),
  election: z
    .object({
      electedOn: z.string().describe('Election date, YYYY-MM-DD'),
      chairName: z.string().describe('Elected chair'),
      viceChairNames: z.array(z.string().describe('Name')).describe('Vice chairs'),
      committeeNames: z.array(z.string().describe('Name')).describe('Committee members'),
      memberCount: z.number().int().describe('Members at founding'),
    })
    .nullable()
    .describe('The election results, once filed'),
  unionOrgId: idSchema.nullable().describe('The grassroots union founded; null until the results are approved'),
  workUnitId: idSchema.nullable().describe('The work unit registered or linked at founding'),
  actions: z.array(workflowActionOutput).describe('Steps you may take now'),
  createdAt: isoTime,
  updatedAt: isoTime,
  foundedAt: isoTime.nullable().describe('When the union was founded'),
});
export type FoundingApplicationOutput = z.infer<typeof foundingApplicationOutput>;

export const foundingHandlingUnionOutput = z.object({
  id: idSchema.describe('Union id'),
  name: z.string().describe('Union name'),
  type: z.string().describe('federation, township, joint or industry'),
  regionCode: z.string().describe('Its region code'),
});

export const foundingRoutes = {
  handlingUnions: defineRoute({
    id: 'founding.handlingUnions',
    method: 'GET',
    path: '/api/founding/handling-unions',
    tag: 'founding',
    summary:
      'Unions that may handle a founding in a region: the default (nearest federation by region code) and the township, joint and industry unions one may choose',
    permission: 'authenticated',
    query: z.object({ regionCode: foundingApplyBody.shape.regionCode }),
    output: z.object({
      defaultOrgId: idSchema.nullable().describe('Where an application goes when none is chosen; null: no union found'),
      items: z.array(foundingHandlingUnionOutput).describe('The default first, then the unions one may choose'),
    }),
    errors: ['VALIDATION_FAILED'],
  }),
  apply: defineRoute({
    id: 'founding.apply',
    method: 'POST',
    path: '/api/founding/applications',
    tag: 'founding',
    summary:
      'Apply to found a union for a workplace (the signed-in contact); then attach the business licence to the instance',
    permission: 'authenticated',
    body: foundingApplyBody,
    status: 201,
    output: foundingApplicationOutput,
    errors: [
      'VALIDATION_FAILED',
      'ORG_NOT_ACTIVE',
      'FOUNDING_UNIT_HAS_UNION',
      'FOUNDING_ALREADY_OPEN',
      'FOUNDING_NO_HANDLING_UNION',
    ],
  }),
  mine: defineRoute({
    id: 'founding.mine',
    method: 'GET',
    path: '/api/founding/mine',
    tag: 'founding',
    summary: 'Founding applications I made, newest first',
    permission: 'authenticated',
    output: z.object({ items: z.array(foundingApplicationOutput).describe('My applications, newest first') }),
    errors: [],
  }),
  list: defineRoute({
    id: 'founding.list',
    method: 'GET',
    path: '/api/founding/applications',
    tag: 'founding',
    summary: 'Founding applications handled in your scope, open ones soonest due first, filtered by step or overdue',
    permission: 'founding.review',
    query: pageQuery.extend({
      orgId: idSchema.optional().describe('Only this union and below; must be in your scope'),
      state: z.string().trim().min(1).max(64).optional().describe('Only this step'),
      status: z.enum(FOUNDING_STATUSES).optional().describe('Only open, founded or closed applications'),
      overdue: z
        .enum(['true', 'false'])
        .optional()
        .transform((v) => (v === undefined ? undefined : v === 'true'))
        .describe('true: only steps past their due time'),
      q: z.string().trim().min(1).max(100).optional().describe('Workplace name contains, or the credit code'),
    }),
    output: pageOf(foundingApplicationOutput),
    errors: ['NOT_FOUND'],
  }),
  get: defineRoute({
    id: 'founding.get',
    method: 'GET',
    path: '/api/founding/applications/:id',
    tag: 'founding',
    summary:
      'One founding application with its step data (its applicant, or a cadre whose scope covers the handling union)',
    permission: 'authenticated',
    params: z.object({ id: idSchema }),
    output: foundingApplicationOutput,
    errors: ['NOT_FOUND'],
  }),
  step: defineRoute({
    id: 'founding.step',
    method: 'POST',
    path: '/api/founding/applications/:id/steps',
    tag: 'founding',
    summary:
      'Take a step: approve or reject (with a reason) at each review; the applicant files the assembly request and the election results, resubmits, appeals or withdraws',
    permission: 'authenticated',
    params: z.object({ id: idSchema }),
    body: foundingStepBody,
    output: foundingApplicationOutput,
    errors: [
      'NOT_FOUND',
      'VALIDATION_FAILED',
      'WORKFLOW_ACTION_UNAVAILABLE',
      'WORKFLOW_ACTION_FORBIDDEN',
      'WORKFLOW_INSTANCE_CHANGED',
      'WORKFLOW_DOCUMENT_MISSING',
      'WORKFLOW_NO_HIGHER_UNION',
      'FOUNDING_UNIT_HAS_UNION',
      'ORG_NOT_ACTIVE',
      'ORG_TREE_RULE',
    ],
  }),
};
