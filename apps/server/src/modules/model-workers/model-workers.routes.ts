import { modelWorkerRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import { presentModelWorker, presentModelWorkerRow } from './model-workers.presenter.ts';
import type { ModelWorkersService } from './model-workers.service.ts';

export function bindModelWorkerRoutes(bind: RouteBinder, modelWorkers: ModelWorkersService): void {
  bind(modelWorkerRoutes.list, async ({ ctx, input }) => {
    const { items, total } = await modelWorkers.list(ctx, input.query);
    return { items: items.map(presentModelWorkerRow), total, page: input.query.page, pageSize: input.query.pageSize };
  });
  bind(modelWorkerRoutes.export, ({ ctx, input }) => modelWorkers.exportXlsx(ctx, input.query));
  bind(modelWorkerRoutes.get, async ({ ctx, input }) =>
    presentModelWorker(await modelWorkers.get(ctx, input.params.id)),
  );
  bind(modelWorkerRoutes.create, async ({ ctx, input }) =>
    presentModelWorker(await modelWorkers.create(ctx, input.body)),
  );
  bind(modelWorkerRoutes.update, async ({ ctx, input }) =>
    presentModelWorker(await modelWorkers.update(ctx, input.params.id, input.body)),
  );
  bind(modelWorkerRoutes.revoke, async ({ ctx, input }) =>
    presentModelWorker(await modelWorkers.revoke(ctx, input.params.id, input.body)),
  );
  bind(modelWorkerRoutes.restore, async ({ ctx, input }) =>
    presentModelWorker(await modelWorkers.restore(ctx, input.params.id, input.body)),
  );
  bind(modelWorkerRoutes.certificate, ({ ctx, input }) => modelWorkers.certificate(ctx, input.params.id));
}
