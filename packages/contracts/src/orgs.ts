import { z } from 'zod';
import { idSchema, isoTime } from './common.ts';
import { defineRoute } from './route.ts';

export const ORG_TYPES = ['federation', 'township', 'industry', 'joint', 'grassroots', 'group'] as const;
export type OrgType = (typeof ORG_TYPES)[number];
export const FEDERATION_LEVELS = ['national', 'province', 'city', 'county'] as const;
export type FederationLevel = (typeof FEDERATION_LEVELS)[number];
export const ORG_STATUSES = ['active', 'dissolved', 'merged'] as const;

/**
 * The tree of DOMAIN §3.1 (national → province → city → county → township / industry /
 * joint → grassroots → group), as "which types may sit directly under which". Forms offer
 * these; the server refuses anything else on create, edit, move and merge.
 */
export const ALLOWED_CHILD_TYPES: Readonly<Record<OrgType, readonly OrgType[]>> = {
  federation: ['federation', 'township', 'industry', 'joint', 'grassroots'],
  township: ['joint', 'grassroots'],
  industry: ['joint', 'grassroots'],
  joint: ['grassroots', 'group'],
  grassroots: ['group'],
  group: [],
};

/** Types that are a union of work units: they cover units (their own, or several small ones). */
export const UNIT_UNION_TYPES: readonly OrgType[] = ['grassroots', 'joint'];

/** A federation below another sits at a deeper level: national 0 … county 3. */
export function federationLevelRank(level: FederationLevel): number {
  return FEDERATION_LEVELS.indexOf(level);
}

export const orgOutput = z.object({
  id: idSchema,
  parentId: z.string().nullable().describe('Parent organization id; null for a root'),
  name: z.string().describe('Full name of the union'),
  type: z.enum(ORG_TYPES).describe('federation, township, industry, joint, grassroots or group'),
  level: z.enum(FEDERATION_LEVELS).nullable().describe('For federations: national, province, city or county'),
  regionCode: z.string().nullable().describe('GB/T 2260 region code, 6 digits'),
  path: z.string().describe('Materialized path of ids from the root, e.g. /a/b/'),
  depth: z.number().int().describe('Depth in the tree, root = 0'),
  status: z.enum(ORG_STATUSES).describe('Lifecycle status: active, dissolved or merged'),
  statusReason: z.string().nullable().describe('Why it was dissolved or merged'),
  dissolvedAt: isoTime.nullable().describe('When it was dissolved'),
  mergedIntoId: z.string().nullable().describe('For a merged organization: the one it was merged into'),
  childCount: z.number().int().describe('Direct children that are active'),
  workUnitCount: z
    .number()
    .int()
    .nullable()
    .describe('For grassroots and joint unions: work units the union covers; null for other types'),
  createdAt: isoTime,
});

const nameSchema = z.string().trim().min(2).max(100).describe('Full name of the union');
const regionCodeSchema = z
  .string()
  .regex(/^\d{6}$/, 'must be 6 digits')
  .describe('GB/T 2260 region code');

export const orgCreateBody = z.strictObject({
  parentId: idSchema.describe('The parent organization; must be inside your scope'),
  name: nameSchema,
  type: z.enum(ORG_TYPES).describe('Organization type; must be allowed under the parent'),
  level: z
    .enum(FEDERATION_LEVELS)
    .nullable()
    .optional()
    .describe("Federation level, for federations only; deeper than the parent's"),
  regionCode: regionCodeSchema.nullable().optional(),
});

export const orgUpdateBody = z.strictObject({
  name: nameSchema.optional(),
  regionCode: regionCodeSchema.nullable().optional(),
  type: z
    .enum(ORG_TYPES)
    .optional()
    .describe('New type: must be allowed under the parent and able to hold the present children'),
  level: z
    .enum(FEDERATION_LEVELS)
    .nullable()
    .optional()
    .describe("Federation level (federations only): deeper than the parent's, shallower than the children's"),
});

