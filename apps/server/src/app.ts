import { allRoutes } from '@zhgh/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { newId } from './core/ids.ts';
import type { Database } from './db/database.ts';
import { installErrorHandling } from './http/errors.ts';
import { loggerOptions } from './http/logging.ts';
import { createRouter } from './http/router.ts';
import { systemRoutesPlugin } from './modules/system/system.routes.ts';
import { createSystemService } from './modules/system/system.service.ts';

export const VERSION = '0.1.0';

export interface AppDeps {
  config: Config;
  database: Database;
  /** Where log lines go; tests pass a buffer to read them back. */
  logStream?: NodeJS.WritableStream;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.config.LOG_LEVEL, deps.logStream),
    genReqId: () => newId(),
    bodyLimit: 1024 * 1024,
    // Behind a load balancer the client address comes from X-Forwarded-For.
    trustProxy: deps.config.NODE_ENV === 'production',
  });
  const router = createRouter(app);
  installErrorHandling(app, () => router.registry);

  systemRoutesPlugin(router.bind, createSystemService(deps.database), VERSION);

  const unbound = allRoutes.filter((r) => !router.bound.has(r.id));
  if (unbound.length > 0) {
    throw new Error(`contracts without a handler: ${unbound.map((r) => r.id).join(', ')}`);
  }
  await app.ready();
  return app;
}
