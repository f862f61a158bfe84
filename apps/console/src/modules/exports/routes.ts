import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const exportRoutes: RouteRecordRaw[] = [moduleRoute('exports', () => import('./ExportsPage.vue'))];
