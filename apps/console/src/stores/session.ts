import type { SessionGrant } from '@zhgh/web';
import { defineStore } from 'pinia';
import { computed } from 'vue';
import { session } from '../api/client.ts';

/** One organization at the top of the user's scope, with the roles held there. */
export interface ScopeOrg {
  id: string;
  name: string;
  path: string;
  roles: SessionGrant['roleName'][];
}

/**
 * The signed-in cadre, as the views read it. The state itself lives in the shared session of
 * @zhgh/web (so the API client can reach the CSRF token without a Pinia instance); this store
 * adds what the console derives from it.
 */
export const useSessionStore = defineStore('session', () => {
  /** Grants collapsed to their organizations, dropping any that lie inside another one. */
  const scope = computed<ScopeOrg[]>(() => {
    const byOrg = new Map<string, ScopeOrg>();
    for (const g of session.grants.value) {
      const org = byOrg.get(g.orgId) ?? { id: g.orgId, name: g.orgName, path: g.orgPath, roles: [] };
      org.roles.push(g.roleName);
      byOrg.set(g.orgId, org);
    }
    const orgs = [...byOrg.values()].sort((a, b) => a.path.length - b.path.length);
    return orgs.filter((o) => !orgs.some((other) => other !== o && o.path.startsWith(other.path)));
  });

  return {
    view: session.view,
    user: session.user,
    grants: session.grants,
    restriction: session.restriction,
    status: session.status,
    scope,
    login: session.login,
    logout: session.logout,
    logoutAll: session.logoutAll,
    refresh: session.refresh,
  };
});
