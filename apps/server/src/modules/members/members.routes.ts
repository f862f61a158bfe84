import { memberRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import { presentMember, presentMemberRow, presentMembership } from './members.presenter.ts';
import type { MembersService } from './members.service.ts';

export function bindMemberRoutes(bind: RouteBinder, members: MembersService): void {
  bind(memberRoutes.register, async ({ ctx, input }) => presentMember(await members.register(ctx, input.body)));
  bind(memberRoutes.list, async ({ ctx, input }) => {
    const { items, total, totalCapped } = await members.list(ctx, input.query);
    return {
      items: items.map(presentMemberRow),
      total,
      totalCapped,
      page: input.query.page,
      pageSize: input.query.pageSize,
    };
  });
  bind(memberRoutes.get, async ({ ctx, input }) => presentMember(await members.get(ctx, input.params.id)));
  bind(memberRoutes.update, async ({ ctx, input }) =>
    presentMember(await members.update(ctx, input.params.id, input.body)),
  );
  bind(memberRoutes.reveal, ({ ctx, input }) => members.reveal(ctx, input.params.id, input.body));
  bind(memberRoutes.memberships, async ({ ctx, input }) => ({
    items: (await members.memberships(ctx, input.params.id)).map(presentMembership),
  }));
  bind(memberRoutes.asOf, async ({ ctx, input }) => {
    const { items, total } = await members.asOf(ctx, input.params.id, input.query);
    return { items: items.map(presentMemberRow), total, page: input.query.page, pageSize: input.query.pageSize };
  });
}
