import { accessRoutes, type RouteOutput, withDependencies } from '@zhgh/contracts';
import type { ConsoleMessages } from '../../i18n/zh-CN.ts';

export type Role = RouteOutput<typeof accessRoutes.roles>['items'][number];
export type Permission = RouteOutput<typeof accessRoutes.permissions>['items'][number];
export type Resource = keyof ConsoleMessages['roles']['resources'];

export interface PermissionGroup {
  resource: string;
  permissions: Permission[];
}

/** Permissions grouped by resource (`member.read` → `member`), in registry order. */
export function groupPermissions(all: readonly Permission[]): PermissionGroup[] {
  const groups: PermissionGroup[] = [];
  for (const p of all) {
    const resource = p.code.split('.')[0] ?? p.code;
    let group = groups.find((g) => g.resource === resource);
    if (!group) {
      group = { resource, permissions: [] };
      groups.push(group);
    }
    group.permissions.push(p);
  }
  return groups;
}

export function isResource(value: string, resources: Record<string, unknown>): value is Resource {
  return value in resources;
}

/**
 * Tick one permission: everything it needs comes along, as the server would add it anyway.
 * Untick one: whatever needs it goes too, so the form never shows a set the server would change.
 */
export function toggle(
  selected: ReadonlySet<string>,
  code: string,
  on: boolean,
  all: readonly Permission[],
): Set<string> {
  if (on) return new Set([...selected, ...withDependencies([code])]);
  const next = new Set(selected);
  next.delete(code);
  let changed = true;
  while (changed) {
    changed = false;
    for (const p of all) {
      if (next.has(p.code) && p.dependsOn.some((d) => !next.has(d))) {
        next.delete(p.code);
        changed = true;
      }
    }
  }
  return next;
}
