import { exportRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import { presentJob } from '../jobs/jobs.presenter.ts';
import type { ExportsService } from './exports.service.ts';

export function bindExportRoutes(bind: RouteBinder, exportsService: ExportsService): void {
  bind(exportRoutes.members, async ({ ctx, input }) => presentJob(await exportsService.exportMembers(ctx, input.body)));
  bind(exportRoutes.unions, async ({ ctx, input }) => presentJob(await exportsService.exportUnions(ctx, input.body)));
  bind(exportRoutes.file, ({ ctx, input }) => exportsService.download(ctx, input.params.jobId));
}
