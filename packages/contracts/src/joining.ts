import { z } from 'zod';
import { codesOf, EMPLOYMENT_TYPES, NEW_FORM_GROUPS } from './code-lists.ts';
import { idSchema, isoTime, localizedText, pageOf, pageQuery } from './common.ts';
import { defineRoute } from './route.ts';
import { workflowActionOutput } from './workflow.ts';

/**
 * Joining (入会, DOMAIN §3.2): a worker applies on the portal (or a union enrolls a list of
 * workers), the application is routed to the union that takes them, that union reviews it
 * within 3 working days on the workflow engine, and approval opens the membership with a
 * member number and an e-member card. The ID number and phone travel masked.
 */

export const JOIN_SOURCES = ['portal', 'list', 'event'] as const;
export type JoinSource = (typeof JOIN_SOURCES)[number];
/** How the union was chosen: the employer's own, the new-form pool of the city, or the local union. */
export const JOIN_ROUTES = ['employer', 'pool', 'local'] as const;
export type JoinRoute = (typeof JOIN_ROUTES)[number];
/** The document kind of the proof of work (labour contract, employer's certificate, platform record). */
export const JOIN_WORK_PROOF = 'workProof';
/** Applications approved at once by one batch request (一键审核). */
export const JOIN_BATCH_MAX = 500;

const employmentType = z.enum(codesOf(EMPLOYMENT_TYPES));
const newFormGroup = z.enum(codesOf(NEW_FORM_GROUPS));
const regionCode = z.string().regex(/^\d{6}$/, 'must be 6 digits');

/** The form a worker fills (and corrects on resubmission). */
export const joinFormBody = z.strictObject({
  name: z.string().trim().min(2).max(50).describe('Name as on the ID card'),
  idNumber: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .describe('Resident ID number (GB 11643), 18 characters; a 15-digit legacy number is converted'),
  employmentType: employmentType.describe('regular, migrant, new_form, dispatched or flexible'),
  newFormGroup: newFormGroup
    .nullable()
    .optional()
    .describe('Required for new_form: which of the eight groups (courier, ride_hailing …); otherwise absent'),
  workUnitId: idSchema.optional().describe('The employer picked from the employer search'),
  creditCode: z
    .string()
    .trim()
    .max(30)
    .optional()
    .describe('The employer by its unified social credit code (GB 32100), when not picked from the search'),
  workUnitName: z
    .string()
    .trim()
    .min(2)
    .max(100)
    .optional()
    .describe('The employer by name when it is not registered; required for regular, migrant and dispatched workers'),
  workRegionCode: regionCode
    .optional()
    .describe(
      'GB/T 2260 code of the county (or city) where the applicant works; routes workers whose employer has no union',
    ),
  localUnionId: idSchema
    .optional()
    .describe('The township (street) union chosen where the region has several (see local-unions)'),
});
export type JoinForm = z.infer<typeof joinFormBody>;

export const joinApplicationOutput = z.object({
  id: idSchema.describe('Application id (the workflow instance: history and documents at /api/workflow/instances/:id)'),
  source: z
    .enum(JOIN_SOURCES)
    .describe('portal (the worker applied), list (a union enrolled a list) or event (QR code)'),
  batchId: z.string().nullable().describe('The group enrollment the application came with'),
  name: z.string().describe('Name, masked (王*明)'),
  idNumber: z.string().describe('ID number, masked (6101**********1234)'),
  phone: z.string().nullable().describe('Phone, masked (138****1234)'),
  gender: z.enum(['male', 'female']).describe('From the ID number'),
  age: z.number().int().describe('Age today, from the ID number'),
  employmentType: employmentType.describe('regular, migrant, new_form, dispatched or flexible'),
  newFormGroup: newFormGroup.nullable().describe('The new-form group; null for other workers'),
  workUnitId: idSchema.nullable().describe('The registered employer'),
  workUnitName: z.string().nullable().describe('The employer’s name'),
  workRegionCode: z.string().nullable().describe('Where the applicant works (GB/T 2260)'),
  unionId: idSchema.describe('The union the application was routed to: the membership opens there'),
  unionName: z.string().describe('Its name'),
  route: z
    .enum(JOIN_ROUTES)
    .describe('employer (the employer’s union), pool (new-form pool union) or local (township or joint union)'),
  orgId: idSchema.describe('The union handling the current step (the higher union during an appeal)'),
  state: z.string().describe('submitted, approved, rejected, appealReview, appealDenied or withdrawn'),
  stateLabel: localizedText.describe('The state in both locales'),
  stateKind: z.string().describe('review, rejected, done or withdrawn'),
  version: z.number().int().describe('Send it back to act on what you saw'),
  dueAt: isoTime.nullable().describe('When the union must have decided (3 working days, Beijing time)'),
  overdue: z.boolean().describe('The union has not decided by the due time'),
  documentsNeeded: z.array(z.string()).describe('Document kinds the union needs before approval (workProof)'),
  documentsMissing: z.array(z.string()).describe('Of those, the ones not attached yet'),
  rejectionReason: z.string().nullable().describe('Why the union (or the higher union) refused'),
  memberNumber: z.string().nullable().describe('The member number, once approved'),
  actions: z.array(workflowActionOutput).describe('Steps you may take now'),
  createdAt: isoTime.describe('When the application was made'),
  updatedAt: isoTime.describe('The last step'),
});
export type JoinApplicationOutput = z.infer<typeof joinApplicationOutput>;

