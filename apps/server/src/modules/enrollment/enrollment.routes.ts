import { enrollmentRoutes } from '@zhgh/contracts';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { RouteBinder } from '../../http/router.ts';
import { presentJob } from '../jobs/jobs.presenter.ts';
import type { EnrollmentService } from './enrollment.service.ts';

/** The site as the caller reached it: what a QR code must link to (behind a proxy, its forwarded host). */
const originOf = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

export function bindEnrollmentRoutes(bind: RouteBinder, enrollment: EnrollmentService, config: Config): void {
  bind(enrollmentRoutes.batches, ({ ctx, input }) => enrollment.batches(ctx, input.query));
  bind(enrollmentRoutes.batch, ({ ctx, input }) => enrollment.batch(ctx, input.params.id));
  bind(enrollmentRoutes.applications, ({ ctx, input }) => enrollment.applications(ctx, input.params.id, input.query));
  bind(enrollmentRoutes.approve, ({ ctx, input }) => enrollment.approve(ctx, input.params.id, input.body));
  bind(enrollmentRoutes.preview, ({ ctx, input, file }) => enrollment.preview(ctx, input.body, file!), {
    uploadMaxBytes: config.IMPORT_MAX_BYTES,
  });
  bind(
    enrollmentRoutes.importList,
    async ({ ctx, input, file }) => {
      const { batch, job } = await enrollment.importList(ctx, input.body, file!);
      return { batch: await enrollment.present(batch), job: presentJob(job) };
    },
    { uploadMaxBytes: config.IMPORT_MAX_BYTES },
  );
  bind(enrollmentRoutes.errorReport, ({ ctx, input }) => enrollment.errorReport(ctx, input.params.id));
  bind(enrollmentRoutes.createEvent, ({ ctx, input }) => enrollment.createEvent(ctx, input.body));
  bind(enrollmentRoutes.closeEvent, ({ ctx, input }) => enrollment.closeEvent(ctx, input.params.id));
  bind(enrollmentRoutes.eventQr, ({ ctx, input, request }) =>
    enrollment.eventQr(ctx, input.params.id, input.query.format, originOf(request)),
  );
  bind(enrollmentRoutes.eventPoster, ({ ctx, input, request }) =>
    enrollment.eventPoster(ctx, input.params.id, originOf(request)),
  );
  bind(enrollmentRoutes.publicEvent, ({ input }) => enrollment.publicEvent(input.params.code));
  bind(enrollmentRoutes.joinEvent, ({ ctx, input }) => enrollment.joinEvent(ctx, input.params.code, input.body));
}
