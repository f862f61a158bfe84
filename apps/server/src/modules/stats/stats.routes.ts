import { statsRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import type { StatsService } from './stats.service.ts';

export function bindStatsRoutes(bind: RouteBinder, stats: StatsService): void {
  bind(statsRoutes.subtree, ({ ctx, input }) => stats.ofSubtree(ctx, input.query.orgId));
}
