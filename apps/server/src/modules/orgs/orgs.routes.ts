import { orgRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import { presentOrg } from './orgs.presenter.ts';
import type { OrgsService } from './orgs.service.ts';

export function bindOrgRoutes(bind: RouteBinder, orgs: OrgsService): void {
  bind(orgRoutes.get, async ({ ctx, input }) => presentOrg(await orgs.get(ctx, input.params.id)));
  bind(orgRoutes.children, async ({ ctx, input }) => ({
    items: (await orgs.children(ctx, input.params.id)).map(presentOrg),
  }));
  bind(orgRoutes.roots, async ({ ctx }) => ({ items: (await orgs.roots(ctx)).map(presentOrg) }));
  bind(orgRoutes.create, async ({ ctx, input }) => presentOrg(await orgs.create(ctx, input.body)));
}
