import type { RouteRecordRaw } from 'vue-router';

/** Self-service pages: every signed-in cadre has them, so they sit in the user menu, not the module menu. */
export const accountRoutes: RouteRecordRaw[] = [
  {
    path: '/account/sessions',
    name: 'sessions',
    component: () => import('./SessionsPage.vue'),
    meta: { title: 'modules.sessions' },
  },
  {
    path: '/account/password',
    name: 'password',
    component: () => import('./ChangePasswordPage.vue'),
    meta: { title: 'modules.password' },
  },
];
