import { authRoutes, type ErrorCode, type RouteContract, type RouteOutput } from '@zhgh/contracts';
import { type ApiClient, type CallArgs, createApiClient, isApiError } from '@zhgh/web';
import { locale } from '../i18n/index.ts';
import { useSessionStore } from '../stores/session.ts';

const raw = createApiClient({
  locale,
  // Read at call time: the token changes with every sign-in.
  headers: (): Record<string, string> => {
    const token = useSessionStore().csrfToken;
    return token ? { 'x-csrf-token': token } : {};
  },
});

/** Codes that mean the cookie no longer opens a session. */
const SESSION_LOST: ReadonlySet<ErrorCode> = new Set(['UNAUTHENTICATED', 'SESSION_EXPIRED']);
// The session probe and the sign-in calls answer 401 as part of their normal work.
const PROBES: ReadonlySet<RouteContract> = new Set([authRoutes.session, authRoutes.login]);

type SessionLostHandler = (code: ErrorCode) => void;
let onLost: SessionLostHandler = () => undefined;

/** Who reacts when a call finds the session gone (main.ts: clear the store, go to sign-in). */
export function onSessionLost(handler: SessionLostHandler): void {
  onLost = handler;
}

/** The merchant end's one client: same origin, CSRF header, errors in the UI's language. */
export const api: ApiClient = {
  async call<R extends RouteContract>(route: R, ...args: CallArgs<R>): Promise<RouteOutput<R>> {
    try {
      return await raw.call(route, ...args);
    } catch (err) {
      if (isApiError(err) && SESSION_LOST.has(err.code) && !PROBES.has(route)) onLost(err.code);
      throw err;
    }
  },
};
