import { z } from 'zod';
import { isoTime, pageOf, pageQuery } from './common.ts';
import { defineRoute } from './route.ts';

export const auditEventOutput = z.object({
  seq: z.number().int().describe('Position in the audit chain'),
  id: z.string().describe('Event id'),
  occurredAt: isoTime,
  actorId: z.string().nullable().describe('User who acted; null for the system'),
  actorKind: z.string().describe('member, cadre, merchant, system or anonymous'),
  action: z.string().describe('What was done, e.g. grant.create'),
  subjectType: z.string().describe('Kind of record acted on'),
  subjectId: z.string().nullable().describe('Id of the record acted on'),
  orgPath: z.string().nullable().describe('Organization path the event belongs to'),
  changes: z
    .array(
      z.object({
        field: z.string().describe('Changed field'),
        from: z.unknown().optional().describe('Value before (absent for sensitive fields)'),
        to: z.unknown().optional().describe('Value after (absent for sensitive fields)'),
        sensitive: z.boolean().optional().describe('True when the values are withheld'),
      }),
    )
    .nullable()
    .describe('Changed fields'),
});

export const auditRoutes = {
  list: defineRoute({
    id: 'audit.list',
    method: 'GET',
    path: '/api/audit-events',
    tag: 'audit',
    summary: 'Audit events of your subtree, newest first',
    permission: 'audit.read',
    query: pageQuery.extend({
      action: z.string().max(100).optional().describe('Only this action'),
      actorId: z.string().max(64).optional().describe('Only events by this user'),
      orgId: z.string().max(64).optional().describe('Only this organization and below; must be in your scope'),
    }),
    output: pageOf(auditEventOutput),
    errors: ['NOT_FOUND'],
  }),
};
