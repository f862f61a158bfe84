import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const joiningRoutes: RouteRecordRaw[] = [
  moduleRoute('joinApplications', () => import('./JoinApplicationsPage.vue')),
];
