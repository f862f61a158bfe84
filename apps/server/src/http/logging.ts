import type { FastifyServerOptions } from 'fastify';

/**
 * Log options. Logs must never hold ID numbers, phones, passwords or tokens, so request
 * logs carry the path and the query's keys only (values may be a phone being searched),
 * headers are not logged, and any object field with a sensitive name is censored.
 */
export const SENSITIVE_KEYS = [
  'password',
  'newPassword',
  'oldPassword',
  'idNumber',
  'phone',
  'bankCard',
  'token',
  'code',
  'otp',
  'totp',
  'secret',
  'cookie',
  'authorization',
  'csrf',
];

export function loggerOptions(level: string, destination?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(destination ? { stream: destination } : {}),
    redact: {
      paths: [
        ...SENSITIVE_KEYS.map((k) => `*.${k}`),
        ...SENSITIVE_KEYS.map((k) => `*.*.${k}`),
        'req.headers',
        'res.headers',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method: string; url: string; id: string; ip?: string }) {
        const [path, query] = request.url.split('?');
        const keys = query ? [...new URLSearchParams(query).keys()] : [];
        return { id: request.id, method: request.method, path, queryKeys: keys };
      },
    },
  };
}
