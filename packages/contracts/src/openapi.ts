import { z } from 'zod';
import { ERROR_CODES, type ErrorCode, statusOf } from './errors.ts';
import type { RouteContract } from './route.ts';

type JsonSchema = Record<string, unknown>;

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'messages'],
      properties: {
        code: { type: 'string', enum: [...ERROR_CODES], description: 'Stable error code; clients switch on it' },
        message: { type: 'string', description: 'Message in the request locale (Accept-Language; zh-CN default)' },
        messages: {
          type: 'object',
          description: 'The message in every locale',
          properties: { 'zh-CN': { type: 'string' }, en: { type: 'string' } },
        },
        fields: {
          type: 'array',
          description: 'For VALIDATION_FAILED: each field that broke a rule',
          items: {
            type: 'object',
            properties: {
              field: { type: 'string', description: 'Dotted path, e.g. body.idNumber' },
              rule: { type: 'string', description: 'The broken rule: required, type, format, too_small, …' },
              message: { type: 'object', properties: { 'zh-CN': { type: 'string' }, en: { type: 'string' } } },
            },
          },
        },
        requestId: { type: 'string', description: 'Quote this when reporting a problem' },
      },
    },
  },
};

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const s = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete s.$schema;
  return s;
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input');
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(s.description ? { description: s.description } : {}),
    schema: s,
  }));
}

/** A multipart/form-data body: the file part beside the text fields the body schema names. */
function uploadBody(r: RouteContract): JsonSchema {
  const upload = r.upload!;
  const fields = r.body ? toSchema(r.body, 'input') : { type: 'object', properties: {} };
  const megabytes = Math.round(upload.maxBytes / (1024 * 1024));
  return {
    required: true,
    description: `multipart/form-data; the file at most ${megabytes} MB by default (the server's limit may differ)`,
    content: {
      'multipart/form-data': {
        schema: {
          ...fields,
          type: 'object',
          required: [upload.field, ...((fields.required as string[] | undefined) ?? [])],
          properties: {
            [upload.field]: { type: 'string', format: 'binary', description: upload.description },
            ...((fields.properties as JsonSchema | undefined) ?? {}),
          },
        },
      },
    },
  };
}

/** OpenAPI 3.1 document generated from the contracts; committed as openapi.json. */
export function generateOpenApi(routes: readonly RouteContract[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const path = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const codes = new Set<ErrorCode>([...r.errors, 'INTERNAL']);
    if (r.params || r.query || r.body) codes.add('VALIDATION_FAILED');
    if (r.permission !== 'public') {
      codes.add('UNAUTHENTICATED');
      codes.add('FORBIDDEN');
    }
    const byStatus = new Map<number, ErrorCode[]>();
    for (const c of codes) byStatus.set(statusOf(c), [...(byStatus.get(statusOf(c)) ?? []), c]);
    const responses: Record<string, unknown> = {
      [String(r.status ?? 200)]: r.download
        ? {
            description: r.download.description,
            headers: {
              'Content-Disposition': {
                description: 'attachment, with the file name (RFC 6266; filename* in UTF-8 for Chinese names)',
                schema: { type: 'string' },
              },
            },
            content: { [r.download.contentType]: { schema: { type: 'string', format: 'binary' } } },
          }
        : {
            description: 'Success',
            content: { 'application/json': { schema: toSchema(r.output, 'output') } },
          },
    };
    for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
      responses[String(status)] = {
        description: `Error: ${list.sort().join(', ')}`,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      operationId: r.id,
      tags: [r.tag],
      summary: r.summary,
      'x-permission': r.permission,
      ...(r.permission === 'public' ? { security: [] } : {}),
      parameters: [...parametersOf(r.params, 'path'), ...parametersOf(r.query, 'query')],
      ...(r.upload
        ? { requestBody: uploadBody(r) }
        : r.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(r.body, 'input') } } } }
          : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: '智慧工会 API',
      version,
      description:
        'Every endpoint of the smart trade-union platform, generated from packages/contracts. ' +
        'Errors share one shape; messages come in zh-CN and en.',
    },
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'zhgh_sid' } },
    },
    security: [{ session: [] }],
    paths,
  };
}
