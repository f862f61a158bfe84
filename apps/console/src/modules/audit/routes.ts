import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const auditRoutes: RouteRecordRaw[] = [moduleRoute('audit', () => import('./AuditPage.vue'))];
