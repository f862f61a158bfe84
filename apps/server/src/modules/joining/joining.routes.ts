import { joiningRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import type { JoiningService } from './joining.service.ts';

export function bindJoiningRoutes(bind: RouteBinder, joining: JoiningService): void {
  bind(joiningRoutes.submit, ({ ctx, input }) => joining.submit(ctx, input.body));
  bind(joiningRoutes.mine, ({ ctx }) => joining.mine(ctx));
  bind(joiningRoutes.get, ({ ctx, input }) => joining.get(ctx, input.params.id));
  bind(joiningRoutes.resubmit, ({ ctx, input }) => joining.resubmit(ctx, input.params.id, input.body));
  bind(joiningRoutes.queue, ({ ctx, input }) => joining.queue(ctx, input.query));
  bind(joiningRoutes.approve, ({ ctx, input }) => joining.approve(ctx, input.params.id, input.body));
  bind(joiningRoutes.reject, ({ ctx, input }) => joining.reject(ctx, input.params.id, input.body));
  bind(joiningRoutes.batchApprove, ({ ctx, input }) => joining.batchApprove(ctx, input.body));
  bind(joiningRoutes.setPool, ({ ctx, input }) => joining.setPool(ctx, input.body));
  bind(joiningRoutes.employers, ({ input }) => joining.employers(input.query.q));
  bind(joiningRoutes.localUnions, ({ input }) => joining.localUnions(input.query.regionCode));
}
