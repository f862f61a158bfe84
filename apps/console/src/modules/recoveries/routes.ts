import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const recoveryRoutes: RouteRecordRaw[] = [moduleRoute('totpRecoveries', () => import('./RecoveriesPage.vue'))];
