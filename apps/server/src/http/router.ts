import type { RouteContract } from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import { bindRoute, type Handler } from './bind.ts';

export type RouteBinder = <R extends RouteContract>(route: R, handler: Handler<R>) => void;

/** A binder that remembers what it bound, so the app can prove every contract has a handler. */
export function createRouter(app: FastifyInstance) {
  const registry = new Map<string, Set<string>>();
  const bound = new Set<string>();
  const bind: RouteBinder = (route, handler) => {
    if (bound.has(route.id)) throw new Error(`route ${route.id} bound twice`);
    bound.add(route.id);
    bindRoute(app, route, handler, registry);
  };
  return { bind, registry, bound };
}
