import type { RouteRecordRaw } from 'vue-router';
import { moduleRoute } from '../module-route.ts';

export const membershipRoutes: RouteRecordRaw[] = [
  moduleRoute('memberships', () => import('./MembershipsPage.vue')),
  {
    path: '/memberships/people/:id',
    name: 'member-membership',
    component: () => import('./MemberMembershipPage.vue'),
    meta: { title: 'modules.memberships', permission: 'member.read' },
  },
];
