import { z } from 'zod';
import { idSchema, isoTime, localizedText, pageOf, pageQuery } from './common.ts';
import { defineRoute } from './route.ts';
import { workflowActionOutput } from './workflow.ts';

/**
 * Membership after joining (DOMAIN §3.2, decision 0017): the member's history, transfers
 * between unions ("一次入会、动态接转": the membership follows the job, history kept), retention
 * (保留会籍: no dues, no vote, card kept), withdrawal (voluntary, by expulsion, or after six
 * months without dues or activity: a daily run proposes, the union confirms). Transfers,
 * retention and withdrawal requests are instances of the one workflow engine; their history,
 * comments and attachments are served by /api/workflow/instances/:id.
 */

/** Why a membership is retained. */
export const RETENTION_REASONS = ['retired', 'unemployed', 'unit_closed'] as const;
export type RetentionReason = (typeof RETENTION_REASONS)[number];
export const RETENTION_REASON_LABELS: Record<RetentionReason, { 'zh-CN': string; en: string }> = {
  retired: { 'zh-CN': '退休', en: 'Retired' },
  unemployed: { 'zh-CN': '失业', en: 'Unemployed' },
  unit_closed: { 'zh-CN': '所在单位撤销、破产', en: 'Unit closed' },
};

/** What can happen to a membership after joining; the member's timeline lists these. */
export const MEMBERSHIP_CHANGE_KINDS = [
  'transfer_in',
  'transfer_out',
  'retain',
  'withdraw',
  'inactive',
  'expel',
] as const;
export type MembershipChangeKind = (typeof MEMBERSHIP_CHANGE_KINDS)[number];

/** Months without dues or activity after which the daily run proposes a withdrawal. */
export const INACTIVITY_MONTHS = 6;

const dateSchema = z.iso.date().describe('YYYY-MM-DD');
const monthSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'YYYY-MM')
  .describe('Month, YYYY-MM');
const reasonText = z.string().trim().max(500);
const stateKind = z
  .enum(['review', 'notice', 'waiting', 'rejected', 'done', 'withdrawn'])
  .describe('review: the union must act · rejected (declined) · done · withdrawn (cancelled by the member)');
const membershipStatus = z
  .enum(['active', 'retained', 'transferred_out', 'withdrawn'])
  .describe('active, retained, transferred_out or withdrawn');

export const unionLookupOutput = z.object({
  id: idSchema.describe('Union id'),
  name: z.string().describe('Union name'),
  type: z.enum(['grassroots', 'joint']).describe('grassroots (基层工会) or joint (联合基层工会)'),
  regionCode: z.string().nullable().describe('GB/T 2260 region of the union, when recorded'),
  parentName: z.string().nullable().describe('The union above it (the district or township federation)'),
});

export const membershipChangeOutput = z.object({
  kind: z.enum(MEMBERSHIP_CHANGE_KINDS).describe('transfer_in, transfer_out, retain, withdraw, inactive, expel'),
  reasonCode: z.string().nullable().describe('retain: retired, unemployed or unit_closed'),
  reason: z.string().nullable().describe('The reason given (expulsion, withdrawal, decline …)'),
  on: z.string().describe('YYYY-MM-DD'),
});

export const membershipHistoryEntry = z.object({
  id: idSchema.describe('Membership id'),
  orgId: idSchema.describe('The union'),
  orgName: z.string().describe('Its name'),
  status: membershipStatus,
  startedOn: z.string().describe('From, YYYY-MM-DD'),
  endedOn: z.string().nullable().describe('To, YYYY-MM-DD; null while open'),
  endReason: z.string().nullable().describe('transfer, withdrawal, inactive, expelled (or another recorded reason)'),
  memberNumber: z.string().nullable().describe('Member number; a transfer keeps it'),
  changes: z.array(membershipChangeOutput).describe('What happened to this membership, oldest first'),
});

const requestCommon = {
  id: idSchema.describe('The application (workflow instance) id'),
  personId: idSchema.describe('The member (person id)'),
  personName: z.string().describe('Member, masked (王*明)'),
  memberNumber: z.string().nullable().describe('Member number'),
  state: z.string().describe('Current state'),
  stateLabel: localizedText.describe('Current state in both locales'),
  stateKind,
  version: z.number().int().describe('Send back to act on what you saw'),
  overdue: z.boolean().describe('The union’s step is past its due time'),
  comment: z.string().nullable().describe('What the applicant wrote when starting it'),
  actions: z.array(workflowActionOutput).describe('Steps you may take now'),
  createdAt: isoTime.describe('When it was started'),
  closedAt: isoTime.nullable().describe('When it finished; null while open'),
};

