import { setDocumentTitle } from '@zhgh/web';
import { watch } from 'vue';
import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router';
import { locale, type MessageKey, t } from './i18n/index.ts';
import { useSessionStore } from './stores/session.ts';

declare module 'vue-router' {
  interface RouteMeta {
    /** Open without a session (sign-in, authenticator recovery). */
    public?: boolean;
    /** i18n key of the page's name, for the browser tab. */
    title?: MessageKey;
  }
}

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  routes: [
    {
      path: '/login',
      name: 'login',
      component: () => import('./modules/auth/LoginPage.vue'),
      meta: { public: true, title: 'login.title' },
    },
    {
      path: '/totp-recovery',
      name: 'recovery',
      component: () => import('./modules/auth/RecoveryPage.vue'),
      meta: { public: true, title: 'recovery.title' },
    },
    {
      path: '/',
      component: () => import('./modules/shell/MerchantLayout.vue'),
      children: [
        {
          path: '',
          name: 'home',
          component: () => import('./modules/home/HomePage.vue'),
          meta: { title: 'home.title' },
        },
        {
          path: 'verify',
          name: 'verify',
          component: () => import('./modules/verify/VerifyPage.vue'),
          meta: { title: 'verify.title' },
        },
        { path: 'me', name: 'me', component: () => import('./modules/me/MePage.vue'), meta: { title: 'me.title' } },
        {
          path: 'me/password',
          name: 'password',
          component: () => import('./modules/me/PasswordPage.vue'),
          meta: { title: 'password.changeTitle' },
        },
        {
          path: 'me/totp',
          name: 'totp',
          component: () => import('./modules/me/TotpPage.vue'),
          meta: { title: 'totp.title' },
        },
        {
          path: 'me/sessions',
          name: 'sessions',
          component: () => import('./modules/me/SessionsPage.vue'),
          meta: { title: 'sessions.title' },
        },
      ],
    },
    { path: '/:rest(.*)*', redirect: { name: 'home' } },
  ],
});

router.beforeEach(async (to) => {
  const session = useSessionStore();
  await session.ensureLoaded();
  if (to.meta.public) {
    return to.name === 'login' && session.status === 'signedIn' ? { name: 'home' } : true;
  }
  if (session.status === 'signedOut') return { name: 'login', query: { redirect: to.fullPath } };
  // A restricted session reaches only the page that lifts the restriction (the server agrees).
  const restriction = session.view?.restriction;
  if (restriction === 'totp_enrollment' && to.name !== 'totp') return { name: 'totp' };
  if (restriction === 'password_expired' && to.name !== 'password') return { name: 'password' };
  return true;
});

function titleOf(route: RouteLocationNormalized): string {
  const app = `${t('app.name')} · ${t('app.end')}`;
  const key = route.meta.title;
  return key ? `${t(key)} · ${app}` : app;
}

router.afterEach((to) => setDocumentTitle(titleOf(to)));
watch(
  () => locale(),
  () => setDocumentTitle(titleOf(router.currentRoute.value)),
);

// A new build removes the old hashed chunks; a tab still running the old one reloads to get the new.
router.onError((err, to) => {
  if (/dynamically imported module|Importing a module script failed/i.test(String(err))) {
    window.location.assign(router.resolve(to.fullPath).href);
  }
});
