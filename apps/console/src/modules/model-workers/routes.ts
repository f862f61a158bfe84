import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const modelWorkerRoutes: RouteRecordRaw[] = [
  moduleRoute('modelWorkers', () => import('./ModelWorkersPage.vue')),
];
