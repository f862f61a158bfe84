import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const dashboardRoutes: RouteRecordRaw[] = [moduleRoute('dashboard', () => import('./DashboardPage.vue'))];
