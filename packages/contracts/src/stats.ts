import { z } from 'zod';
import { idSchema } from './common.ts';
import { defineRoute } from './route.ts';

const count = (what: string) => z.number().int().describe(what);
const rate = (what: string) =>
  z.number().nullable().describe(`${what}, 0–1 with 4 decimals; null when the denominator is 0`);

export const AGE_BANDS = ['under25', '25to34', '35to44', '45to54', '55plus'] as const;

export const subtreeStatsOutput = z.object({
  orgId: z.string().describe('The organization at the top of the counted subtree'),
  orgName: z.string().describe('Its name'),
  unionsByType: z.record(z.string(), z.number().int()).describe('Active organizations of the subtree by type'),
  members: count('Open memberships (active and retained)'),
  activeMembers: count('Active memberships'),
  activeMembersOfUnionizedUnits: count(
    'Active memberships in unions that cover at least one work unit: the members the employees of unionized units are set against',
  ),
  retainedMembers: count('Retained memberships (retired, unemployed, unit closed)'),
  verifiedMembers: count('Members whose real-name record is verified'),
  workUnits: count('Work units on record'),
  unitsRequiringUnion: count('Units that must found a union (应建尽建: at or above the employee threshold)'),
  unitsRequiringUnionFounded: count('Of those, units covered by a union'),
  employeesOfUnionizedUnits: count('Employees of units covered by a union'),
  foundingRate: rate('建会率: units with a union ÷ units that must have one'),
  joiningRate: rate(
    '入会率: active members of unions that cover a work unit ÷ employees of unionized units (members of unions without units, such as new-form joint unions, have no employees counted, so they are left out of both)',
  ),
  realNameRate: rate('实名制入库率: verified real-name members ÷ members'),
  byEmploymentType: z.record(z.string(), z.number().int()).describe('Members by employment type'),
  byGender: z.record(z.string(), z.number().int()).describe('Members by gender'),
  byAgeBand: z.record(z.string(), z.number().int()).describe(`Members by age band: ${AGE_BANDS.join(', ')}`),
});

export const statsRoutes = {
  subtree: defineRoute({
    id: 'stats.subtree',
    method: 'GET',
    path: '/api/stats',
    tag: 'statistics',
    summary: 'Live statistics of a subtree, with one line per child for drilling down',
    permission: 'member.read',
    query: z.object({
      orgId: idSchema.optional().describe('Top of the subtree; must be in your scope. Default: your first scope root'),
    }),
    output: z.object({
      total: subtreeStatsOutput.describe('The whole subtree'),
      children: z
        .array(subtreeStatsOutput)
        .describe('Each active child organization with its own subtree, for the drill-down'),
    }),
    errors: ['NOT_FOUND'],
  }),
};
