import {
  type ErrorBody,
  type ErrorCode,
  type FieldError,
  type Locale,
  messageOf,
  type RouteContract,
  type RouteOutput,
} from '@zhgh/contracts';
import type { z } from 'zod';

/**
 * One part of a call's input. A part the route does not declare infers as `unknown` and
 * becomes forbidden; a part whose fields all have defaults (paging) becomes optional.
 */
type Part<K extends string, T> = unknown extends T
  ? { [P in K]?: undefined }
  : Partial<T> extends T
    ? { [P in K]?: T }
    : { [P in K]: T };

/**
 * What a caller passes for a route: the zod *input* types, so defaulted and coerced fields
 * (page, pageSize) can be left out exactly as the server allows.
 */
export type CallInput<R> =
  R extends RouteContract<infer P, infer Q, infer B, z.ZodType>
    ? Part<'params', z.input<P>> & Part<'query', z.input<Q>> & Part<'body', z.input<B>> & { signal?: AbortSignal }
    : never;

/** Make the input argument optional only when nothing in it is required. */
export type CallArgs<R> = Partial<CallInput<R>> extends CallInput<R> ? [input?: CallInput<R>] : [input: CallInput<R>];

export interface ApiClientOptions {
  /** Prefix for every path; empty means the page's own origin, which is how the apps are served. */
  baseUrl?: string;
  /** Locale of the UI at the time of the call, sent as Accept-Language so errors come back in it. */
  locale?: () => Locale;
  /** Extra headers per call; the CSRF token goes here once sessions exist. */
  headers?: () => Record<string, string>;
  /** Injected in tests; defaults to the global fetch. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

export interface ApiClient {
  call<R extends RouteContract>(route: R, ...args: CallArgs<R>): Promise<RouteOutput<R>>;
}

/** A failed call: the server's one error shape, whatever went wrong. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: ErrorBody;

  constructor(status: number, body: ErrorBody) {
    super(body.error.message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }

  get code(): ErrorCode {
    return this.body.error.code;
  }

  get fields(): FieldError[] {
    return this.body.error.fields ?? [];
  }

  get requestId(): string | undefined {
    return this.body.error.requestId;
  }

  /** The UI may have switched language since the request was sent; both texts came back. */
  messageIn(locale: Locale): string {
    return this.body.error.messages[locale];
  }

  /**
   * Field path → message, ready to put under form items. A field can break several rules at
   * once (a password too short *and* too simple): all of them are kept, joined. With `prefix`
   * (usually `body.`), only fields under it are kept, named without it, as the form names them.
   */
  fieldMessages(locale: Locale, prefix = ''): Record<string, string> {
    const out: Record<string, string> = {};
    const separator = locale === 'zh-CN' ? '；' : '; ';
    for (const f of this.fields) {
      if (!f.field.startsWith(prefix)) continue;
      const key = f.field.slice(prefix.length);
      const message = f.message[locale];
      const before = out[key];
      out[key] = before === undefined ? message : `${before}${separator}${message}`;
    }
    return out;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/** Build an error body on the client, for failures where our server never answered. */
export function clientErrorBody(code: ErrorCode): ErrorBody {
  return {
    error: {
      code,
      message: messageOf(code, 'zh-CN'),
      messages: { 'zh-CN': messageOf(code, 'zh-CN'), en: messageOf(code, 'en') },
    },
  };
}

function localized(body: ErrorBody, locale: Locale): ErrorBody {
  return { error: { ...body.error, message: body.error.messages[locale] } };
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error: unknown = value.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    'messages' in error &&
    typeof error.messages === 'object'
  );
}

type QueryValue = string | number | boolean | null | undefined;

function fillPath(route: RouteContract, params: unknown): string {
  const values = (params ?? {}) as Record<string, unknown>;
  return route.path.replace(/:([A-Za-z0-9_]+)/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined || value === null || value === '') {
      // A programming error, not a server answer: fail loudly before sending anything.
      throw new TypeError(`${route.id}: missing path parameter "${name}"`);
    }
    return encodeURIComponent(String(value));
  });
}

function queryString(query: unknown): string {
  if (query === undefined || query === null) return '';
  const search = new URLSearchParams();
  for (const [key, raw] of Object.entries(query as Record<string, QueryValue | QueryValue[]>)) {
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      if (value === undefined || value === null) continue;
      search.append(key, String(value));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const baseUrl = options.baseUrl ?? '';
  // Wrapped so fetch is never invoked with a foreign `this` (browsers throw "Illegal invocation").
  const send = options.fetch ?? ((url: string, init: RequestInit) => globalThis.fetch(url, init));

  async function call<R extends RouteContract>(route: R, ...args: CallArgs<R>): Promise<RouteOutput<R>> {
    const input = (args[0] ?? {}) as { params?: unknown; query?: unknown; body?: unknown; signal?: AbortSignal };
    const locale = options.locale?.() ?? 'zh-CN';
    const url = baseUrl + fillPath(route, input.params) + queryString(input.query);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'accept-language': locale,
      ...options.headers?.(),
    };
    const init: RequestInit = { method: route.method, headers, credentials: 'same-origin' };
    if (input.signal) init.signal = input.signal;
    if (input.body !== undefined) {
      // Only with a body: Fastify rejects an empty body declared as JSON.
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(input.body);
    }

    let response: Response;
    try {
      response = await send(url, init);
    } catch (err) {
      // The caller cancelled: not a failure to report.
      if (err instanceof Error && err.name === 'AbortError') throw err;
      throw new ApiError(0, localized(clientErrorBody('SERVICE_UNAVAILABLE'), locale));
    }

    const text = await response.text();
    let payload: unknown = undefined;
    let parsed = text === '';
    if (text !== '') {
      try {
        payload = JSON.parse(text);
        parsed = true;
      } catch {
        parsed = false;
      }
    }

    if (!response.ok) {
      if (isErrorBody(payload)) throw new ApiError(response.status, payload);
      // Something in front of the server (proxy, gateway) answered instead of it.
      throw new ApiError(response.status, localized(clientErrorBody('SERVICE_UNAVAILABLE'), locale));
    }
    if (!parsed) throw new ApiError(response.status, localized(clientErrorBody('INTERNAL'), locale));
    return payload as RouteOutput<R>;
  }

  return { call };
}
