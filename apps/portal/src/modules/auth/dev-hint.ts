/**
 * Whether to tell the user that SMS codes land in the server's outbox file. The server's
 * `/api/meta` does not say which SMS adapter it runs, so the portal guesses: a dev server, or a
 * page served from this very machine, is a developer's or a demo's, where the outbox adapter
 * is the only one there is. A deployment on a real host name never shows the note.
 */
export function showsOutboxHint(hostname: string = window.location.hostname): boolean {
  if (import.meta.env.DEV) return true;
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\./.test(hostname);
}
