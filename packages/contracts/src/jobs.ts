import { z } from 'zod';
import { idSchema, isoTime, pageOf, pageQuery } from './common.ts';
import { defineRoute } from './route.ts';

/**
 * Long work (roster imports, exports …) runs as a job: the request that starts it answers at
 * once with the job, and the client follows its progress here. A job belongs to the
 * organization it works on; outside the actor's job.read scope it does not exist.
 */

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Kinds of job the platform runs. */
export const JOB_KINDS = ['member.import'] as const;

export const jobOutput = z.object({
  id: idSchema.describe('Job id'),
  kind: z.string().describe('What the job does, e.g. member.import'),
  status: z
    .enum(JOB_STATUSES)
    .describe('queued → running → succeeded, failed or cancelled; a failed or cancelled job can be resumed'),
  progress: z
    .object({
      done: z.number().int().describe('Items done so far'),
      total: z.number().int().nullable().describe('Items in all, or an estimate; null while unknown'),
    })
    .describe('How far the job has come'),
  result: z.unknown().describe('What the job produced once it succeeded (its shape depends on the kind); else null'),
  error: z
    .object({
      code: z.string().describe('Stable error code'),
      message: z
        .object({ 'zh-CN': z.string().describe('Chinese'), en: z.string().describe('English') })
        .describe('The message in both locales'),
    })
    .nullable()
    .describe('Why the job failed; null unless it failed'),
  orgId: z.string().nullable().describe('The organization the job works on'),
  createdBy: z.string().nullable().describe('User who started the job; null for the system'),
  createdAt: isoTime.describe('When the job was started'),
  startedAt: isoTime.nullable().describe('When it first ran'),
  finishedAt: isoTime.nullable().describe('When it last finished, failed or was cancelled'),
  attempts: z.number().int().describe('How many times it has run (resumes included)'),
});
export type JobOutput = z.infer<typeof jobOutput>;

const jobParams = z.object({ id: idSchema });

export const jobRoutes = {
  list: defineRoute({
    id: 'job.list',
    method: 'GET',
    path: '/api/jobs',
    tag: 'jobs',
    summary: 'Jobs of organizations in your job.read scope, newest first',
    permission: 'job.read',
    query: pageQuery.extend({
      kind: z.string().trim().min(1).max(64).optional().describe('Only jobs of this kind, e.g. member.import'),
      status: z.enum(JOB_STATUSES).optional().describe('Only jobs in this status'),
    }),
    output: pageOf(jobOutput),
    errors: [],
  }),
  get: defineRoute({
    id: 'job.get',
    method: 'GET',
    path: '/api/jobs/:id',
    tag: 'jobs',
    summary: 'One job: status, progress, result or error',
    permission: 'job.read',
    params: jobParams,
    output: jobOutput,
    errors: ['NOT_FOUND'],
  }),
  cancel: defineRoute({
    id: 'job.cancel',
    method: 'POST',
    path: '/api/jobs/:id/cancel',
    tag: 'jobs',
    summary: 'Cancel a job: a queued job stops at once, a running one after its current step; work done stays',
    permission: 'job.manage',
    params: jobParams,
    output: jobOutput,
    errors: ['NOT_FOUND', 'JOB_NOT_CANCELLABLE'],
  }),
  resume: defineRoute({
    id: 'job.resume',
    method: 'POST',
    path: '/api/jobs/:id/resume',
    tag: 'jobs',
    summary: 'Resume a cancelled or failed job from where it stopped',
    permission: 'job.manage',
    params: jobParams,
    output: jobOutput,
    errors: ['NOT_FOUND', 'JOB_NOT_RESUMABLE'],
  }),
};
