import { type ErrorBody, type ErrorCode, type FieldError, type FieldRule, messageOf } from '@zhgh/contracts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError, fieldError } from '../core/app-error.ts';
import { localeOf } from './locale.ts';

export function errorBody(code: ErrorCode, request: FastifyRequest, fields?: FieldError[]): ErrorBody {
  const locale = localeOf(request.headers['accept-language']);
  return {
    error: {
      code,
      message: messageOf(code, locale),
      messages: { 'zh-CN': messageOf(code, 'zh-CN'), en: messageOf(code, 'en') },
      ...(fields && fields.length > 0 ? { fields } : {}),
      requestId: request.id,
    },
  };
}

/** Map zod issues to field errors that name the field and the broken rule. */
export function fieldErrorsFromZod(part: string, error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const base = [part, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => fieldError(`${base}.${k}`, 'unknown_field'));
    }
    return [fieldError(base, ruleOf(issue))];
  });
}

function ruleOf(issue: z.core.$ZodIssue): FieldRule {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : 'type';
    case 'too_small':
      return 'too_small';
    case 'too_big':
      return 'too_big';
    case 'invalid_format':
      return 'format';
    case 'invalid_value':
      return 'enum';
    default:
      return 'invalid';
  }
}

/** Fastify's own errors (bad JSON, wrong content type, body too large) get our codes. */
function fromFastifyError(err: FastifyError): { code: ErrorCode; fields?: FieldError[] } | null {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { code: 'PAYLOAD_TOO_LARGE' };
  if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { code: 'VALIDATION_FAILED', fields: [fieldError('body', 'format')] };
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return { code: 'VALIDATION_FAILED', fields: [fieldError('content-type', 'invalid')] };
  }
  if (err.statusCode === 429) return { code: 'RATE_LIMITED' };
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return { code: 'VALIDATION_FAILED', fields: [fieldError('request', 'invalid')] };
  }
  return null;
}

export function installErrorHandling(
  app: FastifyInstance,
  knownPaths: () => Map<string, Set<string>>,
  spaFallback: (request: FastifyRequest, reply: FastifyReply) => boolean = () => false,
): void {
  app.setErrorHandler((err: FastifyError | AppError, request, reply: FastifyReply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) request.log.error({ err }, 'service error');
      return reply.status(err.status).send(errorBody(err.code, request, err.fields));
    }
    const mapped = fromFastifyError(err as FastifyError);
    if (mapped) {
      const status = mapped.code === 'PAYLOAD_TOO_LARGE' ? 413 : mapped.code === 'RATE_LIMITED' ? 429 : 400;
      return reply.status(status).send(errorBody(mapped.code, request, mapped.fields));
    }
    // Unknown failure: full detail to the log, nothing of it to the client.
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(errorBody('INTERNAL', request));
  });

  app.setNotFoundHandler((request, reply) => {
    if (spaFallback(request, reply)) return reply;
    const path = request.url.split('?')[0] ?? '';
    const methods = knownPaths().get(matchPattern(path, knownPaths()) ?? '');
    if (methods && !methods.has(request.method)) {
      void reply.header('allow', [...methods].join(', '));
      return reply.status(405).send(errorBody('METHOD_NOT_ALLOWED', request));
    }
    return reply.status(404).send(errorBody('ROUTE_NOT_FOUND', request));
  });
}

/** Find the registered pattern (`/api/jobs/:id`) that a concrete path matches. */
function matchPattern(path: string, known: Map<string, Set<string>>): string | undefined {
  const parts = path.split('/');
  for (const pattern of known.keys()) {
    const pp = pattern.split('/');
    if (pp.length !== parts.length) continue;
    if (pp.every((seg, i) => seg.startsWith(':') || seg === parts[i])) return pattern;
  }
  return undefined;
}
