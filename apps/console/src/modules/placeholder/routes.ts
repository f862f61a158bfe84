import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';
import { MODULES } from '../registry.ts';

/** Modules not built yet: a real page that says so, rather than a blank or a 404. */
export const placeholderRoutes: RouteRecordRaw[] = MODULES.filter((m) => m.comingSoon).map((m) =>
  moduleRoute(m.key, () => import('./ComingSoonPage.vue')),
);
