import { orgRoutes } from '@zhgh/contracts';
import type { OrganizationTable } from '../../db/schema.ts';
import type { RouteBinder } from '../../http/router.ts';
import { presentOrg } from './orgs.presenter.ts';
import type { OrgsService } from './orgs.service.ts';

export function bindOrgRoutes(bind: RouteBinder, orgs: OrgsService): void {
  const presentAll = async (rows: OrganizationTable[]) => {
    const counts = await orgs.counts(rows);
    return rows.map((o) => presentOrg(o, counts));
  };
  const present = async (row: OrganizationTable) => (await presentAll([row]))[0]!;

  bind(orgRoutes.get, async ({ ctx, input }) => present(await orgs.get(ctx, input.params.id)));
  bind(orgRoutes.children, async ({ ctx, input }) => ({
    items: await presentAll(
      await orgs.children(ctx, input.params.id, { includeInactive: input.query.includeInactive }),
    ),
  }));
  bind(orgRoutes.roots, async ({ ctx }) => ({ items: await presentAll(await orgs.roots(ctx)) }));
  bind(orgRoutes.create, async ({ ctx, input }) => present(await orgs.create(ctx, input.body)));
  bind(orgRoutes.update, async ({ ctx, input }) => present(await orgs.update(ctx, input.params.id, input.body)));
  bind(orgRoutes.move, async ({ ctx, input }) =>
    present(await orgs.move(ctx, input.params.id, input.body.newParentId)),
  );
  bind(orgRoutes.dissolve, async ({ ctx, input }) =>
    present(await orgs.dissolve(ctx, input.params.id, input.body.reason)),
  );
  bind(orgRoutes.mergePreview, ({ ctx, input }) => orgs.mergePreview(ctx, input.params.id, input.query.targetId));
  bind(orgRoutes.merge, async ({ ctx, input }) => {
    const { source, target, ...counts } = await orgs.merge(ctx, input.params.id, input.body);
    const [s, t] = await presentAll([source, target]);
    return { source: s!, target: t!, ...counts };
  });
}
