import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const foundingRoutes: RouteRecordRaw[] = [moduleRoute('founding', () => import('./FoundingPage.vue'))];
