import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { allRoutes, generateOpenApi } from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';

/** Serve the generated OpenAPI document at /api/openapi.json and a browsable UI at /api/docs. */
export async function registerDocs(app: FastifyInstance, version: string): Promise<void> {
  const document = generateOpenApi(allRoutes, version);
  await app.register(fastifySwagger, {
    mode: 'static',
    specification: { document: document as never },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => document);
}
