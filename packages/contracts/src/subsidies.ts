import { z } from 'zod';
import { idSchema, isoTime, localizedText, pageOf, pageQuery } from './common.ts';
import { defineRoute } from './route.ts';
import { workflowActionOutput } from './workflow.ts';

/**
 * Model-worker special subsidies (劳模专项补助, DOMAIN §3.5): festival greetings generated
 * each year, special hardship and farmer allowances applied for and run on the workflow
 * engine, paid through the ledger by the city federation's payment plan.
 */

export const SUBSIDY_KINDS = ['festival', 'hardship', 'farmer'] as const;
export type SubsidyKindCode = (typeof SUBSIDY_KINDS)[number];
/** The kinds a model worker applies for (festival greetings are generated, never applied for). */
export const APPLIED_SUBSIDY_KINDS = ['hardship', 'farmer'] as const;

/** Causes of special hardship, as the seed rules list them. */
export const HARDSHIP_CAUSES = [
  'serious_illness_self',
  'serious_illness_family',
  'unemployment',
  'lost_work_capacity',
  'children_schooling',
  'natural_disaster',
  'family_accident',
] as const;
export type HardshipCause = (typeof HARDSHIP_CAUSES)[number];

/** Labels of the causes (zh-CN first). */
export const HARDSHIP_CAUSE_LABELS: Record<HardshipCause, { 'zh-CN': string; en: string }> = {
  serious_illness_self: { 'zh-CN': '本人患重大疾病、慢性病，自付医疗费用较重', en: 'Own serious or chronic illness' },
  serious_illness_family: {
    'zh-CN': '父母、配偶、子女患重大疾病、慢性病，自付医疗费用较重',
    en: 'Serious illness of parents, spouse or children',
  },
  unemployment: { 'zh-CN': '下岗（失业）造成临时性生活困难', en: 'Unemployment' },
  lost_work_capacity: { 'zh-CN': '丧失劳动能力造成临时性生活困难', en: 'Lost work capacity' },
  children_schooling: { 'zh-CN': '子女境内上学造成临时性生活困难', en: "Children's schooling" },
  natural_disaster: { 'zh-CN': '遭受自然灾害', en: 'Natural disaster' },
  family_accident: { 'zh-CN': '家庭意外灾害', en: 'Family accident' },
};

const dateSchema = z.iso.date().describe('YYYY-MM-DD');
const kindSchema = z
  .enum(SUBSIDY_KINDS)
  .describe('festival (双节慰问), hardship (特殊困难补助), farmer (农民劳模生活补助)');
const appliedKind = z.enum(APPLIED_SUBSIDY_KINDS).describe('hardship or farmer');
const yearSchema = z.coerce.number().int().min(2019).max(2100).describe('Subsidy year');
const fen = z.number().int().positive().max(100_000_000);

export const subsidyPolicyOutput = z.object({
  id: idSchema.nullable().describe('Policy version id; null for the built-in seed rules not stored yet'),
  orgId: idSchema.nullable().describe('The federation whose rule it is; null for the built-in seed rules'),
  kind: kindSchema,
  effectiveFrom: z.string().describe('First day in force, YYYY-MM-DD'),
  effectiveTo: z.string().nullable().describe('Last day in force; null: open-ended'),
  amountMinFen: z.number().int().describe('Smallest amount, fen (equal to the largest for fixed amounts)'),
  amountMaxFen: z.number().int().describe('Largest amount, fen'),
  menMinAge: z.number().int().nullable().describe('Farmer allowance: minimum age of men'),
  womenMinAge: z.number().int().nullable().describe('Farmer allowance: minimum age of women'),
  timesPerYear: z.number().int().describe('How often one person may receive it in a year'),
  noticeDays: z.number().int().describe('Days of public notice'),
  builtIn: z.boolean().describe('The seed rules that apply until the federation sets its own'),
  createdAt: isoTime.nullable().describe('When the version was added'),
});

export const subsidyPolicyBody = z.object({
  orgId: idSchema.describe('The federation setting the rule'),
  kind: kindSchema,
  effectiveFrom: dateSchema.describe('First day in force; later than every version before it'),
  effectiveTo: dateSchema.nullable().optional().describe('Last day in force; omitted: open-ended'),
  amountMinFen: fen.describe('Smallest amount, fen'),
  amountMaxFen: fen.describe('Largest amount, fen; equal to the smallest for fixed amounts'),
  menMinAge: z.number().int().min(16).max(100).nullable().optional().describe('Farmer allowance: men from this age'),
  womenMinAge: z
    .number()
    .int()
    .min(16)
    .max(100)
    .nullable()
    .optional()
    .describe('Farmer allowance: women from this age'),
  timesPerYear: z.number().int().min(1).max(12).default(1).describe('Times per person and year'),
  noticeDays: z.number().int().min(1).max(30).default(5).describe('Days of public notice'),
});

