import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const importRoutes: RouteRecordRaw[] = [moduleRoute('imports', () => import('./ImportWizardPage.vue'))];
