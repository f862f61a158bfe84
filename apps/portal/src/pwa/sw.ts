/**
 * The portal's service worker, hand-written to stay small and dependency-free. It keeps one
 * cache per build (the "app shell": index.html, the hashed scripts and styles, icons,
 * manifest), so the installed portal opens without a network. Pages are fetched from the
 * network first, so an online user always gets the newest build; the cached index.html is
 * the fallback. API calls are never cached: they carry personal data and must be fresh.
 */
export {};

interface Shell {
  version: string;
  base: string;
  files: string[];
}

// Prepended to the built worker by build/service-worker.ts.
declare const __ZHGH_SHELL__: Shell;

// The DOM library has no service-worker types, and the worker library cannot sit in the same
// program as the DOM one; these are the few members used here.
interface SwExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface SwFetchEvent extends SwExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface SwScope {
  readonly location: Location;
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: SwExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: SwFetchEvent) => void): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
}

const scope = self as unknown as SwScope;
const shell = __ZHGH_SHELL__;
const PREFIX = 'zhgh-portal-';
const CACHE = PREFIX + shell.version;
const INDEX = `${shell.base}index.html`;

scope.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(shell.files)));
});

scope.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))),
      )
      .then(() => scope.clients.claim()),
  );
});

// A page may ask a waiting worker to take over at once (e.g. after showing "new version").
scope.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') void scope.skipWaiting();
});

/**
 * Every path under the app is one of its client-side routes, so any page the network cannot
 * give (offline, or a proxy's error page) is better served by the cached shell.
 */
async function page(request: Request): Promise<Response> {
  let response: Response | undefined;
  try {
    response = await fetch(request);
    if (response.ok) return response;
  } catch {
    // Offline: fall through to the shell.
  }
  return (await caches.match(INDEX, { cacheName: CACHE })) ?? response ?? Response.error();
}

async function asset(request: Request): Promise<Response> {
  return (await caches.match(request, { cacheName: CACHE })) ?? fetch(request);
}

scope.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  // Only this app's own files; the API, the other ends and other origins go straight through.
  if (url.origin !== scope.location.origin || !url.pathname.startsWith(shell.base)) return;
  event.respondWith(request.mode === 'navigate' ? page(request) : asset(request));
});
