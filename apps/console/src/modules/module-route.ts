import type { RouteComponent, RouteRecordRaw } from 'vue-router';
import { type ModuleKey, moduleEntry } from './registry.ts';

type Lazy = () => Promise<RouteComponent | { default: RouteComponent }>;

/** A module's page route, with the path, title and permission its registry entry gives. */
export function moduleRoute(key: ModuleKey, component: Lazy): RouteRecordRaw {
  const entry = moduleEntry(key);
  return {
    path: entry.path === '/' ? '' : entry.path,
    name: key,
    component,
    meta: { title: `modules.${key}`, ...(entry.permission ? { permission: entry.permission } : {}) },
  };
}