export const transferOutput = z.object({
  ...requestCommon,
  fromOrgId: idSchema
    .nullable()
    .describe('The union left; null when it lies outside your member.read scope and you are not the member'),
  fromOrgName: z.string().nullable().describe('Its name, under the same rule'),
  toOrgId: idSchema.describe('The union joined (handles the transfer)'),
  toOrgName: z.string().describe('Its name'),
  startedBy: z
    .enum(['member', 'from_union', 'to_union'])
    .describe('member (portal), from_union (the union left) or to_union (the union joined)'),
});
export type TransferOutput = z.infer<typeof transferOutput>;

export const membershipRequestOutput = z.object({
  ...requestCommon,
  kind: z.enum(['retain', 'withdraw']).describe('retain (保留会籍) or withdraw (退会)'),
  reasonCode: z.enum(RETENTION_REASONS).nullable().describe('retain: retired, unemployed or unit_closed'),
  orgId: idSchema.describe('The member’s union, which decides'),
  orgName: z.string().describe('Its name'),
});
export type MembershipRequestOutput = z.infer<typeof membershipRequestOutput>;

export const inactivityProposalOutput = z.object({
  id: idSchema.describe('Proposal id'),
  personId: idSchema.describe('The member (person id)'),
  personName: z.string().describe('Member, masked'),
  memberNumber: z.string().nullable().describe('Member number'),
  orgId: idSchema.describe('The member’s union'),
  orgName: z.string().describe('Its name'),
  runOn: z.string().describe('Day of the run that proposed it, YYYY-MM-DD'),
  lastSignOn: z.string().describe('Last dues, activity, card check or application (or the start), YYYY-MM-DD'),
  status: z
    .enum(['open', 'confirmed', 'dismissed', 'lapsed'])
    .describe('open · confirmed (withdrawn as inactive) · dismissed · lapsed (the membership ended otherwise)'),
  reason: z.string().nullable().describe('Why it was dismissed'),
  decidedAt: isoTime.nullable().describe('When the union decided'),
});

export const activityRecordOutput = z.object({
  kind: z.enum(['dues', 'activity']).describe('dues (会费) or activity (参加工会活动)'),
  month: z.string().nullable().describe('Dues: the month paid for'),
  occurredOn: z.string().describe('Day paid or attended'),
  title: z.string().nullable().describe('Activity: what it was'),
  orgName: z.string().describe('The union of the membership it was recorded for'),
});

export const memberHistoryOutput = z.object({
  personId: idSchema.describe('The member (person id)'),
  personName: z.string().describe('Member, masked'),
  memberships: z.array(membershipHistoryEntry).describe('Memberships, newest first; nothing is ever deleted'),
  activity: z.array(activityRecordOutput).describe('Dues and activities, newest first (the last 100)'),
});

export const myMembershipOutput = z.object({
  personName: z.string().describe('My name, masked'),
  memberships: z.array(membershipHistoryEntry).describe('My memberships, newest first'),
  transfers: z.array(transferOutput).describe('My transfer applications, newest first'),
  requests: z.array(membershipRequestOutput).describe('My retention and withdrawal requests, newest first'),
});

export const transferStartBody = z.strictObject({
  toOrgId: idSchema.describe('The union the member moves to (a grassroots, joint or other non-federation union)'),
  personId: idSchema.optional().describe('The union the member leaves names its member; leave out idNumber'),
  idNumber: z
    .string()
    .trim()
    .min(15)
    .max(40)
    .optional()
    .describe('The union joined names the person by ID number; leave out personId. A member leaves out both'),
  comment: reasonText.optional().describe('Why (the new job, the move …)'),
});

export const membershipStepBody = z.strictObject({
  action: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .describe('accept / decline (transfers), approve / decline (requests), cancel (the member)'),
  comment: reasonText.optional().describe('Reason; required to decline'),
  expectedVersion: z.number().int().min(1).optional().describe('The version you saw; a newer one answers 409'),
});

export const membershipRequestBody = z.strictObject({
  kind: z.enum(['retain', 'withdraw']).describe('retain (保留会籍) or withdraw (退会)'),
  reasonCode: z.enum(RETENTION_REASONS).optional().describe('retain: retired, unemployed or unit_closed (required)'),
  comment: reasonText.optional().describe('Anything the union should know'),
});

export const expelBody = z.strictObject({
  personId: idSchema.describe('The member'),
  reason: z.string().trim().min(4).max(500).describe('Why (4–500 characters); recorded and told to the member'),
});

