import { defineRoute, type ErrorBody, systemRoutes } from '@zhgh/contracts';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { ApiError, type CallInput, createApiClient } from './api.ts';

// Routes of every shape, defined here so the test does not hang on the contracts in flux.
const getOne = defineRoute({
  id: 'test.get',
  method: 'GET',
  path: '/api/things/:id/parts/:part',
  tag: 'test',
  summary: 'path params',
  permission: 'public',
  params: z.object({ id: z.string(), part: z.string() }),
  output: z.object({ id: z.string() }),
  errors: [],
});
const list = defineRoute({
  id: 'test.list',
  method: 'GET',
  path: '/api/things',
  tag: 'test',
  summary: 'defaulted query',
  permission: 'public',
  query: z.object({
    page: z.coerce.number().int().default(1),
    tag: z.array(z.string()).optional(),
    q: z.string().optional(),
  }),
  output: z.object({ items: z.array(z.string()) }),
  errors: [],
});
const create = defineRoute({
  id: 'test.create',
  method: 'POST',
  path: '/api/things',
  tag: 'test',
  summary: 'body',
  permission: 'public',
  body: z.object({ name: z.string() }),
  output: z.object({ id: z.string() }),
  status: 201,
  errors: [],
});
const remove = defineRoute({
  id: 'test.remove',
  method: 'DELETE',
  path: '/api/things/:id',
  tag: 'test',
  summary: 'no content',
  permission: 'public',
  params: z.object({ id: z.string() }),
  output: z.object({}),
  status: 204,
  errors: [],
});

interface Sent {
  url: string;
  init: RequestInit;
}

function fakeServer(status: number, body: string, contentType = 'application/json') {
  const sent: Sent[] = [];
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    sent.push({ url, init });
    return new Response(status === 204 ? null : body, { status, headers: { 'content-type': contentType } });
  };
  return { sent, fetch };
}

const errorBody: ErrorBody = {
  error: {
    code: 'VALIDATION_FAILED',
    message: 'The input is invalid; check the fields listed',
    messages: { 'zh-CN': '输入有误，请检查标出的字段', en: 'The input is invalid; check the fields listed' },
    fields: [{ field: 'body.name', rule: 'required', message: { 'zh-CN': '必填', en: 'is required' } }],
    requestId: 'r1',
  },
};

