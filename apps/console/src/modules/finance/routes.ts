import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const financeRoutes: RouteRecordRaw[] = [
  moduleRoute('financeAccounts', () => import('./AccountsPage.vue')),
  moduleRoute('payoutBatches', () => import('./PayoutBatchesPage.vue')),
];