export const proposalDecisionBody = z.strictObject({
  ids: z
    .array(idSchema)
    .min(1)
    .max(500)
    .refine((ids) => new Set(ids).size === ids.length, 'each id once')
    .describe('Proposals to decide (at most 500)'),
  decision: z.enum(['confirm', 'dismiss']).describe('confirm: withdraw each as inactive · dismiss: keep them'),
  reason: reasonText.optional().describe('Why they are dismissed (required to dismiss)'),
});

export const activityRecordBody = z.strictObject({
  kind: z.enum(['dues', 'activity']).describe('dues paid for a month, or an activity attended'),
  personIds: z
    .array(idSchema)
    .min(1)
    .max(500)
    .refine((ids) => new Set(ids).size === ids.length, 'each person once')
    .describe('Members (person ids) of unions in your scope'),
  month: monthSchema.optional().describe('dues: the month paid for, not after this month (required)'),
  occurredOn: dateSchema.optional().describe('Day paid or attended, not in the future; default today'),
  title: z.string().trim().min(2).max(100).optional().describe('activity: what it was (required)'),
});

const instanceParams = z.object({ id: idSchema.describe('The application (workflow instance) id') });
const stepErrors = [
  'NOT_FOUND',
  'VALIDATION_FAILED',
  'WORKFLOW_ACTION_UNAVAILABLE',
  'WORKFLOW_ACTION_FORBIDDEN',
  'WORKFLOW_INSTANCE_CHANGED',
  'MEMBERSHIP_NOT_OPEN',
] as const;
const openFilter = z
  .enum(['true', 'false'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true'))
  .describe('true: only those waiting on the union; false: only finished ones');

export const membershipRoutes = {
  unions: defineRoute({
    id: 'memberships.unions',
    method: 'GET',
    path: '/api/memberships/unions',
    tag: 'memberships',
    summary: 'Find a grassroots or joint union to transfer to, by name within a region (name, id and region only)',
    permission: 'authenticated',
    query: z.object({
      q: z.string().trim().min(2).max(50).describe('Part of the union’s name (at least 2 characters)'),
      regionCode: z
        .string()
        .regex(/^\d{6}$/, '6 digits')
        .optional()
        .describe('Only unions of this province, city or county (GB/T 2260)'),
    }),
    output: z.object({ items: z.array(unionLookupOutput).describe('At most 20 unions, by name') }),
    errors: [],
  }),
  mine: defineRoute({
    id: 'memberships.mine',
    method: 'GET',
    path: '/api/memberships/mine',
    tag: 'memberships',
    summary: 'My membership history and my transfer, retention and withdrawal requests',
    permission: 'authenticated',
    output: myMembershipOutput,
    errors: ['MEMBERSHIP_PERSON_NOT_BOUND'],
  }),
  startTransfer: defineRoute({
    id: 'memberships.startTransfer',
    method: 'POST',
    path: '/api/memberships/transfers',
    tag: 'memberships',
    summary:
      'Start a transfer: the member (to a union they chose), the union left (personId) or the union joined (idNumber)',
    permission: 'authenticated',
    body: transferStartBody,
    status: 201,
    output: transferOutput,
    errors: [
      'NOT_FOUND',
      'VALIDATION_FAILED',
      'ORG_NOT_ACTIVE',
      'MEMBERSHIP_PERSON_NOT_BOUND',
      'MEMBERSHIP_NOT_OPEN',
      'MEMBERSHIP_CHANGE_PENDING',
      'MEMBERSHIP_TRANSFER_SAME_UNION',
    ],
  }),
  transfers: defineRoute({
    id: 'memberships.transfers',
    method: 'GET',
    path: '/api/memberships/transfers',
    tag: 'memberships',
    summary: 'Transfers into (in) or out of (out) the unions of your scope, newest first',
    permission: 'membership.review',
    query: pageQuery.extend({
      direction: z.enum(['in', 'out']).describe('in: to unions of your scope · out: from them'),
      orgId: idSchema.optional().describe('Only this union and below (in your scope)'),
      open: openFilter,
    }),
    output: pageOf(transferOutput),
    errors: ['NOT_FOUND'],
  }),
  transfer: defineRoute({
    id: 'memberships.transfer',
    method: 'GET',
    path: '/api/memberships/transfers/:id',
    tag: 'memberships',
    summary: 'One transfer, for the member and both unions (history and comments: /api/workflow/instances/:id)',
    permission: 'authenticated',
    params: instanceParams,
    output: transferOutput,
    errors: ['NOT_FOUND'],
  }),
  transferStep: defineRoute({
    id: 'memberships.transferStep',
    method: 'POST',
    path: '/api/memberships/transfers/:id/steps',
    tag: 'memberships',
    summary:
      'The union joined accepts (the membership moves, same member number) or declines with a reason; the member may cancel',
    permission: 'authenticated',
    params: instanceParams,
    body: membershipStepBody,
    output: transferOutput,
    errors: [...stepErrors],
  }),
  request: defineRoute({
    id: 'memberships.request',
    method: 'POST',
    path: '/api/memberships/requests',
    tag: 'memberships',
    summary: 'Ask my union to retain my membership (retired, unemployed, unit closed) or to let me withdraw',
    permission: 'authenticated',
    body: membershipRequestBody,
    status: 201,
    output: membershipRequestOutput,
    errors: [
      'VALIDATION_FAILED',
      'MEMBERSHIP_PERSON_NOT_BOUND',
      'MEMBERSHIP_NOT_OPEN',
      'MEMBERSHIP_STATUS_NOT_ALLOWED',
      'MEMBERSHIP_CHANGE_PENDING',
    ],
  }),
  requests: defineRoute({
    id: 'memberships.requests',
    method: 'GET',
    path: '/api/memberships/requests',
    tag: 'memberships',
    summary: 'Retention and withdrawal requests to the unions of your scope, newest first',
    permission: 'membership.review',
    query: pageQuery.extend({
      kind: z.enum(['retain', 'withdraw']).optional().describe('Only this kind'),
      orgId: idSchema.optional().describe('Only this union and below (in your scope)'),
      open: openFilter,
    }),
    output: pageOf(membershipRequestOutput),
    errors: ['NOT_FOUND'],
  }),
  requestStep: defineRoute({
    id: 'memberships.requestStep',
    method: 'POST',
    path: '/api/memberships/requests/:id/steps',
    tag: 'memberships',
    summary: 'The member’s union approves or declines (with a reason); the member may cancel',
    permission: 'authenticated',
    params: instanceParams,
    body: membershipStepBody,
    output: membershipRequestOutput,
    errors: [...stepErrors, 'MEMBERSHIP_STATUS_NOT_ALLOWED'],
  }),
  expel: defineRoute({
    id: 'memberships.expel',
    method: 'POST',
    path: '/api/memberships/expulsions',
    tag: 'memberships',
    summary: 'Expel a member with a reason: the membership ends (withdrawn, expelled), the member is told',
    permission: 'membership.review',
    body: expelBody,
    output: memberHistoryOutput,
    errors: ['NOT_FOUND', 'VALIDATION_FAILED', 'MEMBERSHIP_NOT_OPEN'],
  }),
  proposals: defineRoute({
    id: 'memberships.proposals',
    method: 'GET',
    path: '/api/memberships/inactivity-proposals',
    tag: 'memberships',
    summary: 'Members the daily run found without dues or activity for six months, in your scope',
    permission: 'membership.review',
    query: pageQuery.extend({
      orgId: idSchema.optional().describe('Only this union and below (in your scope)'),
      status: z
        .enum(['open', 'confirmed', 'dismissed', 'lapsed'])
        .default('open')
        .describe('open (the default), confirmed, dismissed or lapsed'),
    }),
    output: pageOf(inactivityProposalOutput),
    errors: ['NOT_FOUND'],
  }),
  decideProposals: defineRoute({
    id: 'memberships.decideProposals',
    method: 'POST',
    path: '/api/memberships/inactivity-proposals/decisions',
    tag: 'memberships',
    summary: 'Confirm (each withdrawn as inactive, the member told) or dismiss proposals, in one batch',
    permission: 'membership.review',
    body: proposalDecisionBody,
    output: z.object({ items: z.array(inactivityProposalOutput).describe('The proposals as decided, in order') }),
    errors: ['NOT_FOUND', 'VALIDATION_FAILED'],
  }),
  recordActivity: defineRoute({
    id: 'memberships.recordActivity',
    method: 'POST',
    path: '/api/memberships/activity-records',
    tag: 'memberships',
    summary: 'Record dues paid for a month, or an activity attended, for members of your scope',
    permission: 'member.write',
    body: activityRecordBody,
    output: z.object({
      recorded: z.number().int().describe('Records added'),
      already: z.number().int().describe('Dues of that month already on record (unchanged)'),
    }),
    errors: ['NOT_FOUND', 'VALIDATION_FAILED', 'MEMBERSHIP_STATUS_NOT_ALLOWED'],
  }),
  history: defineRoute({
    id: 'memberships.history',
    method: 'GET',
    path: '/api/memberships/people/:id',
    tag: 'memberships',
    summary: 'A member’s memberships with what happened to each, and their dues and activities',
    permission: 'member.read',
    params: z.object({ id: idSchema.describe('Person id') }),
    output: memberHistoryOutput,
    errors: ['NOT_FOUND'],
  }),
};
