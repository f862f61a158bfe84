import { jobRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import { presentJob } from './jobs.presenter.ts';
import type { JobsService } from './jobs.service.ts';

export function bindJobRoutes(bind: RouteBinder, jobs: JobsService): void {
  bind(jobRoutes.list, async ({ ctx, input }) => {
    const { items, total } = await jobs.list(ctx, input.query);
    return { items: items.map(presentJob), total, page: input.query.page, pageSize: input.query.pageSize };
  });
  bind(jobRoutes.get, async ({ ctx, input }) => presentJob(await jobs.get(ctx, input.params.id)));
  bind(jobRoutes.cancel, async ({ ctx, input }) => presentJob(await jobs.cancel(ctx, input.params.id)));
  bind(jobRoutes.resume, async ({ ctx, input }) => presentJob(await jobs.resume(ctx, input.params.id)));
}
