import { foundingRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import type { FoundingService } from './founding.service.ts';

export function bindFoundingRoutes(bind: RouteBinder, founding: FoundingService): void {
  bind(foundingRoutes.handlingUnions, ({ input }) => founding.handlingUnions(input.query.regionCode));
  bind(foundingRoutes.apply, ({ ctx, input }) => founding.apply(ctx, input.body));
  bind(foundingRoutes.mine, ({ ctx }) => founding.mine(ctx));
  bind(foundingRoutes.list, ({ ctx, input }) => founding.list(ctx, input.query));
  bind(foundingRoutes.get, ({ ctx, input }) => founding.get(ctx, input.params.id));
  bind(foundingRoutes.step, ({ ctx, input }) => founding.step(ctx, input.params.id, input.body));
}
