import { accessRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import { presentGrant } from '../auth/auth.presenter.ts';
import { presentPermissions } from './access.presenter.ts';
import type { AccessService } from './access.service.ts';

export function bindAccessRoutes(bind: RouteBinder, access: AccessService): void {
  bind(accessRoutes.permissions, () => ({ items: presentPermissions() }));
  bind(accessRoutes.roles, async () => ({ items: await access.listRoles() }));
  bind(accessRoutes.createRole, ({ ctx, input }) => access.createRole(ctx, input.body));
  bind(accessRoutes.updateRole, ({ ctx, input }) => access.updateRole(ctx, input.params.id, input.body));
  bind(accessRoutes.users, ({ ctx, input }) => access.listUsers(ctx, input.query));
  bind(accessRoutes.getUser, ({ ctx, input }) => access.getUser(ctx, input.params.id));
  bind(accessRoutes.createUser, ({ ctx, input }) => access.createUser(ctx, input.body));
  bind(accessRoutes.updateUser, ({ ctx, input }) => access.updateUser(ctx, input.params.id, input.body));
  bind(accessRoutes.unlockUser, ({ ctx, input }) => access.unlockUser(ctx, input.params.id));
  bind(accessRoutes.grants, async ({ ctx, input }) => {
    const { rows, total } = await access.listGrants(ctx, input.query);
    return { items: rows.map(presentGrant), total, page: input.query.page, pageSize: input.query.pageSize };
  });
  bind(accessRoutes.createGrant, async ({ ctx, input }) => presentGrant(await access.createGrant(ctx, input.body)));
  bind(accessRoutes.revokeGrant, async ({ ctx, input }) =>
    presentGrant(await access.revokeGrant(ctx, input.params.id)),
  );
  bind(accessRoutes.totpRecoveries, async ({ ctx, input }) => ({
    items: await access.listRecoveries(ctx, input.query.status),
  }));
  bind(accessRoutes.decideTotpRecovery, ({ ctx, input }) =>
    access.decideRecovery(ctx, input.params.id, input.body.approve),
  );
}
