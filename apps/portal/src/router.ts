import { setDocumentTitle } from '@zhgh/web';
import { watch } from 'vue';
import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router';
import { locale, type MessageKey, t } from './i18n/index.ts';
import { isServiceId } from './modules/services/catalog.ts';
import { useSessionStore } from './stores/session.ts';

declare module 'vue-router' {
  interface RouteMeta {
    /** Open without a session (the sign-in page). */
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
      path: '/',
      component: () => import('./modules/shell/ShellLayout.vue'),
      children: [
        {
          path: '',
          name: 'home',
          component: () => import('./modules/home/HomePage.vue'),
          meta: { title: 'home.title' },
        },
        {
          path: 'services',
          name: 'services',
          component: () => import('./modules/services/ServicesPage.vue'),
          meta: { title: 'services.title' },
        },
        {
          path: 'card',
          name: 'card',
          component: () => import('./modules/card/CardPage.vue'),
          meta: { title: 'card.title' },
        },
        {
          path: 'me',
          name: 'me',
          component: () => import('./modules/me/MePage.vue'),
          meta: { title: 'me.title' },
        },
      ],
    },
    {
      path: '/services/:id',
      name: 'service',
      component: () => import('./modules/services/ComingSoonPage.vue'),
      props: true,
      beforeEnter: (to) => (isServiceId(to.params.id) ? true : { name: 'services' }),
      meta: { title: 'comingSoon.title' },
    },
    {
      path: '/join',
      name: 'join',
      component: () => import('./modules/joining/JoinPage.vue'),
      meta: { title: 'join.title' },
    },
    {
      path: '/subsidies',
      name: 'subsidies',
      component: () => import('./modules/subsidies/SubsidiesPage.vue'),
      meta: { title: 'subsidies.title' },
    },
    {
      path: '/me/password',
      name: 'password',
      component: () => import('./modules/me/PasswordPage.vue'),
      meta: { title: 'password.changeTitle' },
    },
    {
      path: '/me/sessions',
      name: 'sessions',
      component: () => import('./modules/me/SessionsPage.vue'),
      meta: { title: 'sessions.title' },
    },
    {
      path: '/me/inbox',
      name: 'inbox',
      component: () => import('./modules/inbox/InboxPage.vue'),
      meta: { title: 'inbox.title' },
    },
    {
      path: '/me/applications',
      name: 'applications',
      component: () => import('./modules/applications/ApplicationsPage.vue'),
      meta: { title: 'applications.title' },
    },
    {
      path: '/me/applications/:id',
      name: 'application',
      component: () => import('./modules/applications/ApplicationPage.vue'),
      props: true,
      meta: { title: 'applications.detailTitle' },
    },
    {
      path: '/notices',
      name: 'notices',
      component: () => import('./modules/notices/NoticesPage.vue'),
      meta: { title: 'notices.title' },
    },
    {
      path: '/me/real-name',
      name: 'realName',
      component: () => import('./modules/me/RealNamePage.vue'),
      meta: { title: 'realName.title' },
    },
    {
      path: '/founding',
      name: 'founding',
      component: () => import('./modules/founding/FoundingPage.vue'),
      meta: { title: 'founding.title' },
    },
    {
      path: '/me/membership',
      name: 'membership',
      component: () => import('./modules/membership/MembershipPage.vue'),
      meta: { title: 'membership.title' },
    },
    // Group enrollment: what an event's QR code opens (signing in by SMS on the way, if needed).
    {
      path: '/join/e/:code',
      name: 'eventJoin',
      component: () => import('./modules/enrollment/EventJoinPage.vue'),
      props: true,
      meta: { title: 'eventJoin.title' },
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
  // A member whose password must change can do nothing else until it is changed.
  if (session.view?.restriction === 'password_expired' && to.name !== 'password') return { name: 'password' };
  return true;
});

function titleOf(route: RouteLocationNormalized): string {
  const app = t('app.name');
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
