import { type ErrorBody, type RouteContract } from '@zhgh/contracts';
import { ApiError, clientErrorBody, CSRF_HEADER } from '@zhgh/web';
import { locale } from '../i18n/index.ts';
import { session } from './client.ts';

/**
 * Upload and download routes (`upload` / `download` flags in the contracts) do not speak JSON,
 * so the typed client cannot carry them. These two helpers keep its habits: same origin, the
 * UI's language for errors, the CSRF token, and one `ApiError` for every failure.
 */

function fillPath(route: RouteContract, params: Record<string, string> = {}): string {
  return route.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    const value = params[name];
    if (!value) throw new TypeError(`${route.id}: missing path parameter "${name}"`);
    return encodeURIComponent(value);
  });
}

function headers(): Record<string, string> {
  const token = session.view.value?.csrfToken;
  return { 'accept-language': locale(), ...(token ? { [CSRF_HEADER]: token } : {}) };
}

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && 'error' in value;
}

async function failure(response: Response): Promise<ApiError> {
  try {
    const body: unknown = await response.json();
    if (isErrorBody(body)) return new ApiError(response.status, body);
  } catch {
    // Something in front of the server answered: fall through to the generic message.
  }
  return new ApiError(response.status, clientErrorBody('SERVICE_UNAVAILABLE'));
}

async function send(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: 'same-origin', ...init });
  } catch {
    throw new ApiError(0, clientErrorBody('SERVICE_UNAVAILABLE'));
  }
  if (!response.ok) {
    const err = await failure(response);
    // A lost session is noticed by the session itself on its next call.
    if (err.code === 'UNAUTHENTICATED' || err.code === 'SESSION_EXPIRED') void session.refresh().catch(() => null);
    throw err;
  }
  return response;
}

/** Send a file with the text fields the route's body declares; answers the route's JSON output. */
export async function uploadFile<T>(
  route: RouteContract,
  file: Blob & { name?: string },
  fields: Record<string, string | undefined>,
  params?: Record<string, string>,
): Promise<T> {
  if (!route.upload) throw new TypeError(`${route.id} is not an upload route`);
  const form = new FormData();
  // Text fields first: the server reads parts in order and validates the body before the file.
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) form.append(key, value);
  form.append(route.upload.field, file, file.name ?? 'upload');
  const response = await send(fillPath(route, params), { method: route.method, headers: headers(), body: form });
  return (await response.json()) as T;
}

/** The file name of a Content-Disposition header: the exact UTF-8 one when sent, else the plain one. */
export function dispositionFilename(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const exact = /filename\*=UTF-8''([^;]+)/i.exec(header)?.[1];
  if (exact) {
    try {
      return decodeURIComponent(exact);
    } catch {
      // A malformed escape: use the plain name.
    }
  }
  return /filename="([^"]*)"/i.exec(header)?.[1] ?? fallback;
}

/** Fetch a download route and hand the file to the browser under the server's file name. */
export async function downloadFile(
  route: RouteContract,
  params?: Record<string, string>,
  fallbackName = 'download',
  query: Record<string, string | number | boolean | undefined> = {},
): Promise<string> {
  if (!route.download) throw new TypeError(`${route.id} is not a download route`);
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== '') search.set(key, String(value));
  const url = fillPath(route, params) + (search.size > 0 ? `?${search}` : '');
  const response = await send(url, { method: route.method, headers: headers() });
  const blob = await response.blob();
  const filename = dispositionFilename(response.headers.get('content-disposition'), fallbackName);
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser time to start reading the blob before it goes away.
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return filename;
}