export const subsidyApplicationOutput = z.object({
  id: idSchema.describe('Application id (the workflow instance)'),
  kind: appliedKind,
  year: z.number().int().describe('Subsidy year'),
  personName: z.string().describe('Applicant model worker, masked (王*明)'),
  modelWorkerId: idSchema.describe('Registry entry'),
  orgId: idSchema.describe('The union handling the current step'),
  state: z.string().describe('Current step'),
  stateLabel: localizedText.describe('Current step, in both locales'),
  stateKind: z.string().describe('review, notice, waiting, rejected, done'),
  version: z.number().int().describe('Send back to act on what you saw'),
  overdue: z.boolean().describe('The current step is past its due time'),
  cause: z.enum(HARDSHIP_CAUSES).nullable().describe('Hardship: the cause'),
  description: z.string().nullable().describe('What the applicant wrote'),
  requestedAmountFen: z.number().int().nullable().describe('Hardship: the amount asked for, fen'),
  approvedAmountFen: z.number().int().nullable().describe('The amount verified by the survey, fen'),
  surveyFindings: z.string().nullable().describe('What the household survey found'),
  award: z
    .object({
      id: idSchema.describe('Award id'),
      amountFen: z.number().int().nullable().describe('Amount, fen'),
      status: z
        .enum(['pending', 'planned', 'sent', 'paid', 'failed'])
        .describe('planned · sent to the bank · paid · failed (owed again)'),
      failureReason: z.string().nullable().describe('The bank’s reason for a failed payment'),
    })
    .nullable()
    .describe('The payment, once a plan made it'),
  actions: z.array(workflowActionOutput).describe('Steps you may take now'),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type SubsidyApplicationOutput = z.infer<typeof subsidyApplicationOutput>;

export const subsidyApplyBody = z.object({
  kind: appliedKind,
  personId: idSchema
    .optional()
    .describe('A union applying for a model worker names the person; a member applying for themselves leaves it out'),
  cause: z.enum(HARDSHIP_CAUSES).optional().describe('Hardship: the cause (required for hardship)'),
  requestedAmountFen: fen.optional().describe('Hardship: the amount asked for, within the rule in force'),
  description: z.string().trim().max(2000).optional().describe('The situation in the applicant’s words'),
});

export const subsidyStepBody = z.object({
  action: z.string().trim().min(1).max(64).describe('The step, e.g. verify, reject, pass, resubmit, appeal'),
  comment: z.string().trim().max(2000).optional().describe('Reason or remark (required for rejections and appeals)'),
  expectedVersion: z.number().int().optional().describe('The version you saw'),
  surveyFindings: z.string().trim().max(4000).optional().describe('verify / appealGrant: what the survey found'),
  approvedAmountFen: fen.optional().describe('verify / appealGrant (hardship): the amount approved, fen'),
  cause: z.enum(HARDSHIP_CAUSES).optional().describe('resubmit: corrected cause'),
  requestedAmountFen: fen.optional().describe('resubmit: corrected amount'),
  description: z.string().trim().max(2000).optional().describe('resubmit: corrected description'),
});

export const subsidyAwardOutput = z.object({
  id: idSchema.describe('Award id'),
  kind: kindSchema,
  year: z.number().int().describe('Subsidy year'),
  personName: z.string().describe('Payee, masked'),
  amountFen: z.number().int().nullable().describe('Amount, fen; null until a plan prices a generated greeting'),
  status: z
    .enum(['pending', 'planned', 'sent', 'paid', 'failed'])
    .describe('pending: in no plan yet · planned · sent to the bank · paid · failed (owed again)'),
  failureReason: z.string().nullable().describe('The bank’s reason for a failed payment'),
  applicationId: idSchema.nullable().describe('The application; null for festival greetings'),
  planId: idSchema.nullable().describe('The payment plan'),
  paymentDate: z.string().nullable().describe('The plan’s payment date'),
  paidAt: isoTime.nullable().describe('When the bank confirmed it'),
});

export const subsidyPlanOutput = z.object({
  id: idSchema.describe('Plan id'),
  orgId: idSchema.describe('The paying federation'),
  year: z.number().int().describe('Subsidy year'),
  kind: kindSchema.nullable().describe('null: every kind'),
  paymentDate: z.string().describe('Date whose rules priced the plan'),
  status: z
    .enum(['building', 'batched'])
    .describe('building: awards being planned · batched: the payout batch is made'),
  payoutBatchId: idSchema.nullable().describe('The payout batch (send it and reconcile it on the finance pages)'),
  awardCount: z.number().int().describe('Payments in the plan'),
  totalFen: z.number().int().describe('Total, fen'),
  byKind: z
    .array(
      z.object({
        kind: kindSchema,
        count: z.number().int().describe('Payments'),
        totalFen: z.number().int().describe('Total, fen'),
      }),
    )
    .describe('Totals per kind'),
  skipped: z
    .array(
      z.object({
        personName: z.string().describe('Payee, masked'),
        kind: kindSchema,
        reason: z.string().describe('no_bank_card, already_awarded or amount_outside_rule'),
      }),
    )
    .describe('Left out of this plan (e.g. no bank card on record); they stay owed'),
  createdAt: isoTime,
});

export const subsidyPlanBody = z.object({
  orgId: idSchema.describe('The paying (city) federation'),
  year: yearSchema,
  kind: kindSchema.optional().describe('Only this kind; omitted: every kind'),
  paymentDate: dateSchema.optional().describe('Date whose rules price the plan; default today (Beijing)'),
});

export const subsidyReportOutput = z.object({
  year: z.number().int().describe('Subsidy year'),
  rows: z
    .array(
      z.object({
        countyId: idSchema.nullable().describe('County federation above the model worker’s union; null when none'),
        countyName: z.string().nullable().describe('Its name'),
        kind: kindSchema,
        count: z.number().int().describe('Payments made'),
        totalFen: z.number().int().describe('Paid, fen'),
      }),
    )
    .describe('Paid per county and kind'),
  totals: z
    .array(
      z.object({
        kind: kindSchema,
        count: z.number().int().describe('Payments made'),
        totalFen: z.number().int().describe('Paid, fen'),
      }),
    )
    .describe('Paid per kind below the union'),
});

const orgYear = z.object({ orgId: idSchema.describe('Union (its subtree)'), year: yearSchema });

export const subsidyRoutes = {
  policies: defineRoute({
    id: 'subsidies.policies',
    method: 'GET',
    path: '/api/subsidies/policies',
    tag: 'subsidies',
    summary: 'Rule versions in force for a federation (its own and inherited), with effective dates',
    permission: 'subsidy.policy',
    query: z.object({ orgId: idSchema.describe('The federation'), kind: kindSchema.optional() }),
    output: z.object({ items: z.array(subsidyPolicyOutput).describe('Versions, oldest first, per kind') }),
    errors: ['NOT_FOUND'],
  }),
  addPolicy: defineRoute({
    id: 'subsidies.addPolicy',
    method: 'POST',
    path: '/api/subsidies/policies',
    tag: 'subsidies',
    summary: 'Add a rule version from a date (never edits a version in use); periods may not overlap',
    permission: 'subsidy.policy',
    body: subsidyPolicyBody,
    status: 201,
    output: subsidyPolicyOutput,
    errors: ['NOT_FOUND', 'VALIDATION_FAILED', 'SUBSIDY_POLICY_OVERLAP', 'SUBSIDY_PAYER_NOT_FEDERATION'],
  }),
  apply: defineRoute({
    id: 'subsidies.apply',
    method: 'POST',
    path: '/api/subsidies/applications',
    tag: 'subsidies',
    summary:
      'Apply for a special hardship subsidy or the farmer allowance (for yourself, or a union for a model worker)',
    permission: 'authenticated',
    body: subsidyApplyBody,
    status: 201,
    output: subsidyApplicationOutput,
    errors: [
      'NOT_FOUND',
      'VALIDATION_FAILED',
      'SUBSIDY_PERSON_NOT_BOUND',
      'SUBSIDY_NOT_ELIGIBLE',
      'SUBSIDY_ONCE_PER_YEAR',
    ],
  }),
  applications: defineRoute({
    id: 'subsidies.applications',
    method: 'GET',
    path: '/api/subsidies/applications',
    tag: 'subsidies',
    summary: 'Subsidy applications handled in your scope (the queue), filtered by kind, step, year, overdue',
    permission: 'subsidy.review',
    query: pageQuery.extend({
      orgId: idSchema.optional().describe('Only this union and below'),
      kind: appliedKind.optional(),
      state: z.string().trim().min(1).max(64).optional().describe('Only this step'),
      year: yearSchema.optional(),
      overdue: z
        .enum(['true', 'false'])
        .optional()
        .transform((v) => (v === undefined ? undefined : v === 'true'))
        .describe('true: only steps past their due time'),
    }),
    output: pageOf(subsidyApplicationOutput),
    errors: ['NOT_FOUND'],
  }),
  application: defineRoute({
    id: 'subsidies.application',
    method: 'GET',
    path: '/api/subsidies/applications/:id',
    tag: 'subsidies',
    summary: 'One subsidy application with its own fields (history and documents: /api/workflow/instances/:id)',
    permission: 'authenticated',
    params: z.object({ id: idSchema }),
    output: subsidyApplicationOutput,
    errors: ['NOT_FOUND'],
  }),
  step: defineRoute({
    id: 'subsidies.step',
    method: 'POST',
    path: '/api/subsidies/applications/:id/steps',
    tag: 'subsidies',
    summary:
      'Take a step: verify with survey findings and amount, reject with a reason, pass the notice, resubmit, appeal',
    permission: 'authenticated',
    params: z.object({ id: idSchema }),
    body: subsidyStepBody,
    output: subsidyApplicationOutput,
    errors: [
      'NOT_FOUND',
      'VALIDATION_FAILED',
      'WORKFLOW_ACTION_UNAVAILABLE',
      'WORKFLOW_ACTION_FORBIDDEN',
      'WORKFLOW_INSTANCE_CHANGED',
      'WORKFLOW_DOCUMENT_MISSING',
      'WORKFLOW_NOTICE_PERIOD_OPEN',
      'WORKFLOW_OBJECTION_PENDING',
      'WORKFLOW_NO_HIGHER_UNION',
      'SUBSIDY_NOT_ELIGIBLE',
    ],
  }),
  festival: defineRoute({
    id: 'subsidies.festival',
    method: 'POST',
    path: '/api/subsidies/festival-greetings',
    tag: 'subsidies',
    summary:
      'Generate the year’s festival greetings (双节慰问) for every eligible model worker below a federation; idempotent',
    permission: 'subsidy.policy',
    body: orgYear,
    output: z.object({
      created: z.number().int().describe('Greetings added by this run'),
      existing: z.number().int().describe('Eligible model workers who had theirs already'),
    }),
    errors: ['NOT_FOUND', 'SUBSIDY_PAYER_NOT_FEDERATION'],
  }),
  createPlan: defineRoute({
    id: 'subsidies.createPlan',
    method: 'POST',
    path: '/api/subsidies/plans',
    tag: 'subsidies',
    summary:
      'Make the payment plan: approved applications and generated greetings of the year move from the budget to the payees and into a payout batch',
    permission: 'finance.pay',
    body: subsidyPlanBody,
    status: 201,
    output: subsidyPlanOutput,
    errors: [
      'NOT_FOUND',
      'SUBSIDY_PAYER_NOT_FEDERATION',
      'SUBSIDY_NOTHING_TO_PLAN',
      'SUBSIDY_NO_POLICY',
      'LEDGER_INSUFFICIENT_FUNDS',
    ],
  }),
  plans: defineRoute({
    id: 'subsidies.plans',
    method: 'GET',
    path: '/api/subsidies/plans',
    tag: 'subsidies',
    summary: 'Payment plans of the federations in your scope, newest first',
    permission: 'finance.read',
    query: pageQuery.extend({ orgId: idSchema.optional(), year: yearSchema.optional() }),
    output: pageOf(subsidyPlanOutput),
    errors: ['NOT_FOUND'],
  }),
  mine: defineRoute({
    id: 'subsidies.mine',
    method: 'GET',
    path: '/api/subsidies/mine',
    tag: 'subsidies',
    summary: 'My subsidy applications and payments (a member bound to their real-name record)',
    permission: 'authenticated',
    output: z.object({
      applications: z.array(subsidyApplicationOutput).describe('My applications, newest first'),
      awards: z.array(subsidyAwardOutput).describe('My payments, newest year first'),
    }),
    errors: ['SUBSIDY_PERSON_NOT_BOUND'],
  }),
  report: defineRoute({
    id: 'subsidies.report',
    method: 'GET',
    path: '/api/subsidies/report',
    tag: 'subsidies',
    summary: 'Yearly report: subsidies paid per kind and per county below a union',
    permission: 'subsidy.review',
    query: orgYear,
    output: subsidyReportOutput,
    errors: ['NOT_FOUND'],
  }),
};
