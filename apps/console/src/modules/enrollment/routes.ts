import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const enrollmentRoutes: RouteRecordRaw[] = [moduleRoute('enrollment', () => import('./EnrollmentPage.vue'))];
