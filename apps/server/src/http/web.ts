import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The three ends, each built by Vite into its app's dist folder, served from one port. */
export const WEB_APPS = [
  { name: 'portal', prefix: '/m/' },
  { name: 'merchant', prefix: '/merchant/' },
  { name: 'console', prefix: '/' },
] as const;

const appsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface WebServing {
  /** Served apps, for the start banner and tests. */
  served: string[];
  /** For a browser navigation to an unknown path under an app, answer with its index.html. */
  spaFallback(request: FastifyRequest, reply: FastifyReply): boolean;
}

export async function registerWeb(app: FastifyInstance, root = appsDir): Promise<WebServing> {
  const indexes: { prefix: string; html: string }[] = [];
  let first = true;
  for (const web of WEB_APPS) {
    const dist = path.join(root, web.name, 'dist');
    const indexFile = path.join(dist, 'index.html');
    if (!fs.existsSync(indexFile)) continue;
    indexes.push({ prefix: web.prefix, html: fs.readFileSync(indexFile, 'utf8') });
    await app.register(fastifyStatic, {
      root: dist,
      prefix: web.prefix,
      // Only one registration may decorate the reply object.
      decorateReply: first,
      // The app's root (`/m/`) is a directory: answer it with the app, not a directory error.
      index: 'index.html',
      // `/m` and `/merchant` without the slash go to the app too.
      redirect: true,
      wildcard: true,
      // Hashed asset names can be cached for a year; index.html is never cached below.
      maxAge: '365d',
      immutable: true,
      setHeaders: (res, filePath) => {
        if (filePath.endsWith('.html') || filePath.endsWith('.webmanifest') || filePath.endsWith('sw.js')) {
          res.header('cache-control', 'no-cache');
        }
      },
    });
    first = false;
  }
  return {
    served: indexes.map((i) => i.prefix),
    spaFallback(request, reply) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const url = request.url.split('?')[0] ?? '/';
      if (url.startsWith('/api/') || url === '/api') return false;
      if (!(request.headers.accept ?? '').includes('text/html')) return false;
      const target = indexes.find((i) => url.startsWith(i.prefix) || `${url}/` === i.prefix);
      if (!target) return false;
      void reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(target.html);
      return true;
    },
  };
}
