import { accessRoutes, type RouteOutput } from '@zhgh/contracts';
import { useAbilities } from '@zhgh/web';
import { reactive, watch } from 'vue';
import { api, session } from '../../api/client.ts';

export type UserRow = RouteOutput<typeof accessRoutes.getUser>;

export function isLocked(user: Pick<UserRow, 'lockedUntil'>): boolean {
  return !!user.lockedUntil && Date.parse(user.lockedUntil) > Date.now();
}

/** "Name (username)": what people recognise, and what tells two namesakes apart. */
export function userLabel(user: Pick<UserRow, 'displayName' | 'username'>): string {
  return user.username ? `${user.displayName}（${user.username}）` : user.displayName;
}

const labels = reactive(new Map<string, string>());
const asked = new Set<string>();

watch(session.status, (status) => {
  if (status !== 'anonymous') return;
  labels.clear();
  asked.clear();
});

export function rememberUsers(users: readonly UserRow[]): void {
  for (const u of users) labels.set(u.id, userLabel(u));
}

/** A user's label when known; the id otherwise (grants and audit rows carry only ids). */
export function userName(id: string | null | undefined): string {
  if (!id) return '—';
  return labels.get(id) ?? id;
}

/**
 * Look up users not seen yet. Needs `user.read`; without it the ids stay as they are, which
 * is all an auditor without that permission may see anyway.
 */
export async function resolveUserNames(ids: Iterable<string | null | undefined>): Promise<void> {
  if (!useAbilities().can('user.read')) return;
  const missing = [...new Set(ids)].filter((id): id is string => !!id && !labels.has(id) && !asked.has(id));
  missing.forEach((id) => asked.add(id));
  await Promise.all(
    missing.map((id) =>
      api.call(accessRoutes.getUser, { params: { id } }).then(
        (u) => rememberUsers([u]),
        () => undefined,
      ),
    ),
  );
}
