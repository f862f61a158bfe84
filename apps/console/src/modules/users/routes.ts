import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const userRoutes: RouteRecordRaw[] = [moduleRoute('users', () => import('./UsersPage.vue'))];
