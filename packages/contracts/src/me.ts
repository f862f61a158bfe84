import { z } from 'zod';
import { idSchema, isoTime, localizedText, pageOf, pageQuery } from './common.ts';
import { defineRoute } from './route.ts';
import { workflowInstanceSummary } from './workflow.ts';

/**
 * The signed-in user's own things, whoever they are: their inbox (站内消息), the applications
 * they made, and the link between a member account and its real-name record. Every route
 * reads the session's user only; another user's notification answers 404 like a missing one.
 */

export const notificationOutput = z.object({
  id: idSchema.describe('Notification id'),
  kind: z.string().describe('What it is about, e.g. workflow.step'),
  title: localizedText.describe('Title in both locales'),
  body: localizedText.describe('Text in both locales'),
  link: z
    .object({
      type: z.string().describe('What the link opens, e.g. workflow (an application)'),
      id: idSchema.describe('Its id'),
    })
    .nullable()
    .describe('What the message is about; null for none'),
  createdAt: isoTime.describe('When it was sent'),
  readAt: isoTime.nullable().describe('When it was read; null while unread'),
});
export type NotificationOutput = z.infer<typeof notificationOutput>;

export const realNameOutput = z.object({
  bound: z.boolean().describe('The account is linked to a real-name record'),
  name: z.string().nullable().describe('Name on the record, masked (王*明)'),
  idNumber: z.string().nullable().describe('ID number, masked'),
  memberships: z
    .array(
      z.object({
        memberNumber: z.string().nullable().describe('Member number, if assigned'),
        orgId: idSchema.describe('The union of the membership'),
        orgName: z.string().describe('Its name'),
        status: z.string().describe('active or retained'),
        startedOn: z.string().describe('YYYY-MM-DD'),
      }),
    )
    .describe('Open memberships of the person'),
});
export type RealNameOutput = z.infer<typeof realNameOutput>;

export const bindRealNameBody = z.strictObject({
  name: z.string().trim().min(1).max(50).describe('Your name as on your ID card'),
  idNumber: z.string().trim().min(15).max(40).describe('Your resident ID number'),
});

export const applicantActBody = z.strictObject({
  action: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .describe('A step the applicant may take now, e.g. resubmit, appeal, withdraw'),
  comment: z.string().trim().max(2000).optional().describe('Reason or comment; required by some steps'),
  expectedVersion: z.number().int().min(1).optional().describe('The version you saw; a newer one answers 409'),
});

const notificationParams = z.object({ id: idSchema.describe('Notification id') });

export const meRoutes = {
  notifications: defineRoute({
    id: 'me.notifications',
    method: 'GET',
    path: '/api/me/notifications',
    tag: 'me',
    summary: 'My in-app messages, newest first',
    permission: 'authenticated',
    query: pageQuery.extend({
      unread: z
        .enum(['true', 'false'])
        .optional()
        .transform((v) => v === 'true')
        .describe('true: only unread messages'),
    }),
    output: pageOf(notificationOutput),
    errors: [],
  }),
  unreadCount: defineRoute({
    id: 'me.unreadCount',
    method: 'GET',
    path: '/api/me/notifications/unread-count',
    tag: 'me',
    summary: 'How many of my messages are unread (for the badge)',
    permission: 'authenticated',
    output: z.object({ count: z.number().int().describe('Unread messages') }),
    errors: [],
  }),
  readNotification: defineRoute({
    id: 'me.readNotification',
    method: 'POST',
    path: '/api/me/notifications/:id/read',
    tag: 'me',
    summary: 'Mark one of my messages read',
    permission: 'authenticated',
    params: notificationParams,
    output: notificationOutput,
    errors: ['NOT_FOUND'],
  }),
  readAllNotifications: defineRoute({
    id: 'me.readAllNotifications',
    method: 'POST',
    path: '/api/me/notifications/read-all',
    tag: 'me',
    summary: 'Mark all my messages read',
    permission: 'authenticated',
    output: z.object({ count: z.number().int().describe('Messages marked read') }),
    errors: [],
  }),
  applications: defineRoute({
    id: 'me.applications',
    method: 'GET',
    path: '/api/me/applications',
    tag: 'me',
    summary: 'Applications I made (any kind), newest first, with where each stands and the steps I may take',
    permission: 'authenticated',
    query: pageQuery,
    output: pageOf(workflowInstanceSummary),
    errors: [],
  }),
  act: defineRoute({
    id: 'me.act',
    method: 'POST',
    path: '/api/me/applications/:id/actions',
    tag: 'me',
    summary: 'Take one of the applicant’s steps on my application (resubmit, appeal, withdraw …)',
    permission: 'authenticated',
    params: z.object({ id: idSchema.describe('Instance id') }),
    body: applicantActBody,
    output: workflowInstanceSummary,
    errors: [
      'NOT_FOUND',
      'WORKFLOW_ACTION_UNAVAILABLE',
      'WORKFLOW_ACTION_FORBIDDEN',
      'WORKFLOW_INSTANCE_CHANGED',
      'WORKFLOW_DOCUMENT_MISSING',
      'WORKFLOW_NO_HIGHER_UNION',
    ],
  }),
  realName: defineRoute({
    id: 'me.realName',
    method: 'GET',
    path: '/api/me/real-name',
    tag: 'me',
    summary:
      'My real-name record, masked, with my memberships; linked automatically when exactly one record has my phone',
    permission: 'authenticated',
    output: realNameOutput,
    errors: [],
  }),
  bindRealName: defineRoute({
    id: 'me.bindRealName',
    method: 'POST',
    path: '/api/me/real-name',
    tag: 'me',
    summary: 'Link my account to my real-name record: name and ID number must match, and the record’s phone mine',
    permission: 'authenticated',
    body: bindRealNameBody,
    output: realNameOutput,
    errors: ['REAL_NAME_NOT_MATCHED', 'REAL_NAME_TAKEN', 'CONFLICT'],
  }),
};
