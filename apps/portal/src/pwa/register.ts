/**
 * Production builds only: a worker in development would serve stale modules to Vite's hot
 * reload. Registered after load so it never competes with the first paint for bandwidth.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  const base = import.meta.env.BASE_URL;
  window.addEventListener('load', () => {
    navigator.serviceWorker.register(`${base}sw.js`, { scope: base }).catch((err: unknown) => {
      // Without the worker the portal still works online; offline opening is what is lost.
      console.warn('service worker registration failed', err);
    });
  });
}
