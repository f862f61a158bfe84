import { allRoutes } from '@zhgh/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { newId } from './core/ids.ts';
import type { Database } from './db/database.ts';
import { registerDocs } from './http/docs.ts';
import { installErrorHandling } from './http/errors.ts';
import { loggerOptions } from './http/logging.ts';
import { createRouter } from './http/router.ts';
import { registerWeb, type WebServing } from './http/web.ts';
import { systemRoutesPlugin } from './modules/system/system.routes.ts';
import { createSystemService } from './modules/system/system.service.ts';

export { VERSION } from './version.ts';
import { VERSION } from './version.ts';

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
  let web: WebServing | null = null;
  installErrorHandling(
    app,
    () => router.registry,
    (request, reply) => web?.spaFallback(request, reply) ?? false,
  );
  await registerDocs(app, VERSION);
  if (deps.config.SERVE_WEB) web = await registerWeb(app);

  systemRoutesPlugin(router.bind, createSystemService(deps.database), VERSION);

  const unbound = allRoutes.filter((r) => !router.bound.has(r.id));
  if (unbound.length > 0) {
    throw new Error(`contracts without a handler: ${unbound.map((r) => r.id).join(', ')}`);
  }
  await app.ready();
  return app;
}
