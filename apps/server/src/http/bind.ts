import type { RouteContract, RouteInput, RouteOutput } from '@zhgh/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError } from '../core/app-error.ts';
import type { Authenticator, RequestAuth } from './authenticate.ts';
import { fieldErrorsFromZod } from './errors.ts';
import { receiveUpload, sendFile, type UploadedFile } from './files.ts';

export interface HandlerContext<R> extends RequestAuth {
  input: RouteInput<R>;
  /** The stored file of an `upload` route (always present there; undefined on other routes). */
  file?: UploadedFile;
  request: FastifyRequest;
  reply: FastifyReply;
}

export type Handler<R> = (ctx: HandlerContext<R>) => Promise<RouteOutput<R>> | RouteOutput<R>;

/**
 * Bind one contract to Fastify: validate every part of the input with its zod schema, run
 * the handler, then parse the output through its schema too, so a field a presenter forgot
 * to remove is stripped rather than leaked.
 */
export function bindRoute<R extends RouteContract>(
  app: FastifyInstance,
  route: R,
  handler: Handler<R>,
  registry: Map<string, Set<string>>,
  authenticate: Authenticator,
  options: { rateLimit?: { max: number; timeWindow: number }; uploadMaxBytes?: number } = {},
): void {
  const methods = registry.get(route.path) ?? new Set<string>();
  methods.add(route.method);
  registry.set(route.path, methods);
  app.route({
    method: route.method,
    url: route.path,
    ...(options.rateLimit ? { config: { rateLimit: options.rateLimit } } : {}),
    handler: async (request, reply) => {
      const auth = await authenticate(request, route);
      // An upload is read only after authentication: no file of an anonymous caller is stored.
      const upload = route.upload
        ? await receiveUpload(request, route.upload, options.uploadMaxBytes ?? route.upload.maxBytes)
        : null;
      // The stored file lives until the answer has gone out (a download may stream from it).
      if (upload) reply.raw.once('close', () => void upload.cleanup());
      const input = {
        params: parsePart('params', route.params, request.params),
        query: parsePart('query', route.query, request.query),
        body: parsePart('body', route.body, upload ? upload.fields : request.body),
      } as RouteInput<R>;
      const result = await handler({ ...auth, input, ...(upload ? { file: upload.file } : {}), request, reply });
      if (reply.sent) return reply;
      if (route.download) return sendFile(reply, route.download, route.status ?? 200, result);
      const out = route.output.safeParse(result);
      if (!out.success) {
        throw new AppError('INTERNAL', undefined, `output of ${route.id} broke its contract: ${out.error.message}`);
      }
      return reply.status(route.status ?? 200).send(out.data);
    },
  });
}

function parsePart(part: string, schema: z.ZodType | undefined, value: unknown): unknown {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', fieldErrorsFromZod(part, parsed.error));
  return parsed.data;
}
