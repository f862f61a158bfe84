import { z } from 'zod';
import { idSchema, isoTime, localizedText, pageOf, pageQuery } from './common.ts';
import { defineRoute, fileAnswer } from './route.ts';

/**
 * The routes every application type shares (decision 0013). Each kind of application (join,
 * founding, transfer, subsidy …) is an instance of a workflow definition; its module binds the
 * steps that carry its own data, and these routes serve what is the same for all: the
 * instance with its history, comments, attachments, the public-notice board with
 * objections, and the union's work queue.
 *
 * An instance is reachable by its applicant and by cadres whose scope of `workflow.read` (or
 * of a permission the definition's steps name) covers the handling union; for anyone else
 * it answers 404 exactly like a missing id.
 */

export const WORKFLOW_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024;

const label = localizedText.describe('Label in both locales');

export const workflowHistoryEntry = z.object({
  seq: z.number().int().describe('Position in the instance history: 1, 2, 3 …'),
  at: isoTime.describe('When the step happened'),
  action: z
    .string()
    .describe(
      'start, a transition action of the definition, comment, attach, object, objectionUpheld, objectionDismissed, remind',
    ),
  fromState: z.string().nullable().describe('State before the step; null for start'),
  toState: z.string().nullable().describe('State after the step (the same state for comments and attachments)'),
  comment: z.string().nullable().describe('Comment or reason given with the step'),
  actorKind: z.string().describe('member, cadre, merchant or system'),
  actorId: z
    .string()
    .nullable()
    .describe('Who acted; hidden (null) from the applicant for objections, so objectors stay anonymous'),
});

export const workflowAttachmentOutput = z.object({
  id: idSchema.describe('Attachment id'),
  kind: z.string().describe('Document kind the definition declares'),
  kindLabel: label,
  fileName: z.string().describe('Name the uploader gave the file'),
  contentType: z.string().describe('Content type given at upload'),
  sizeBytes: z.number().int().describe('Size in bytes'),
  sha256: z.string().describe('SHA-256 of the bytes, hex'),
  createdAt: isoTime.describe('When it was attached'),
});

export const workflowNoticeOutput = z.object({
  id: idSchema.describe('Notice id'),
  instanceId: idSchema.describe('The application the notice is about'),
  definitionKey: z.string().describe('Kind of application, e.g. subsidy.specialHardship'),
  title: label,
  subjectName: z.string().describe('Name of the person concerned, masked (王*明)'),
  summary: z.string().describe('What is proposed, e.g. the subsidy and amount'),
  orgId: idSchema.describe('The union that published the notice'),
  status: z.enum(['open', 'passed', 'withdrawn']).describe('open: on the board; passed; withdrawn (objection upheld)'),
  startsAt: isoTime.describe('When the notice went up'),
  endsAt: isoTime.describe('When the objection period ends'),
});

export const workflowObjectionOutput = z.object({
  id: idSchema.describe('Objection id'),
  noticeId: idSchema.describe('The notice objected to'),
  reason: z.string().describe('Why the objector disagrees'),
  status: z
    .enum(['open', 'upheld', 'dismissed', 'superseded'])
    .describe('open until reviewed; superseded when another objection to the same notice was upheld'),
  decisionReason: z.string().nullable().describe('The reviewer’s reason'),
  createdAt: isoTime.describe('When it was raised'),
  decidedAt: isoTime.nullable().describe('When it was reviewed'),
});

export const workflowActionOutput = z.object({
  action: z.string().describe('Action code, e.g. approve'),
  label,
  requiresComment: z.boolean().describe('A reason must accompany the step'),
  requiredDocuments: z.array(z.string()).describe('Document kinds that must be attached first'),
});

export const workflowInstanceSummary = z.object({
  id: idSchema.describe('Instance id'),
  definitionKey: z.string().describe('Kind of application, e.g. joinApplication'),
  definitionVersion: z.number().int().describe('Version of the definition the instance runs on'),
  title: label,
  subjectType: z.string().describe('What the application is about, e.g. join_application'),
  subjectId: z.string().nullable().describe('The module record it is about'),
  orgId: idSchema.describe('The union handling the current step'),
  state: z.string().describe('Current state'),
  stateLabel: label,
  stateKind: z
    .enum(['review', 'notice', 'waiting', 'rejected', 'done', 'withdrawn'])
    .describe('review / notice: a union must act; waiting: the applicant must; rejected; done; withdrawn'),
  version: z.number().int().describe('Changes with every step; send it back to act on what you saw'),
  dueAt: isoTime.nullable().describe('When the current step falls due (working days, Beijing time)'),
  overdue: z.boolean().describe('The current step is past its due time'),
  createdAt: isoTime.describe('When the application was started'),
  updatedAt: isoTime.describe('Last step'),
  closedAt: isoTime.nullable().describe('When it finished; null while open'),
  actions: z.array(workflowActionOutput).describe('Steps you may take now'),
});

export const workflowInstanceOutput = workflowInstanceSummary.extend({
  history: z.array(workflowHistoryEntry).describe('Every step, oldest first; never rewritten'),
  attachments: z.array(workflowAttachmentOutput).describe('Documents attached'),
  notices: z.array(workflowNoticeOutput).describe('Public notices the instance went through'),
  objections: z.array(workflowObjectionOutput).describe('Objections raised against its notices'),
});
export type WorkflowInstanceOutput = z.infer<typeof workflowInstanceOutput>;