const params = z.object({ id: idSchema.describe('Application id') });
const expectedVersion = z.number().int().min(1).optional().describe('The version you saw; a newer one answers 409');

export const joinBatchResult = z.object({
  id: idSchema.describe('Application id'),
  ok: z.boolean().describe('Approved'),
  state: z.string().nullable().describe('The state after the step, when it was taken'),
  code: z.string().nullable().describe('Why not: the error code (e.g. WORKFLOW_DOCUMENT_MISSING, NOT_FOUND)'),
  status: z.number().int().nullable().describe('The HTTP status that refusal has on its own'),
});

export const joinPoolOutput = z.object({
  federationId: idSchema.describe('The federation whose region the pool serves'),
  newFormGroup: newFormGroup.describe('The new-form group'),
  poolOrgId: idSchema.describe('The union that takes the group’s workers'),
  poolOrgName: z.string().describe('Its name'),
  updatedAt: isoTime.describe('When it was set'),
});

export const joiningRoutes = {
  submit: defineRoute({
    id: 'joining.submit',
    method: 'POST',
    path: '/api/joining/applications',
    tag: 'joining',
    summary:
      'Apply to join the union (signed in by phone): routed to the employer’s union, the new-form pool union of the city, or the local township union',
    permission: 'authenticated',
    body: joinFormBody,
    status: 201,
    output: joinApplicationOutput,
    errors: [
      'VALIDATION_FAILED',
      'NOT_FOUND',
      'MEMBER_TOO_YOUNG',
      'JOIN_ALREADY_MEMBER',
      'JOIN_APPLICATION_PENDING',
      'JOIN_NO_UNION',
      'PHONE_TAKEN',
      'REAL_NAME_TAKEN',
      'REAL_NAME_NOT_MATCHED',
    ],
  }),
  mine: defineRoute({
    id: 'joining.mine',
    method: 'GET',
    path: '/api/joining/applications/mine',
    tag: 'joining',
    summary: 'My join applications, newest first',
    permission: 'authenticated',
    output: z.object({ items: z.array(joinApplicationOutput).describe('My applications, newest first') }),
    errors: [],
  }),
  get: defineRoute({
    id: 'joining.get',
    method: 'GET',
    path: '/api/joining/applications/:id',
    tag: 'joining',
    summary: 'One join application (its applicant, or a cadre whose scope covers the handling union)',
    permission: 'authenticated',
    params,
    output: joinApplicationOutput,
    errors: ['NOT_FOUND'],
  }),
  resubmit: defineRoute({
    id: 'joining.resubmit',
    method: 'POST',
    path: '/api/joining/applications/:id/resubmit',
    tag: 'joining',
    summary: 'Correct and resubmit my pending or rejected application (an approved one cannot be)',
    permission: 'authenticated',
    params,
    body: joinFormBody.extend({ expectedVersion }),
    output: joinApplicationOutput,
    errors: [
      'NOT_FOUND',
      'VALIDATION_FAILED',
      'MEMBER_TOO_YOUNG',
      'JOIN_ALREADY_MEMBER',
      'JOIN_APPLICATION_PENDING',
      'JOIN_NO_UNION',
      'JOIN_UNION_CHANGED',
      'PHONE_TAKEN',
      'WORKFLOW_ACTION_UNAVAILABLE',
      'WORKFLOW_INSTANCE_CHANGED',
    ],
  }),
  queue: defineRoute({
    id: 'joining.queue',
    method: 'GET',
    path: '/api/joining/applications',
    tag: 'joining',
    summary: 'Join applications handled in your scope (the review queue), soonest due first',
    permission: 'membership.review',
    query: pageQuery.extend({
      orgId: idSchema.optional().describe('Only this union and below'),
      state: z.string().trim().min(1).max(64).optional().describe('Only this state (e.g. submitted)'),
      overdue: z
        .enum(['true', 'false'])
        .optional()
        .transform((v) => (v === undefined ? undefined : v === 'true'))
        .describe('true: only applications past their due time'),
      batchId: z.string().trim().min(1).max(64).optional().describe('Only this group enrollment'),
    }),
    output: pageOf(joinApplicationOutput),
    errors: ['NOT_FOUND'],
  }),
  approve: defineRoute({
    id: 'joining.approve',
    method: 'POST',
    path: '/api/joining/applications/:id/approve',
    tag: 'joining',
    summary:
      'Approve (or, at the higher union, grant the appeal): opens the membership with a member number, issues the e-member card, welcomes the worker',
    permission: 'membership.review',
    params,
    body: z.strictObject({
      comment: z.string().trim().max(2000).optional().describe('Remark; required when granting an appeal'),
      expectedVersion,
    }),
    output: joinApplicationOutput,
    errors: [
      'NOT_FOUND',
      'VALIDATION_FAILED',
      'WORKFLOW_ACTION_UNAVAILABLE',
      'WORKFLOW_ACTION_FORBIDDEN',
      'WORKFLOW_INSTANCE_CHANGED',
      'WORKFLOW_DOCUMENT_MISSING',
      'JOIN_ALREADY_MEMBER',
      'PHONE_TAKEN',
      'ORG_NOT_ACTIVE',
    ],
  }),
  reject: defineRoute({
    id: 'joining.reject',
    method: 'POST',
    path: '/api/joining/applications/:id/reject',
    tag: 'joining',
    summary: 'Reject with a reason (or, at the higher union, deny the appeal); the worker may resubmit or appeal',
    permission: 'membership.review',
    params,
    body: z.strictObject({
      reason: z.string().trim().min(1).max(2000).describe('Why: shown to the worker'),
      expectedVersion,
    }),
    output: joinApplicationOutput,
    errors: [
      'NOT_FOUND',
      'VALIDATION_FAILED',
      'WORKFLOW_ACTION_UNAVAILABLE',
      'WORKFLOW_ACTION_FORBIDDEN',
      'WORKFLOW_INSTANCE_CHANGED',
    ],
  }),
  batchApprove: defineRoute({
    id: 'joining.batchApprove',
    method: 'POST',
    path: '/api/joining/applications/batch-approve',
    tag: 'joining',
    summary: 'Approve the selected applications at once (一键审核); each row gets its own answer',
    permission: 'membership.review',
    body: z.strictObject({
      ids: z.array(idSchema).min(1).max(JOIN_BATCH_MAX).describe('Applications to approve'),
      comment: z.string().trim().max(2000).optional().describe('Remark recorded with every approval'),
    }),
    output: z.object({
      results: z.array(joinBatchResult).describe('One answer per application, in the order asked'),
      approved: z.number().int().describe('How many were approved'),
    }),
    errors: [],
  }),
  setPool: defineRoute({
    id: 'joining.setPool',
    method: 'PUT',
    path: '/api/joining/pools',
    tag: 'joining',
    summary:
      'Name the union that takes one new-form group’s workers in a federation’s region (a city federation’s cadres)',
    permission: 'org.update',
    body: z.strictObject({
      federationId: idSchema.describe('A federation with a region code, in your scope'),
      newFormGroup: newFormGroup.describe('The new-form group (courier, ride_hailing …)'),
      poolOrgId: idSchema.describe('An active industry, joint or grassroots union below that federation'),
    }),
    output: joinPoolOutput,
    errors: ['NOT_FOUND', 'VALIDATION_FAILED', 'ORG_NOT_ACTIVE'],
  }),
  employers: defineRoute({
    id: 'joining.employers',
    method: 'GET',
    path: '/api/joining/employers',
    tag: 'joining',
    summary: 'Find a registered employer by name or credit code for the join form (at most 20)',
    permission: 'authenticated',
    query: z.object({ q: z.string().trim().min(2).max(50).describe('Part of the name, or the full credit code') }),
    output: z.object({
      items: z
        .array(
          z.object({
            id: idSchema.describe('Work unit id'),
            name: z.string().describe('Registered name'),
            creditCode: z.string().nullable().describe('Unified social credit code (public)'),
            regionCode: z.string().nullable().describe('Where it is registered'),
            unionName: z.string().nullable().describe('Its union; null when it has none yet'),
          }),
        )
        .describe('Matching employers'),
    }),
    errors: [],
  }),
  localUnions: defineRoute({
    id: 'joining.localUnions',
    method: 'GET',
    path: '/api/joining/local-unions',
    tag: 'joining',
    summary: 'Township (street) and joint unions that take workers of a region whose employer has no union',
    permission: 'authenticated',
    query: z.object({ regionCode: regionCode.describe('GB/T 2260 code of the county or city') }),
    output: z.object({
      items: z
        .array(
          z.object({
            id: idSchema.describe('Union id'),
            name: z.string().describe('Its name'),
            type: z.string().describe('township or joint'),
          }),
        )
        .describe('Candidate unions, nearest region first'),
    }),
    errors: [],
  }),
};
