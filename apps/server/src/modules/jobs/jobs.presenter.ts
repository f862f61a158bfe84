import { ERROR_CODES, type ErrorCode, type JobOutput, messageOf } from '@zhgh/contracts';
import type { JobView } from '../../core/jobs/jobs.ts';
import { orgIdOfPath } from '../../core/org-path.ts';

const KNOWN = new Set<string>(ERROR_CODES);

/**
 * A job as the API shows it. The runner keeps an AppError's code as the job's error and the
 * text of anything else for operators; clients get a stable code and a message either way,
 * never the internal text.
 */
export function presentJob(job: JobView): JobOutput {
  let error: JobOutput['error'] = null;
  if (job.error !== null) {
    const code: ErrorCode = KNOWN.has(job.error) ? (job.error as ErrorCode) : 'INTERNAL';
    error = { code, message: { 'zh-CN': messageOf(code, 'zh-CN'), en: messageOf(code, 'en') } };
  }
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    progress: { done: job.progressDone, total: job.progressTotal },
    result: job.result,
    error,
    orgId: job.orgPath ? orgIdOfPath(job.orgPath) : null,
    createdBy: job.createdBy,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    attempts: job.attempts,
  };
}
