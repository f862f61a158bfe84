import { meRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import type { MeService } from './me.service.ts';

export function bindMeRoutes(bind: RouteBinder, me: MeService): void {
  bind(meRoutes.notifications, ({ ctx, input }) => me.notifications(ctx, input.query));
  bind(meRoutes.unreadCount, ({ ctx }) => me.unreadCount(ctx));
  bind(meRoutes.readNotification, ({ ctx, input }) => me.readNotification(ctx, input.params.id));
  bind(meRoutes.readAllNotifications, ({ ctx }) => me.readAllNotifications(ctx));
  bind(meRoutes.applications, ({ ctx, input }) => me.applications(ctx, input.query));
  bind(meRoutes.act, ({ ctx, input }) => me.act(ctx, input.params.id, input.body));
  bind(meRoutes.realName, ({ ctx }) => me.realName(ctx));
  bind(meRoutes.bindRealName, ({ ctx, input }) => me.bindRealName(ctx, input.body));
}
