import { membershipRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import type { MembershipsService } from './memberships.service.ts';

export function bindMembershipRoutes(bind: RouteBinder, memberships: MembershipsService): void {
  bind(membershipRoutes.unions, ({ input }) => memberships.unions(input.query));
  bind(membershipRoutes.mine, ({ ctx }) => memberships.mine(ctx));
  bind(membershipRoutes.startTransfer, ({ ctx, input }) => memberships.startTransfer(ctx, input.body));
  bind(membershipRoutes.transfers, ({ ctx, input }) => memberships.transfers(ctx, input.query));
  bind(membershipRoutes.transfer, ({ ctx, input }) => memberships.transfer(ctx, input.params.id));
  bind(membershipRoutes.transferStep, ({ ctx, input }) => memberships.transferStep(ctx, input.params.id, input.body));
  bind(membershipRoutes.request, ({ ctx, input }) => memberships.request(ctx, input.body));
  bind(membershipRoutes.requests, ({ ctx, input }) => memberships.requests(ctx, input.query));
  bind(membershipRoutes.requestStep, ({ ctx, input }) => memberships.requestStep(ctx, input.params.id, input.body));
  bind(membershipRoutes.expel, ({ ctx, input }) => memberships.expel(ctx, input.body));
  bind(membershipRoutes.proposals, ({ ctx, input }) => memberships.proposals(ctx, input.query));
  bind(membershipRoutes.decideProposals, ({ ctx, input }) => memberships.decideProposals(ctx, input.body));
  bind(membershipRoutes.recordActivity, ({ ctx, input }) => memberships.recordActivity(ctx, input.body));
  bind(membershipRoutes.history, ({ ctx, input }) => memberships.history(ctx, input.params.id));
}
