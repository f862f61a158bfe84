import { requireInScope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError } from '../../core/app-error.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { type JobView, toJobView } from '../../core/jobs/jobs.ts';
import type { JobTable } from '../../db/schema.ts';
import { jobsRepository as repo } from './jobs.repository.ts';

/**
 * Following and steering jobs. A job belongs to the organization it works on (`org_path`);
 * reading it takes job.read there, cancelling or resuming it job.manage. Outside that scope
 * (and for system jobs without an organization) a job does not exist for the actor.
 */
export function createJobsService(deps: CoreDeps) {
  const { db, jobs } = deps;

  async function load(ctx: RequestContext, id: string, permission: string): Promise<JobTable> {
    const row = await repo.findById(db, id);
    if (!row) throw AppError.notFound();
    requireInScope(scopeFor(ctx.principal, permission), row.org_path);
    return row;
  }

  return {
    async list(
      ctx: RequestContext,
      q: { page: number; pageSize: number; kind?: string | undefined; status?: JobTable['status'] | undefined },
    ): Promise<{ items: JobView[]; total: number }> {
      const { rows, total } = await repo.list(
        db,
        scopeFor(ctx.principal, 'job.read'),
        { kind: q.kind, status: q.status },
        { limit: q.pageSize, offset: (q.page - 1) * q.pageSize },
      );
      return { items: rows.map(toJobView), total };
    },

    async get(ctx: RequestContext, id: string): Promise<JobView> {
      return toJobView(await load(ctx, id, 'job.read'));
    },

    async cancel(ctx: RequestContext, id: string): Promise<JobView> {
      await load(ctx, id, 'job.manage');
      return jobs.cancel(ctx, id);
    },

    async resume(ctx: RequestContext, id: string): Promise<JobView> {
      await load(ctx, id, 'job.manage');
      return jobs.resume(ctx, id);
    },
  };
}
export type JobsService = ReturnType<typeof createJobsService>;
