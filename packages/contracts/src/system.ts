import { z } from 'zod';
import { defineRoute } from './route.ts';

export const healthOutput = z.object({
  status: z.literal('ok').describe('Always `ok` when the process answers'),
});

export const readinessOutput = z.object({
  status: z.enum(['ready', 'not_ready']).describe('`ready` when the database answers and migrations are applied'),
  database: z.enum(['sqlite', 'postgres']).describe('Which database engine this process runs on'),
  checks: z
    .array(
      z.object({
        name: z.string().describe('Name of the check'),
        ok: z.boolean().describe('Whether the check passed'),
      }),
    )
    .describe('Individual readiness checks'),
});

export const metaOutput = z.object({
  name: z.string().describe('Product name in the default locale'),
  version: z.string().describe('Server version'),
  locales: z.array(z.enum(['zh-CN', 'en'])).describe('Locales the platform speaks, default first'),
  database: z.enum(['sqlite', 'postgres']).describe('Database engine in use'),
  smsOutbox: z
    .boolean()
    .describe('SMS codes are written to the server’s local outbox file instead of being sent (development, demo)'),
});

export const systemRoutes = {
  health: defineRoute({
    id: 'system.health',
    method: 'GET',
    path: '/healthz',
    tag: 'system',
    summary: 'Liveness: the process is up',
    permission: 'public',
    output: healthOutput,
    errors: [],
  }),
  readiness: defineRoute({
    id: 'system.readiness',
    method: 'GET',
    path: '/readyz',
    tag: 'system',
    summary: 'Readiness: the database answers and the schema is current',
    permission: 'public',
    output: readinessOutput,
    errors: ['SERVICE_UNAVAILABLE'],
  }),
  meta: defineRoute({
    id: 'system.meta',
    method: 'GET',
    path: '/api/meta',
    tag: 'system',
    summary: 'What the front ends need before sign-in: name, version, locales',
    permission: 'public',
    output: metaOutput,
    errors: [],
  }),
};
