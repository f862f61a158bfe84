import { systemRoutes } from '@zhgh/contracts';
import { AppError } from '../../core/app-error.ts';
import type { RouteBinder } from '../../http/router.ts';
import type { SystemService } from './system.service.ts';

export function systemRoutesPlugin(
  bind: RouteBinder,
  system: SystemService,
  version: string,
  smsOutbox: boolean,
): void {
  bind(systemRoutes.health, () => ({ status: 'ok' as const }));
  bind(systemRoutes.readiness, async () => {
    const r = await system.readiness();
    if (r.status !== 'ready') throw new AppError('SERVICE_UNAVAILABLE', undefined, JSON.stringify(r.checks));
    return r;
  });
  bind(systemRoutes.meta, () => ({
    name: '智慧工会',
    version,
    locales: ['zh-CN' as const, 'en' as const],
    database: system.dialect,
    smsOutbox,
  }));
}
