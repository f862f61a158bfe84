import {
  authRoutes,
  type ErrorCode,
  type Locale,
  type RouteContract,
  type RouteOutput,
  type USER_KINDS,
} from '@zhgh/contracts';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { type ApiClient, type ApiClientOptions, type CallArgs, createApiClient, isApiError } from './api.ts';

export type SessionView = RouteOutput<typeof authRoutes.session>;
export type UserKind = (typeof USER_KINDS)[number];

/**
 * `unknown` until the first probe; `offline` when the server could not be reached, so an
 * installed app still opens its shell instead of bouncing to a sign-in it cannot complete.
 */
export type SessionStatus = 'unknown' | 'signedIn' | 'signedOut' | 'offline';

/** Codes that mean the cookie no longer opens a session. */
const SESSION_LOST: ReadonlySet<ErrorCode> = new Set(['UNAUTHENTICATED', 'SESSION_EXPIRED']);
// The session probe and the sign-in calls answer 401 as part of their normal work.
const PROBES: ReadonlySet<RouteContract> = new Set([authRoutes.session, authRoutes.login, authRoutes.smsLogin]);

type SessionLostHandler = (code: ErrorCode) => void;

/**
 * The session and client of a mobile end (the member portal, the merchant end): one account
 * kind, a Pinia store the views read, and a client that sends the store's CSRF token and
 * reports a session found gone on any call but the probes. The console keeps its own
 * (`createSession`), which carries permissions and scope.
 */
export function createMobileEnd(
  kind: UserKind,
  locale: () => Locale,
  options: { fetch?: ApiClientOptions['fetch'] } = {},
) {
  let onLost: SessionLostHandler = () => undefined;

  const useSessionStore = defineStore('session', () => {
    const view = shallowRef<SessionView | null>(null);
    const status = ref<SessionStatus>('unknown');
    /** The cookie belongs to another end's account (one origin, one cookie): say so on sign-in. */
    const otherKind = ref<UserKind | null>(null);
    /** Why the user landed on sign-in, when it was not their choice. */
    const lostReason = ref<'expired' | null>(null);
    let pending: Promise<void> | null = null;

    const user = computed(() => view.value?.user ?? null);
    const csrfToken = computed(() => view.value?.csrfToken ?? '');

    function accept(next: SessionView): void {
      if (next.user.kind !== kind) {
        view.value = null;
        otherKind.value = next.user.kind;
        status.value = 'signedOut';
        return;
      }
      view.value = next;
      otherKind.value = null;
      lostReason.value = null;
      status.value = 'signedIn';
    }

    function clear(reason: 'expired' | null = null): void {
      view.value = null;
      status.value = 'signedOut';
      lostReason.value = reason;
    }

    async function load(): Promise<void> {
      try {
        accept(await api.call(authRoutes.session));
      } catch (err) {
        // Status 0 is a network failure; any other error means no usable session.
        if (isApiError(err) && err.status === 0) status.value = view.value ? 'signedIn' : 'offline';
        else clear();
      }
    }

    /** Probe once per page load; concurrent navigations share the one request. */
    function ensureLoaded(): Promise<void> {
      if (status.value !== 'unknown' && status.value !== 'offline') return Promise.resolve();
      pending ??= load().finally(() => {
        pending = null;
      });
      return pending;
    }

    async function signOut(): Promise<void> {
      try {
        await api.call(authRoutes.logout);
      } finally {
        // Signed out locally even if the server is unreachable: the user asked to leave.
        clear();
      }
    }

    async function signOutEverywhere(): Promise<number> {
      const { ended } = await api.call(authRoutes.logoutAll);
      clear();
      return ended;
    }

    return {
      view,
      status,
      otherKind,
      lostReason,
      user,
      csrfToken,
      accept,
      clear,
      load,
      ensureLoaded,
      signOut,
      signOutEverywhere,
    };
  });

  const raw = createApiClient({
    ...options,
    locale,
    // Read at call time: the token changes with every sign-in.
    headers: (): Record<string, string> => {
      const token = useSessionStore().csrfToken;
      return token ? { 'x-csrf-token': token } : {};
    },
  });

  const api: ApiClient = {
    async call<R extends RouteContract>(route: R, ...args: CallArgs<R>): Promise<RouteOutput<R>> {
      try {
        return await raw.call(route, ...args);
      } catch (err) {
        if (isApiError(err) && SESSION_LOST.has(err.code) && !PROBES.has(route)) onLost(err.code);
        throw err;
      }
    },
  };

  return {
    api,
    useSessionStore,
    /** Who reacts when a call finds the session gone (main.ts: clear the store, go to sign-in). */
    onSessionLost(handler: SessionLostHandler): void {
      onLost = handler;
    },
  };
}
