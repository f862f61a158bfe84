import { subsidyRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import type { SubsidiesService } from './subsidies.service.ts';

export function bindSubsidyRoutes(bind: RouteBinder, subsidies: SubsidiesService): void {
  bind(subsidyRoutes.policies, ({ ctx, input }) => subsidies.policies(ctx, input.query));
  bind(subsidyRoutes.addPolicy, ({ ctx, input }) => subsidies.addPolicy(ctx, input.body));
  bind(subsidyRoutes.apply, ({ ctx, input }) => subsidies.apply(ctx, input.body));
  bind(subsidyRoutes.applications, ({ ctx, input }) => subsidies.applications(ctx, input.query));
  bind(subsidyRoutes.application, ({ ctx, input }) => subsidies.application(ctx, input.params.id));
  bind(subsidyRoutes.step, ({ ctx, input }) => subsidies.step(ctx, input.params.id, input.body));
  bind(subsidyRoutes.festival, ({ ctx, input }) => subsidies.festival(ctx, input.body));
  bind(subsidyRoutes.createPlan, ({ ctx, input }) => subsidies.createPlan(ctx, input.body));
  bind(subsidyRoutes.plans, ({ ctx, input }) => subsidies.plans(ctx, input.query));
  bind(subsidyRoutes.mine, ({ ctx }) => subsidies.mine(ctx));
  bind(subsidyRoutes.report, ({ ctx, input }) => subsidies.report(ctx, input.query));
}
