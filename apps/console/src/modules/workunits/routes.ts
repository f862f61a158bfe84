import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const workUnitRoutes: RouteRecordRaw[] = [moduleRoute('workUnits', () => import('./WorkUnitsPage.vue'))];