const instanceParams = z.object({ id: idSchema.describe('Instance id') });

export const workflowCommentBody = z.object({
  text: z.string().trim().min(1).max(2000).describe('The comment'),
});

export const workflowAttachFields = z.object({
  kind: z.string().trim().min(1).max(64).describe('Document kind the definition declares'),
});

export const workflowObjectBody = z.object({
  reason: z.string().trim().min(1).max(2000).describe('Why you object'),
});

export const workflowObjectionDecisionBody = z.object({
  decision: z.enum(['upheld', 'dismissed']).describe('upheld: the notice step is undone as the definition says'),
  reason: z.string().trim().min(1).max(2000).describe('The reason, shown to the objector and kept in the history'),
});

export const workflowRoutes = {
  get: defineRoute({
    id: 'workflow.get',
    method: 'GET',
    path: '/api/workflow/instances/:id',
    tag: 'workflow',
    summary: 'One application with its complete history, attachments, notices and the steps you may take',
    permission: 'authenticated',
    params: instanceParams,
    output: workflowInstanceOutput,
    errors: ['NOT_FOUND'],
  }),
  comment: defineRoute({
    id: 'workflow.comment',
    method: 'POST',
    path: '/api/workflow/instances/:id/comments',
    tag: 'workflow',
    summary: 'Add a comment to an application’s history (its applicant or a cadre of the handling union)',
    permission: 'authenticated',
    params: instanceParams,
    body: workflowCommentBody,
    status: 201,
    output: workflowHistoryEntry,
    errors: ['NOT_FOUND'],
  }),
  attach: defineRoute({
    id: 'workflow.attach',
    method: 'POST',
    path: '/api/workflow/instances/:id/attachments',
    tag: 'workflow',
    summary: 'Attach a document of a kind the application declares',
    permission: 'authenticated',
    params: instanceParams,
    body: workflowAttachFields,
    upload: {
      field: 'file',
      maxBytes: WORKFLOW_ATTACHMENT_MAX_BYTES,
      description: 'The document (PDF or image), at most 20 MB',
    },
    status: 201,
    output: workflowAttachmentOutput,
    errors: ['NOT_FOUND', 'FILE_TOO_LARGE', 'WORKFLOW_DOCUMENT_KIND', 'WORKFLOW_ACTION_UNAVAILABLE'],
  }),
  attachmentFile: defineRoute({
    id: 'workflow.attachmentFile',
    method: 'GET',
    path: '/api/workflow/attachments/:id/file',
    tag: 'workflow',
    summary: 'The bytes of an attachment of an application you may see',
    permission: 'authenticated',
    params: z.object({ id: idSchema.describe('Attachment id') }),
    output: fileAnswer,
    download: { contentType: 'application/octet-stream', description: 'The file as uploaded' },
    errors: ['NOT_FOUND'],
  }),
  notices: defineRoute({
    id: 'workflow.notices',
    method: 'GET',
    path: '/api/workflow/notices',
    tag: 'workflow',
    summary: 'The public notice board (公示): notices within their objection period, names masked',
    permission: 'authenticated',
    query: pageQuery.extend({
      orgId: idSchema.optional().describe('Only notices of this union and the unions below it'),
    }),
    output: pageOf(workflowNoticeOutput),
    errors: ['NOT_FOUND'],
  }),
  object: defineRoute({
    id: 'workflow.object',
    method: 'POST',
    path: '/api/workflow/notices/:id/objections',
    tag: 'workflow',
    summary:
      'Object to a public notice, with a reason, while it is on the board (members and cadres; not merchant accounts)',
    permission: 'authenticated',
    params: z.object({ id: idSchema.describe('Notice id') }),
    body: workflowObjectBody,
    status: 201,
    output: workflowObjectionOutput,
    errors: ['NOT_FOUND', 'FORBIDDEN', 'WORKFLOW_NOTICE_CLOSED'],
  }),
  decideObjection: defineRoute({
    id: 'workflow.decideObjection',
    method: 'POST',
    path: '/api/workflow/objections/:id/decision',
    tag: 'workflow',
    summary:
      'Review an objection with a reason: dismissed lets the notice pass after its period; upheld takes the step the definition names',
    permission: 'workflow.read',
    params: z.object({ id: idSchema.describe('Objection id') }),
    body: workflowObjectionDecisionBody,
    output: workflowInstanceSummary,
    errors: [
      'NOT_FOUND',
      'WORKFLOW_ACTION_FORBIDDEN',
      'WORKFLOW_OBJECTION_DECIDED',
      'WORKFLOW_ACTION_UNAVAILABLE',
      'WORKFLOW_INSTANCE_CHANGED',
    ],
  }),
  queue: defineRoute({
    id: 'workflow.queue',
    method: 'GET',
    path: '/api/workflow/queue',
    tag: 'workflow',
    summary: 'Applications waiting on unions in your workflow.read scope, soonest due first, overdue flagged',
    permission: 'workflow.read',
    query: pageQuery.extend({
      orgId: idSchema.optional().describe('Only this union and the unions below it'),
      definitionKey: z.string().trim().min(1).max(64).optional().describe('Only this kind of application'),
      overdue: z
        .enum(['true', 'false'])
        .optional()
        .transform((v) => (v === undefined ? undefined : v === 'true'))
        .describe('true: only steps past their due time'),
    }),
    output: pageOf(workflowInstanceSummary),
    errors: ['NOT_FOUND'],
  }),
};
