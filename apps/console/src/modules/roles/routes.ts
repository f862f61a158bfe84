import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const roleRoutes: RouteRecordRaw[] = [moduleRoute('roles', () => import('./RolesPage.vue'))];