const reasonSchema = z.string().trim().min(2).max(500);

export const orgRoutes = {
  get: defineRoute({
    id: 'org.get',
    method: 'GET',
    path: '/api/orgs/:id',
    tag: 'organizations',
    summary: 'One organization in your scope',
    permission: 'org.read',
    params: z.object({ id: idSchema }),
    output: orgOutput,
    errors: ['NOT_FOUND'],
  }),
  children: defineRoute({
    id: 'org.children',
    method: 'GET',
    path: '/api/orgs/:id/children',
    tag: 'organizations',
    summary: 'Direct children of an organization in your scope (active ones unless asked otherwise)',
    permission: 'org.read',
    params: z.object({ id: idSchema }),
    query: z.object({
      includeInactive: z
        .enum(['true', 'false'])
        .default('false')
        .transform((v) => v === 'true')
        .describe('Include dissolved and merged children'),
    }),
    output: z.object({ items: z.array(orgOutput).describe('Child organizations, by name') }),
    errors: ['NOT_FOUND'],
  }),
  roots: defineRoute({
    id: 'org.roots',
    method: 'GET',
    path: '/api/orgs',
    tag: 'organizations',
    summary: 'The top organizations of your scope (where your grants are)',
    permission: 'org.read',
    output: z.object({ items: z.array(orgOutput).describe('Organizations at the top of your scope') }),
    errors: [],
  }),
  create: defineRoute({
    id: 'org.create',
    method: 'POST',
    path: '/api/orgs',
    tag: 'organizations',
    summary: 'Create an organization under a parent in your scope',
    permission: 'org.create',
    body: orgCreateBody,
    output: orgOutput,
    status: 201,
    errors: ['NOT_FOUND', 'ORG_NOT_ACTIVE', 'ORG_TREE_RULE'],
  }),
  update: defineRoute({
    id: 'org.update',
    method: 'PATCH',
    path: '/api/orgs/:id',
    tag: 'organizations',
    summary: 'Rename an organization, or change its region, level or type within the tree rules',
    permission: 'org.update',
    params: z.object({ id: idSchema }),
    body: orgUpdateBody,
    output: orgOutput,
    errors: ['NOT_FOUND', 'ORG_NOT_ACTIVE', 'ORG_TREE_RULE'],
  }),
  move: defineRoute({
    id: 'org.move',
    method: 'POST',
    path: '/api/orgs/:id/move',
    tag: 'organizations',
    summary: 'Move an organization with its whole subtree under another parent in your scope',
    permission: 'org.restructure',
    params: z.object({ id: idSchema }),
    body: z.strictObject({
      newParentId: idSchema.describe('The new parent; must be active, in your scope and outside the moved subtree'),
    }),
    output: orgOutput,
    errors: ['NOT_FOUND', 'ORG_IS_ROOT', 'ORG_MOVE_INTO_SUBTREE', 'ORG_NOT_ACTIVE', 'ORG_TREE_RULE'],
  }),
  dissolve: defineRoute({
    id: 'org.dissolve',
    method: 'POST',
    path: '/api/orgs/:id/dissolve',
    tag: 'organizations',
    summary:
      'Dissolve an organization without active children, members or applications awaiting its review or on notice: its work units pass to the parent, its grants are revoked; nothing is deleted',
    permission: 'org.restructure',
    params: z.object({ id: idSchema }),
    body: z.strictObject({ reason: reasonSchema.describe('Why it is dissolved (e.g. the unit closed)') }),
    output: orgOutput,
    errors: ['NOT_FOUND', 'ORG_IS_ROOT', 'ORG_NOT_ACTIVE', 'ORG_HAS_CHILDREN', 'ORG_HAS_MEMBERS', 'ORG_HAS_OPEN_CASES'],
  }),
  mergePreview: defineRoute({
    id: 'org.mergePreview',
    method: 'GET',
    path: '/api/orgs/:id/merge-preview',
    tag: 'organizations',
    summary:
      'What merging an organization into another would do, read without writing: what would move, and what must be settled first',
    permission: 'org.restructure',
    params: z.object({ id: idSchema }),
    query: z.object({
      targetId: idSchema.describe('The organization that would absorb it; the merge checks the same rules'),
    }),
    output: z.object({
      membershipsToTransfer: z
        .number()
        .int()
        .describe('Open memberships that would be closed and reopened at the target'),
      childrenToMove: z
        .number()
        .int()
        .describe(
          'Direct children that would move under the target (dissolved and merged ones too, with their history)',
        ),
      workUnitsToMove: z.number().int().describe('Work units covered by or filed at the source'),
      grantsToRevoke: z.number().int().describe('Live grants at the source that would be revoked'),
      applicationsWaiting: z
        .number()
        .int()
        .describe('Applications filed at the source under review or on notice: decided first, they stop the merge'),
      fundsOwed: z
        .number()
        .int()
        .describe(
          'Fen the source still owes people (payables, money with the bank): settled first, they stop the merge',
        ),
      payoutBatchesOpen: z
        .number()
        .int()
        .describe('Payout batches of the source in draft or sent: reconciled or cancelled first, they stop the merge'),
      fundsToHandOver: z
        .object({
          accounts: z.number().int().describe('Budgets with money on them'),
          amount: z.number().int().describe('Fen that would pass to the target'),
        })
        .describe("The source's budget money that would pass to the target's budgets"),
      blocked: z.boolean().describe('True while something above stops the merge'),
    }),
    errors: ['NOT_FOUND', 'ORG_IS_ROOT', 'ORG_MOVE_INTO_SUBTREE', 'ORG_NOT_ACTIVE', 'ORG_TREE_RULE'],
  }),
  merge: defineRoute({
    id: 'org.merge',
    method: 'POST',
    path: '/api/orgs/:id/merge',
    tag: 'organizations',
    summary:
      'Merge an organization into another once no application filed at it awaits review or is on notice: members transferred with their history, children and work units moved, its other open applications handed to the target, grants at the source revoked',
    permission: 'org.restructure',
    params: z.object({ id: idSchema }),
    body: z.strictObject({
      targetId: idSchema.describe(
        'The organization that absorbs it; must be active, in your scope, outside its subtree',
      ),
      reason: reasonSchema.describe('Why they are merged'),
    }),
    output: z.object({
      source: orgOutput.describe('The merged organization, now with status merged'),
      target: orgOutput.describe('The organization that absorbed it'),
      membershipsTransferred: z
        .number()
        .int()
        .describe('Open memberships closed at the source and opened at the target'),
      childrenMoved: z.number().int().describe('Direct children moved under the target'),
      workUnitsMoved: z.number().int().describe('Work units re-pointed to the target'),
      grantsRevoked: z.number().int().describe('Live grants at the source that were revoked'),
      applicationsHandedOn: z
        .number()
        .int()
        .describe(
          'Open applications at the source not waiting on it (refused, or waiting on the applicant), now at the target',
        ),
      applicationsClosed: z.number().int().describe('Open applications at the source that closed with the merger'),
      fundsHandedOver: z
        .object({
          accounts: z.number().int().describe("Budgets of the source whose money went to the target's"),
          amount: z.number().int().describe('Fen moved, one ledger transfer (kind org_merge) per budget'),
        })
        .describe("The source's budget money, now on the target's budgets of the same purposes"),
    }),
    errors: [
      'NOT_FOUND',
      'ORG_IS_ROOT',
      'ORG_MOVE_INTO_SUBTREE',
      'ORG_NOT_ACTIVE',
      'ORG_TREE_RULE',
      'ORG_HAS_OPEN_CASES',
      'ORG_HAS_FUNDS_IN_FLIGHT',
    ],
  }),
};
