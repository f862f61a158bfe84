import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const memberRoutes: RouteRecordRaw[] = [
  moduleRoute('members', () => import('./MembersPage.vue')),
  {
    path: '/members/:id',
    name: 'member-detail',
    component: () => import('./MemberDetailPage.vue'),
    meta: { title: 'modules.members', permission: 'member.read' },
  },
];
