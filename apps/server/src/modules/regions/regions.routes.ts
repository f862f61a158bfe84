import { regionRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import type { RegionsService } from './regions.service.ts';

export function bindRegionRoutes(bind: RouteBinder, regions: RegionsService): void {
  bind(regionRoutes.children, ({ input }) => ({ items: regions.children(input.query.parent) }));
}
