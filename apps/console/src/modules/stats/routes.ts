import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const statsRoutes: RouteRecordRaw[] = [moduleRoute('stats', () => import('./StatsPage.vue'))];
