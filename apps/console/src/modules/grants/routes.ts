import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const grantRoutes: RouteRecordRaw[] = [moduleRoute('grants', () => import('./GrantsPage.vue'))];
