import { orgRoutes, type RouteOutput } from '@zhgh/contracts';
import { isApiError } from '@zhgh/web';
import type { LoadFunction } from 'element-plus';
import { reactive, watch } from 'vue';
import { api, session } from '../../api/client.ts';
import { t } from '../../i18n/index.ts';
import { showError } from '../../ui/feedback.ts';

export type Org = RouteOutput<typeof orgRoutes.get>;

/** What the organization page can do to one organization, as the permissions allow. */
export type OrgAction = 'edit' | 'move' | 'dissolve' | 'merge';

/** Names of organizations seen so far, for lists whose rows carry only an org id or path. */
const names = reactive(new Map<string, string>());
/** Ids the server answered "not found" for: outside the user's scope (or gone). */
const unreachable = reactive(new Set<string>());
const asked = new Set<string>();

// Another cadre may sign in on this page next, with another scope: forget what was seen.
watch(session.status, (status) => {
  if (status !== 'anonymous') return;
  names.clear();
  unreachable.clear();
  asked.clear();
});

function remember(orgs: readonly Org[]): void {
  for (const o of orgs) names.set(o.id, o.name);
}

/** The top of the scope (no parent) or the children of one organization. */
export async function loadLevel(parent: Org | null): Promise<Org[]> {
  const { items } = parent
    ? await api.call(orgRoutes.children, { params: { id: parent.id } })
    : await api.call(orgRoutes.roots);
  remember(items);
  return items;
}

/** Lazy loader for ElTree / ElTreeSelect: roots first, then children as nodes open. */
export const loadOrgTree: LoadFunction = (node, resolve, stop) => {
  loadLevel(node.level === 0 ? null : (node.data as Org)).then(resolve, (err: unknown) => {
    showError(err);
    stop();
  });
};

export const orgTreeProps = {
  label: 'name',
  children: 'children',
  // Grassroots unions may still have groups below them: only the server knows, so ask.
  isLeaf: () => false,
};

/** The organization's name when known; otherwise its id, until a lookup answers. */
export function orgName(id: string | null | undefined): string {
  if (!id) return '—';
  if (unreachable.has(id)) return t('orgs.outsideScope');
  return names.get(id) ?? id;
}

/** The organization a path ends at (`/a/b/` → `b`). */
export function orgIdOfPath(path: string | null | undefined): string | null {
  if (!path) return null;
  const parts = path.split('/').filter(Boolean);
  return parts.at(-1) ?? null;
}

/** Fetch the names of organizations not seen yet; failures leave the id shown. */
export async function resolveOrgNames(ids: Iterable<string | null | undefined>): Promise<void> {
  const missing = [...new Set(ids)].filter((id): id is string => !!id && !names.has(id) && !asked.has(id));
  missing.forEach((id) => asked.add(id));
  await Promise.all(
    missing.map((id) =>
      api.call(orgRoutes.get, { params: { id } }).then(
        (org) => remember([org]),
        (err: unknown) => {
          if (isApiError(err) && err.code === 'NOT_FOUND') unreachable.add(id);
        },
      ),
    ),
  );
}

export function rememberOrgs(orgs: readonly Org[]): void {
  remember(orgs);
}
