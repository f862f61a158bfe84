import { cardRoutes } from '@zhgh/contracts';
import type { Config } from '../../config.ts';
import type { RouteBinder } from '../../http/router.ts';
import type { CardsService } from './cards.service.ts';

export function bindCardRoutes(bind: RouteBinder, cards: CardsService, config: Config): void {
  bind(cardRoutes.mine, ({ ctx }) => cards.mine(ctx));
  bind(cardRoutes.issue, ({ ctx }) => cards.issue(ctx));
  bind(cardRoutes.pdf, ({ ctx }) => cards.pdf(ctx));
  // Per address here; per merchant account in the service (counted from the check log).
  bind(cardRoutes.verify, ({ ctx, input }) => cards.verify(ctx, input.body.code), {
    rateLimit: { max: config.CARD_VERIFY_IP_LIMIT_PER_MINUTE, timeWindow: 60_000 },
  });
}
