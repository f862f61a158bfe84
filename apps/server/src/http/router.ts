import type { RouteContract } from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from './authenticate.ts';
import { bindRoute, type Handler } from './bind.ts';

export interface BindOptions {
  /** Per-address limit, on top of the service's own per-account limits. */
  rateLimit?: { max: number; timeWindow: number };
  /** For upload routes: the configured file size limit, instead of the contract's default. */
  uploadMaxBytes?: number;
}

export type RouteBinder = <R extends RouteContract>(route: R, handler: Handler<R>, options?: BindOptions) => void;

/** A binder that remembers what it bound, so the app can prove every contract has a handler. */
export function createRouter(app: FastifyInstance, authenticate: Authenticator) {
  const registry = new Map<string, Set<string>>();
  const bound = new Set<string>();
  const bind: RouteBinder = (route, handler, options) => {
    if (bound.has(route.id)) throw new Error(`route ${route.id} bound twice`);
    bound.add(route.id);
    bindRoute(app, route, handler, registry, authenticate, options);
  };
  return { bind, registry, bound };
}
