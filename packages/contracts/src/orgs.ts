import { z } from 'zod';
import { idSchema, isoTime } from './common.ts';
import { defineRoute } from './route.ts';

export const ORG_TYPES = ['federation', 'township', 'industry', 'joint', 'grassroots', 'group'] as const;
export const FEDERATION_LEVELS = ['national', 'province', 'city', 'county'] as const;

export const orgOutput = z.object({
  id: idSchema,
  parentId: z.string().nullable().describe('Parent organization id; null for a root'),
  name: z.string().describe('Full name of the union'),
  type: z.enum(ORG_TYPES).describe('federation, township, industry, joint, grassroots or group'),
  level: z.enum(FEDERATION_LEVELS).nullable().describe('For federations: national, province, city or county'),
  regionCode: z.string().nullable().describe('GB/T 2260 region code, 6 digits'),
  path: z.string().describe('Materialized path of ids from the root, e.g. /a/b/'),
  depth: z.number().int().describe('Depth in the tree, root = 0'),
  status: z.enum(['active', 'dissolved', 'merged']).describe('Lifecycle status'),
  createdAt: isoTime,
});

export const orgCreateBody = z.strictObject({
  parentId: idSchema.describe('The parent organization; must be inside your scope'),
  name: z.string().trim().min(2).max(100).describe('Full name of the union'),
  type: z.enum(ORG_TYPES).describe('Organization type'),
  level: z.enum(FEDERATION_LEVELS).nullable().optional().describe('Federation level, for federations only'),
  regionCode: z
    .string()
    .regex(/^\d{6}$/, 'must be 6 digits')
    .nullable()
    .optional()
    .describe('GB/T 2260 region code'),
});

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
    summary: 'Direct children of an organization in your scope',
    permission: 'org.read',
    params: z.object({ id: idSchema }),
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
    errors: ['NOT_FOUND'],
  }),
};
