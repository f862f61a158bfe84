import type { SessionRestriction } from '@zhgh/web';
import { createRouter, createWebHistory, type RouteLocationRaw, type Router } from 'vue-router';
import { session } from './api/client.ts';
import { accountRoutes } from './modules/account/routes.ts';
import { auditRoutes } from './modules/audit/routes.ts';
import { safeRedirect } from './modules/auth/redirect.ts';
import { authRoutes, restrictionRouteName } from './modules/auth/routes.ts';
import { dashboardRoutes } from './modules/dashboard/routes.ts';
import { exportRoutes } from './modules/exports/routes.ts';
import { financeRoutes } from './modules/finance/routes.ts';
import { grantRoutes } from './modules/grants/routes.ts';
import { importRoutes } from './modules/imports/routes.ts';
import { memberRoutes } from './modules/members/routes.ts';
import { modelWorkerRoutes } from './modules/model-workers/routes.ts';
import { orgRoutes } from './modules/orgs/routes.ts';
import { placeholderRoutes } from './modules/placeholder/routes.ts';
import { recoveryRoutes } from './modules/recoveries/routes.ts';
import type { ModuleKey } from './modules/registry.ts';
import { roleRoutes } from './modules/roles/routes.ts';
import { statsRoutes } from './modules/stats/routes.ts';
import { userRoutes } from './modules/users/routes.ts';
import { workUnitRoutes } from './modules/workunits/routes.ts';
import { subsidyRoutes } from './modules/subsidies/routes.ts';
import { enrollmentRoutes } from './modules/enrollment/routes.ts';
import { joiningRoutes } from './modules/joining/routes.ts';
import { membershipRoutes } from './modules/memberships/routes.ts';
import type { ModulePermission } from './modules/registry.ts';
import { foundingRoutes } from './modules/founding/routes.ts';

export type TitleKey =
  `modules.${ModuleKey}` | 'login.title' | 'totpEnroll.title' | 'passwordExpired.title' | 'notFound.title';

declare module 'vue-router' {
  interface RouteMeta {
    /** Message key of the page title, for the tab and the menu highlight. */
    title?: TitleKey;
    /** Refused (and hidden from the menu) without it; the server checks again on every call. */
    permission?: ModulePermission;
    /** Reachable without a session (the sign-in page). */
    public?: true;
    /** Only for a session under this restriction: the page that lifts it. */
    restriction?: SessionRestriction;
  }
}

function withRedirect(name: string, target: string | undefined): RouteLocationRaw {
  return target && target !== '/' ? { name, query: { redirect: target } } : { name };
}

export function createConsoleRouter(): Router {
  const router = createRouter({
    history: createWebHistory('/'),
    routes: [
      ...authRoutes,
      {
        path: '/',
        component: () => import('./ui/layout/AppLayout.vue'),
        children: [
          ...dashboardRoutes,
          ...statsRoutes,
          ...orgRoutes,
          ...memberRoutes,
          ...joiningRoutes,
          ...workUnitRoutes,
          ...subsidyRoutes,
          ...enrollmentRoutes,
          ...membershipRoutes,
          ...importRoutes,
          ...exportRoutes,
          ...userRoutes,
          ...roleRoutes,
          ...grantRoutes,
          ...recoveryRoutes,
          ...auditRoutes,
          ...accountRoutes,
          ...modelWorkerRoutes,
          ...financeRoutes,
          ...foundingRoutes,
          ...placeholderRoutes,
          {
            path: ':pathMatch(.*)*',
            name: 'not-found',
            component: () => import('./modules/errors/NotFoundPage.vue'),
            meta: { title: 'notFound.title' },
          },
        ],
      },
    ],
    scrollBehavior: () => ({ top: 0 }),
  });

  router.beforeEach(async (to) => {
    try {
      await session.ensure();
    } catch {
      // The server cannot be reached: the sign-in page still renders and reports it on submit.
      return to.meta.public ? true : withRedirect('login', to.fullPath);
    }
    const redirect = safeRedirect(to.query.redirect);
    if (to.meta.public) {
      if (session.status.value === 'anonymous') return true;
      return redirect ?? '/';
    }
    if (session.status.value === 'anonymous') return withRedirect('login', to.fullPath);
    const needed = restrictionRouteName(session.restriction.value);
    if (needed) {
      if (to.name === needed) return true;
      // Keep where the user was headed, through the restriction, back to it afterwards.
      return withRedirect(needed, to.meta.restriction ? redirect : to.fullPath);
    }
    if (to.meta.restriction) return redirect ?? '/';
    return true;
  });

  return router;
}
