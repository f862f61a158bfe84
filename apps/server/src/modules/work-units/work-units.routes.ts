import { workUnitRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import type { WorkUnitsService } from './work-units.service.ts';

export function bindWorkUnitRoutes(bind: RouteBinder, units: WorkUnitsService): void {
  bind(workUnitRoutes.list, async ({ ctx, input }) => {
    const { rows, total } = await units.list(ctx, input.query);
    return { items: rows.map(units.present), total, page: input.query.page, pageSize: input.query.pageSize };
  });
  bind(workUnitRoutes.get, async ({ ctx, input }) => units.present(await units.get(ctx, input.params.id)));
  bind(workUnitRoutes.create, async ({ ctx, input }) => units.present(await units.create(ctx, input.body)));
  bind(workUnitRoutes.update, async ({ ctx, input }) =>
    units.present(await units.update(ctx, input.params.id, input.body)),
  );
}
