import type { RouteContract } from './route.ts';
import { systemRoutes } from './system.ts';

/** Every endpoint of the platform; the server binds exactly these and tests enumerate them. */
export const allRoutes: readonly RouteContract[] = [...Object.values(systemRoutes)];
