import { importRoutes } from '@zhgh/contracts';
import type { Config } from '../../config.ts';
import type { RouteBinder } from '../../http/router.ts';
import { presentJob } from '../jobs/jobs.presenter.ts';
import type { ImportsService } from './imports.service.ts';

export function bindImportRoutes(bind: RouteBinder, imports: ImportsService, config: Config): void {
  bind(importRoutes.memberTemplate, () => imports.memberTemplate());
  bind(importRoutes.memberPreview, async ({ ctx, input, file }) => imports.previewMembers(ctx, input.body, file!), {
    uploadMaxBytes: config.IMPORT_MAX_BYTES,
  });
  bind(
    importRoutes.memberImport,
    async ({ ctx, input, file }) => presentJob(await imports.importMembers(ctx, input.body, file!)),
    { uploadMaxBytes: config.IMPORT_MAX_BYTES },
  );
  bind(importRoutes.errorReport, ({ ctx, input }) => imports.errorReport(ctx, input.params.jobId));
}
