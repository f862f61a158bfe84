import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const orgRoutes: RouteRecordRaw[] = [moduleRoute('orgs', () => import('./OrgsPage.vue'))];
