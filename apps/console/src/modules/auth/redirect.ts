/**
 * The `redirect` query of the sign-in page, if it is a path of this app. Never an absolute URL,
 * `//host` or `/\\host` (browsers read both as another host): a crafted sign-in link must not
 * send the user off the console after they enter their password.
 */
export function safeRedirect(value: unknown): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) {
    return undefined;
  }
  return raw;
}
