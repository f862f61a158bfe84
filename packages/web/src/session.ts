import { authRoutes, type ErrorCode, type RouteContract, type RouteOutput } from '@zhgh/contracts';
import { computed, type ComputedRef, shallowRef } from 'vue';
import { useAbilities } from './abilities.ts';
import {
  type ApiClient,
  type ApiClientOptions,
  ApiError,
  type CallArgs,
  type CallInput,
  createApiClient,
  isApiError,
} from './api.ts';

export type SessionView = RouteOutput<typeof authRoutes.session>;
export type SessionUser = SessionView['user'];
export type SessionGrant = SessionView['grants'][number];
export type SessionRestriction = NonNullable<SessionView['restriction']>;
export type UserKind = SessionUser['kind'];
/** What a sign-in form collects; the end's own kind is added by the session. */
export type LoginInput = Omit<NonNullable<CallInput<typeof authRoutes.login>['body']>, 'kind'>;
/** `anonymous` before sign-in; `restricted` until the user fixes what the server asks for. */
export type SessionStatus = 'anonymous' | 'restricted' | 'active';

export const CSRF_HEADER = 'x-csrf-token';

/** The server no longer knows the session: idle or absolute timeout, revoked elsewhere, account disabled. */
const ENDED: ReadonlySet<ErrorCode> = new Set(['UNAUTHENTICATED', 'SESSION_EXPIRED']);
const CSRF: ReadonlySet<ErrorCode> = new Set(['CSRF_TOKEN_MISSING', 'CSRF_TOKEN_INVALID']);
const RESTRICTED: ReadonlySet<ErrorCode> = new Set(['PASSWORD_EXPIRED', 'TOTP_ENROLLMENT_REQUIRED']);

export interface SessionOptions extends ApiClientOptions {
  /** Which end this is; sent with every password sign-in. */
  kind: UserKind;
}

export interface Session {
  /** The client every page of the end uses: it carries the CSRF token and watches for a lost session. */
  api: ApiClient;
  view: ComputedRef<SessionView | null>;
  user: ComputedRef<SessionUser | null>;
  grants: ComputedRef<readonly SessionGrant[]>;
  restriction: ComputedRef<SessionRestriction | null>;
  status: ComputedRef<SessionStatus>;
  /** Whether the server has been asked at least once (so `anonymous` is an answer, not a guess). */
  loaded: ComputedRef<boolean>;
  /** Ask the server once per page load; later calls answer from memory. */
  ensure(): Promise<SessionView | null>;
  /** Ask the server again (after a restriction is lifted, or a role changed). */
  refresh(): Promise<SessionView | null>;
  login(input: LoginInput): Promise<SessionView>;
  logout(): Promise<void>;
  /** End every session of the user, this one included; answers how many ended. */
  logoutAll(): Promise<number>;
  /**
   * Called when a session the page held is gone without the user signing out here (timeout,
   * sign-out elsewhere, revoked grant). Returns the unsubscribe function.
   */
  onExpired(listener: (error: ApiError) => void): () => void;
}

/**
 * One end's session. The token lives only in memory: the session itself is an httpOnly cookie
 * the page cannot read, and the CSRF token is fetched with the session so a page reload gets
 * it back from the server. Permission codes are mirrored into `useAbilities()` for `can()`.
 */
export function createSession(options: SessionOptions): Session {
  const current = shallowRef<SessionView | null>(null);
  const loaded = shallowRef(false);
  const abilities = useAbilities();
  const listeners = new Set<(error: ApiError) => void>();
  let pending: Promise<SessionView | null> | null = null;

  const raw = createApiClient({
    ...options,
    headers: () => {
      const token = current.value?.csrfToken;
      return { ...options.headers?.(), ...(token ? { [CSRF_HEADER]: token } : {}) };
    },
  });

  function apply(next: SessionView | null): void {
    current.value = next;
    loaded.value = true;
    // A restricted session can use nothing but the routes that lift the restriction.
    if (next && next.restriction === null) abilities.set(next.permissions);
    else abilities.clear();
  }

  function lost(error: ApiError): void {
    const held = current.value !== null;
    apply(null);
    if (held) for (const listener of listeners) listener(error);
  }

  async function refresh(): Promise<SessionView | null> {
    try {
      const view = await raw.call(authRoutes.session);
      apply(view);
      return view;
    } catch (err) {
      if (isApiError(err) && ENDED.has(err.code)) {
        lost(err);
        return null;
      }
      throw err;
    }
  }

  function ensure(): Promise<SessionView | null> {
    if (loaded.value) return Promise.resolve(current.value);
    pending ??= refresh().finally(() => {
      pending = null;
    });
    return pending;
  }

  async function call<R extends RouteContract>(route: R, ...args: CallArgs<R>): Promise<RouteOutput<R>> {
    try {
      return await raw.call(route, ...args);
    } catch (err) {
      if (!isApiError(err) || route.permission === 'public') throw err;
      if (ENDED.has(err.code)) {
        lost(err);
        throw err;
      }
      if (CSRF.has(err.code) && current.value) {
        // A sign-in in another tab replaces the cookie and with it the token. The server refused
        // before doing anything, so the request may be sent again, but only for the same user:
        // an action clicked as one person must never run as another.
        const before = current.value.user.id;
        const fresh = await refresh();
        if (fresh && fresh.user.id === before) return raw.call(route, ...args);
        throw err;
      }
      if (RESTRICTED.has(err.code)) {
        // The server restricted the session meanwhile (password aged out): let the end react.
        await refresh().catch(() => undefined);
      }
      throw err;
    }
  }

  async function login(input: LoginInput): Promise<SessionView> {
    const view = await raw.call(authRoutes.login, { body: { ...input, kind: options.kind } });
    apply(view);
    return view;
  }

  async function logout(): Promise<void> {
    try {
      if (current.value) await raw.call(authRoutes.logout);
    } catch (err) {
      // Signing out must always work locally; a session the server already dropped is fine.
      if (!isApiError(err)) throw err;
    } finally {
      apply(null);
    }
  }

  async function logoutAll(): Promise<number> {
    const { ended } = await call(authRoutes.logoutAll);
    apply(null);
    return ended;
  }

  return {
    api: { call },
    view: computed(() => current.value),
    user: computed(() => current.value?.user ?? null),
    grants: computed(() => current.value?.grants ?? []),
    restriction: computed(() => current.value?.restriction ?? null),
    status: computed(() => (!current.value ? 'anonymous' : current.value.restriction ? 'restricted' : 'active')),
    loaded: computed(() => loaded.value),
    ensure,
    refresh,
    login,
    logout,
    logoutAll,
    onExpired(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
