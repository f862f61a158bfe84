import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const subsidyRoutes: RouteRecordRaw[] = [moduleRoute('subsidies', () => import('./SubsidiesPage.vue'))];
