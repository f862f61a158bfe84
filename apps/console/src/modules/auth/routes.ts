import type { SessionRestriction } from '@zhgh/web';
import type { RouteRecordRaw } from 'vue-router';

export const authRoutes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('./LoginPage.vue'),
    meta: { public: true, title: 'login.title' },
  },
  {
    path: '/security/totp',
    name: 'totp-enroll',
    component: () => import('./TotpEnrollPage.vue'),
    meta: { restriction: 'totp_enrollment', title: 'totpEnroll.title' },
  },
  {
    path: '/security/password',
    name: 'password-expired',
    component: () => import('./PasswordExpiredPage.vue'),
    meta: { restriction: 'password_expired', title: 'passwordExpired.title' },
  },
];

/** The page that lifts a restriction; null when the session is not restricted. */
export function restrictionRouteName(restriction: SessionRestriction | null): string | null {
  if (restriction === 'totp_enrollment') return 'totp-enroll';
  if (restriction === 'password_expired') return 'password-expired';
  return null;
}