describe('createApiClient', () => {
  it('calls a route without input and returns its typed output', async () => {
    const server = fakeServer(
      200,
      JSON.stringify({ name: '智慧工会', version: '1.2.3', locales: ['zh-CN'], database: 'sqlite' }),
    );
    const api = createApiClient({ fetch: server.fetch });
    const meta = await api.call(systemRoutes.meta);
    expectTypeOf(meta.version).toEqualTypeOf<string>();
    expectTypeOf(meta.database).toEqualTypeOf<'sqlite' | 'postgres'>();
    expect(meta.version).toBe('1.2.3');
    expect(server.sent[0]?.url).toBe('/api/meta');
    expect(server.sent[0]?.init.method).toBe('GET');
    expect(server.sent[0]?.init.credentials).toBe('same-origin');
    expect(server.sent[0]?.init.body).toBeUndefined();
  });

  it('sends the current locale as Accept-Language, read at call time', async () => {
    const server = fakeServer(200, '{}');
    let locale: 'zh-CN' | 'en' = 'zh-CN';
    const api = createApiClient({ fetch: server.fetch, locale: () => locale });
    await api.call(systemRoutes.meta);
    locale = 'en';
    await api.call(systemRoutes.meta);
    const langs = server.sent.map((s) => (s.init.headers as Record<string, string>)['accept-language']);
    expect(langs).toEqual(['zh-CN', 'en']);
  });

  it('fills path params with encoding and adds the query string', async () => {
    const server = fakeServer(200, '{"id":"x"}');
    const api = createApiClient({ fetch: server.fetch, baseUrl: 'http://h' });
    await api.call(getOne, { params: { id: 'a/b', part: '工会' } });
    await api.call(list, { query: { tag: ['x', 'y'], q: 'a&b' } });
    await api.call(list);
    expect(server.sent.map((s) => s.url)).toEqual([
      'http://h/api/things/a%2Fb/parts/%E5%B7%A5%E4%BC%9A',
      'http://h/api/things?tag=x&tag=y&q=a%26b',
      'http://h/api/things',
    ]);
  });

  it('refuses to send a request with a missing path parameter', async () => {
    const api = createApiClient({ fetch: fakeServer(200, '{}').fetch });
    // @ts-expect-error the id is required
    await expect(api.call(getOne, { params: { part: 'p' } })).rejects.toThrow(/missing path parameter "id"/);
  });

  it('sends a JSON body with its content type, and no content type without one', async () => {
    const server = fakeServer(201, '{"id":"n1"}');
    const api = createApiClient({ fetch: server.fetch, headers: () => ({ 'x-csrf-token': 't' }) });
    const created = await api.call(create, { body: { name: '新' } });
    expect(created.id).toBe('n1');
    const headers = server.sent[0]?.init.headers as Record<string, string>;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-csrf-token']).toBe('t');
    expect(server.sent[0]?.init.body).toBe('{"name":"新"}');
  });

  it('answers undefined for 204', async () => {
    const api = createApiClient({ fetch: fakeServer(204, '').fetch });
    await expect(api.call(remove, { params: { id: 'x' } })).resolves.toBeUndefined();
  });

  it('throws ApiError with the server error body on non-2xx', async () => {
    const api = createApiClient({ fetch: fakeServer(400, JSON.stringify(errorBody)).fetch });
    const err = await api.call(create, { body: { name: '' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const apiError = err as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('VALIDATION_FAILED');
    expect(apiError.requestId).toBe('r1');
    expect(apiError.messageIn('zh-CN')).toBe('输入有误，请检查标出的字段');
    expect(apiError.fieldMessages('zh-CN')).toEqual({ 'body.name': '必填' });
  });

  it('keeps every message of a field and can strip the body prefix', () => {
    const body: ErrorBody = {
      error: {
        ...errorBody.error,
        code: 'PASSWORD_POLICY',
        fields: [
          { field: 'body.newPassword', rule: 'too_small', message: { 'zh-CN': '至少 8 位', en: 'too short' } },
          { field: 'body.newPassword', rule: 'format', message: { 'zh-CN': '至少三类', en: 'too simple' } },
          { field: 'query.page', rule: 'type', message: { 'zh-CN': '类型不正确', en: 'has the wrong type' } },
        ],
      },
    };
    const err = new ApiError(400, body);
    expect(err.fieldMessages('zh-CN', 'body.')).toEqual({ newPassword: '至少 8 位；至少三类' });
    expect(err.fieldMessages('en')).toEqual({
      'body.newPassword': 'too short; too simple',
      'query.page': 'has the wrong type',
    });
  });

  it('turns an answer from something other than our server into SERVICE_UNAVAILABLE', async () => {
    const api = createApiClient({
      fetch: fakeServer(502, '<html>Bad Gateway</html>', 'text/html').fetch,
      locale: () => 'en',
    });
    const err = (await api.call(systemRoutes.meta).catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.status).toBe(502);
    expect(err.message).toBe(err.messageIn('en'));
  });

  it('turns a network failure into SERVICE_UNAVAILABLE with status 0, but lets aborts through', async () => {
    const down = createApiClient({
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
    });
    const err = (await down.call(systemRoutes.meta).catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.status).toBe(0);
    expect(err.message).toBe('服务暂不可用，请稍后再试');

    const aborted = createApiClient({
      fetch: () => Promise.reject(new DOMException('aborted', 'AbortError')),
    });
    await expect(aborted.call(systemRoutes.meta)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('types each input part from the contract', () => {
    expectTypeOf<CallInput<typeof getOne>['params']>().toEqualTypeOf<{ id: string; part: string }>();
    expectTypeOf<CallInput<typeof create>['body']>().toEqualTypeOf<{ name: string }>();
    // Defaulted and coerced query fields may be left out.
    expectTypeOf<{ tag: string[] }>().toExtend<NonNullable<CallInput<typeof list>['query']>>();
    expectTypeOf<CallInput<typeof systemRoutes.meta>['body']>().toEqualTypeOf<undefined>();
  });
});
